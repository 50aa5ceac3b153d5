import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { expect } from 'vitest';

/** Every status the response contract allows an adapter to answer with. */
export const CONTRACT_STATUSES: ReadonlySet<number> = new Set([
  200, 400, 401, 403, 405, 409, 413, 422, 500, 503,
]);

/** The status each error code goes with, from the contract's response table. */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  invalid_json: 400,
  invalid_payload: 422,
  invalid_timestamp: 422,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  in_flight: 409,
  handler_failed: 500,
  invalid_options: 500,
  store_unavailable: 503,
};

/** What came back from the server, headers with lower-case names. */
export interface Answer {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  text: string;
}

/** What the contract check needs to know about the request. */
export interface ContractContext {
  /** Whether Basic credentials are configured (then a 401 carries a challenge). */
  basic?: boolean;
  /** A HEAD request, answered without a body. */
  head?: boolean;
}

/**
 * Throws unless `answer` is one the response contract allows: a status from its set, the
 * JSON content type, and a body of the documented shape whose code goes with the status.
 */
export function expectContractAnswer(answer: Answer, context: ContractContext = {}): void {
  expect(CONTRACT_STATUSES.has(answer.status), `status ${answer.status}`).toBe(true);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  if (answer.status === 405) expect(answer.headers.allow).toBe('POST');
  if (answer.status === 409 || answer.status === 503) {
    expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  }
  if (answer.status === 401 && context.basic) {
    expect(answer.headers['www-authenticate']).toMatch(/^Basic realm="/);
  }
  // Never an answer many times the size of any request: a few kilobytes at most.
  expect(answer.text.length).toBeLessThan(8_192);
  if (context.head) {
    expect(answer.text).toBe('');
    return;
  }
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  if (answer.status === 200) {
    expect([{ ok: true }, { ok: true, duplicate: true }]).toContainEqual(body);
    return;
  }
  expect(Object.keys(body)).toEqual(['ok', 'error']);
  expect(body.ok).toBe(false);
  const error = body.error as Record<string, unknown>;
  expect(typeof error.code).toBe('string');
  expect(STATUS_OF_CODE[error.code as string], `code ${String(error.code)}`).toBe(answer.status);
  expect(typeof error.message).toBe('string');
  const message = error.message as string;
  expect(message.length).toBeGreaterThan(0);
  // A short excerpt of the input at most, whatever was sent.
  expect(message.length).toBeLessThan(400);
  const keys = Object.keys(error).sort();
  if (error.code === 'invalid_payload') {
    expect(keys).toEqual(['code', 'issues', 'message']);
    for (const issue of error.issues as Record<string, unknown>[]) {
      expect(Object.keys(issue).sort()).toEqual(['code', 'message', 'path']);
      expect(Array.isArray(issue.path)).toBe(true);
      expect(typeof issue.message).toBe('string');
    }
  } else {
    expect(keys).toEqual(['code', 'message']);
  }
}

/** Records what reaches process-wide `unhandledRejection` and `uncaughtException`. */
export function trackProcessErrors(): { readonly seen: string[]; stop(): void } {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  };
  const onException = (error: unknown): void => {
    seen.push(`uncaughtException: ${String((error as Error)?.stack ?? error)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Prints a measurement when RELIABILITY_REPORT is set, so that runs can be compared. */
export function report(line: string): void {
  if (process.env.RELIABILITY_REPORT) console.info(`[reliability] ${line}`);
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, failing after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(2);
  }
}

/** A request handler that resolves whether it answered (a Node middleware, say). */
export type Handle = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** A node:http server on a loopback address, counting what reaches the handle. */
export interface TestServer {
  readonly host: '127.0.0.1' | '::1';
  readonly port: number;
  readonly server: Server;
  /** Requests given to the handle so far. */
  readonly reached: number;
  /** Requests the handle has not finished with. */
  readonly running: number;
  /** Requests the handle did not answer (it resolved `false`): they got a plain 404. */
  readonly fellThrough: number;
  /** Open connections. */
  readonly connections: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes read from every connection so far, closed ones included. */
  bytesRead(): number;
  /** The bytes read from each connection that has closed. */
  readonly closedBytesRead: readonly number[];
  /** Makes `handle` the one requests reach. */
  use(handle: Handle): void;
  close(): Promise<void>;
}

/** Starts a node:http server on `host` with an ephemeral port. */
export async function startServer(
  handle: Handle,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<TestServer> {
  let current = handle;
  const counts = { reached: 0, running: 0, fellThrough: 0 };
  const sockets = new Set<Socket>();
  const closedBytesRead: number[] = [];
  const server = createServer((req, res) => {
    counts.reached += 1;
    counts.running += 1;
    current(req, res)
      .then((answered) => {
        if (!answered) {
          counts.fellThrough += 1;
          res
            .writeHead(404, { 'content-type': 'text/plain', 'content-length': '12' })
            .end('fell through');
        }
      })
      .finally(() => {
        counts.running -= 1;
      });
  });
  let accepted = 0;
  server.on('connection', (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      closedBytesRead.push(socket.bytesRead);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    server,
    get reached() {
      return counts.reached;
    },
    get running() {
      return counts.running;
    },
    get fellThrough() {
      return counts.fellThrough;
    },
    get connections() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    bytesRead() {
      let total = closedBytesRead.reduce((sum, bytes) => sum + bytes, 0);
      for (const socket of sockets) total += socket.bytesRead;
      return total;
    },
    closedBytesRead,
    use(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Parses the first HTTP/1.1 response in `raw`; `undefined` when there is none (yet). The
 * answer to a HEAD request has no body, whatever its Content-Length says.
 */
export function parseRawResponse(raw: Buffer, head = false): Answer | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!statusLine) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = head ? 0 : Number(headers['content-length'] ?? 0);
  const body = raw.subarray(end + 4, end + 4 + length);
  if (body.byteLength < length) return undefined;
  return { status: Number(statusLine[1]), headers, text: body.toString('utf8') };
}

/** What {@link rawExchange} saw. */
export interface RawOutcome {
  /** Everything the server sent. */
  raw: Buffer;
  /** The first response in it, if a complete one came. */
  answer: Answer | undefined;
  /** Whether the server closed (or reset) the connection. */
  closed: boolean;
}

/** Opens a TCP connection to `server`. */
export async function openSocket(server: Pick<TestServer, 'host' | 'port'>): Promise<Socket> {
  const socket = connect({ port: server.port, host: server.host });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * Writes `request` on a fresh connection, then waits until the server sent a complete
 * response and closed the connection, or until `timeoutMs` passed.
 */
export async function rawExchange(
  server: Pick<TestServer, 'host' | 'port'>,
  request: Uint8Array,
  options: { timeoutMs?: number; head?: boolean } = {},
): Promise<RawOutcome> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const socket = await openSocket(server);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  socket.write(request);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const didClose = await Promise.race([closed, timeout]);
  clearTimeout(timer);
  socket.destroy();
  const raw = Buffer.concat(chunks);
  return { raw, answer: parseRawResponse(raw, options.head), closed: didClose };
}

/** A keep-alive agent with a fixed number of sockets, as a busy sender would use. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** POSTs `body` with node:http through `agent`, resolving the whole answer. */
export function post(
  server: Pick<TestServer, 'host' | 'port'>,
  body: Uint8Array,
  options: { agent?: Agent; path?: string; headers?: Record<string, string | string[]> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: server.host,
        port: server.port,
        method: 'POST',
        path: options.path ?? '/hook',
        agent: options.agent ?? false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.byteLength),
          ...options.headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('the request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a fetch `Response` into an {@link Answer}. */
export async function fromResponse(response: Response): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  return { status: response.status, headers, text: await response.text() };
}

/** A deterministic pseudo-random generator (the one `send --shuffle` uses), so that runs can be replayed. */
export { seededRandom } from '../../src/cli/send.js';

/** Shuffles `items` in place with `random` (Fisher-Yates). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

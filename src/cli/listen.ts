import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { createNodeMiddleware } from '../adapters/node.js';
import type { WebhookError } from '../errors.js';
import type { TransitionVerdict } from '../lifecycle/classify.js';
import { bodyText } from '../payload/decode.js';
import type { WebhookEvent } from '../payload/event.js';
import type { WebhookBody } from '../payload/parse.js';
import { createWebhooks } from '../router/create-webhooks.js';
import { integer, parse, timeZone, UsageError } from './args.js';

export const LISTEN_HELP: string = `Usage: uanataca-webhooks listen [options]

Receives notifications like a production receiver: validates, deduplicates and answers
them, prints one line per notification and appends each new event as one JSON line to
a file.

Options:
  --port <n>             Port to listen on; 0 picks a free one       (default 8080)
  --host <address>       Address to bind                         (default 127.0.0.1)
  --path <path>          Path notifications are posted to                 (default /)
  --out <file>           JSON Lines file to append events to   (default events.jsonl)
  --time-zone <zone>     IANA zone of the provider's timestamps         (default UTC)
  --token <secret>       Require ?token=<secret> (or a last path segment)
  --max-body-bytes <n>   Largest body accepted                      (default 1048576)
  --quiet                Print nothing but errors
  -h, --help             Show this help

Stop it with Ctrl-C: deliveries in progress finish and the file is left whole.`;

/** One readable line per notification. */
function describe(event: WebhookEvent, verdict: string): string {
  const id = event.requestId === undefined ? '#-' : `#${event.requestId}`;
  return [
    event.occurredAt.toISOString(),
    id.padEnd(10),
    (event.eventType ?? '(legacy)').padEnd(22),
    event.status.padEnd(16),
    verdict,
  ].join(' ');
}

/**
 * The JSON line of an event: its normalized fields (absent ones as null) and, as `payload`,
 * the body as received. The body is spliced in as text and never re-serialised: JSON.parse
 * accepts nesting far deeper than a recursive JSON.stringify survives, and one such body
 * would otherwise fail every delivery. A body that parsed is valid JSON, and raw CR and LF
 * can only be whitespace between its tokens, so spaces keep it valid and on one line.
 */
function eventLine(
  event: WebhookEvent,
  verdict: TransitionVerdict | undefined,
  body: WebhookBody | undefined,
): string {
  const fields = {
    format: event.format,
    eventType: event.eventType,
    status: event.status,
    previousStatus: event.previousStatus,
    requestId: event.requestId,
    registrationAuthority: event.registrationAuthority,
    profile: event.profile,
    scratchcard: event.scratchcard,
    sentAt: event.sentAt,
    changedAt: event.changedAt,
    occurredAt: event.occurredAt,
    certificates: event.certificates,
    idempotencyKey: event.idempotencyKey,
    verdict,
  };
  const head = JSON.stringify(fields, (_, v) => v ?? null).slice(0, -1);
  const text = body === undefined ? undefined : bodyText(body);
  if (text === undefined) {
    return `${head},"payload":null,"payloadNote":"the body was not received as text or bytes"}`;
  }
  return `${head},"payload":${text.replace(/[\r\n]/g, ' ')}}`;
}

/** Runs `listen`; resolves when the server has stopped. */
export async function listen(
  argv: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
  stop: AbortSignal,
): Promise<number> {
  const { values } = parse(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      path: { type: 'string' },
      out: { type: 'string' },
      'time-zone': { type: 'string' },
      token: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    out(LISTEN_HELP);
    return 0;
  }
  const port = integer(values.port, 'port', 8080, 0, 65535);
  const maxBodyBytes = integer(values['max-body-bytes'], 'max-body-bytes', 1024 * 1024, 1, 2 ** 31);
  const path = values.path ?? '/';
  if (!path.startsWith('/')) throw new UsageError(`--path must start with "/", got "${path}"`);
  if (values.token === '') throw new UsageError('--token cannot be empty');
  const file = resolve(values.out ?? 'events.jsonl');
  const log = values.quiet ? () => {} : out;

  // The router keeps each request's last applied status: handlers read the verdict.
  const webhooks = createWebhooks({ timeZone: timeZone(values['time-zone']), state: {} });
  // The body of the delivery being handled, for its handler to write as it was received.
  const delivery = new AsyncLocalStorage<WebhookBody>();
  webhooks.on('*', async (event, { transition }) => {
    await appendFile(file, `${eventLine(event, transition, delivery.getStore())}\n`);
  });
  const report = (error: WebhookError): void => {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    err(`${new Date().toISOString()} ${error.status} ${error.code}: ${error.message}${cause}`);
  };
  const middleware = createNodeMiddleware(
    {
      async receive(body, context) {
        const result = await delivery.run(body, () => webhooks.receive(body, context));
        log(
          describe(
            result.event,
            result.duplicate ? 'duplicate' : (result.transition ?? 'untracked'),
          ),
        );
        return result;
      },
    },
    {
      path,
      maxBodyBytes,
      onError: report,
      // A receiver for trying things out, on 127.0.0.1 by default: open unless --token is given.
      auth: values.token === undefined ? false : { token: values.token },
    },
  );

  const server = createServer((req, res) => {
    middleware(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"ok":false,"error":{"code":"not_found","message":"Not found"}}');
      }
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} is already in use; try --port 0`)
          : error,
      ),
    );
    server.listen(port, values.host ?? '127.0.0.1', () => done());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address : { address: '?', port };
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  const query = values.token === undefined ? '' : '?token=<token>';
  out(`listening on http://${host}:${bound.port}${path}${query}, writing ${file}`);

  await new Promise<void>((done) => {
    if (stop.aborted) done();
    else stop.addEventListener('abort', () => done(), { once: true });
  });
  // Finish deliveries in progress (their lines are written before they are answered), then
  // close idle connections.
  await new Promise<void>((done) => {
    server.close(() => done());
    server.closeIdleConnections();
    // A client holding a connection open does not keep the process alive for long.
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  });
  log('stopped');
  return 0;
}

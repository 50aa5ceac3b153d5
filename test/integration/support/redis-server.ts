// Real Redis servers (which can be paused), Redis clients, a cuttable TCP proxy, an in-process
// receiver and receiver processes for the Redis integration tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import { createNodeMiddleware } from '../../../src/adapters/node.js';
import type { Webhooks } from '../../../src/index.js';
import type { RedisClientLike } from '../../../src/redis/index.js';
import {
  assertBuilt as assertDistBuilt,
  exited,
  startLineChild,
} from '../../support/child-process.js';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on (at the time of asking). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves whether a Redis server answers PING on `port`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** A `redis-server` process this test suite started. */
export interface RedisServer {
  readonly port: number;
  /** Whether it is running. */
  readonly running: boolean;
  /** Whether it is paused by {@link RedisServer.pause}. */
  readonly paused: boolean;
  /**
   * Freezes the process with SIGSTOP: connections stay open and commands are accepted by the
   * kernel, but nothing is answered until {@link RedisServer.resume}.
   */
  pause(): void;
  /** Lets a paused process run again (SIGCONT); it then answers what it was sent meanwhile. */
  resume(): void;
  /**
   * Stops the server, resuming it first if paused (data is lost unless it was started with
   * `durable`).
   */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would: it saves nothing on its way out. */
  crash(): Promise<void>;
  /** Starts it again on the same port: empty, or with what its append-only file holds. */
  start(): Promise<void>;
}

/** How {@link startRedisServer} configures the server. */
export interface RedisServerOptions {
  /**
   * Whether it keeps an append-only file synced on every write (`appendonly yes`,
   * `appendfsync always`), so that what it acknowledged survives a crash. Otherwise nothing
   * is saved.
   *
   * @default false
   */
  readonly durable?: boolean;
  /** Whether it runs in cluster mode, to be joined by {@link startRedisCluster}. */
  readonly cluster?: boolean;
}

async function launch(port: number, dir: string, extra: readonly string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...extra];
  const child = spawn(REDIS_SERVER, [...args, '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const failure = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `Cannot run ${REDIS_SERVER}: the Redis integration tests need a real Redis server. ` +
                'Install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_SERVER ' +
                'to the path of the binary.',
            )
          : error,
      );
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server exited early (${code ?? signal}):\n${output}`)),
    );
  });
  failure.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await Promise.race([sleep(50), failure]);
    if (await ping(port)) return child;
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${output}`);
}

/** Starts a `redis-server` on a free loopback port, without persistence unless `durable`. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const extra = [
    ...(options.durable
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
    ...(options.cluster ? ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000'] : []),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-redis-'));
  let child: ChildProcess | undefined;
  let paused = false;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, extra);
    } catch (error) {
      // Another process may have taken the port between asking and listening.
      if (attempt >= 3 || (error as Error).message.startsWith('Cannot run')) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const server: RedisServer = {
    port,
    get running() {
      return child !== undefined;
    },
    get paused() {
      return paused;
    },
    pause() {
      if (child === undefined) throw new Error('redis-server is not running');
      if (!child.kill('SIGSTOP')) throw new Error('could not send SIGSTOP to redis-server');
      paused = true;
    },
    resume() {
      if (!paused) return;
      child?.kill('SIGCONT');
      paused = false;
    },
    async stop() {
      const current = child;
      if (current === undefined) return;
      // A stopped process keeps SIGTERM pending until it is continued.
      server.resume();
      child = undefined;
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 3_000);
      await exited(current);
      clearTimeout(timer);
    },
    async crash() {
      const current = child;
      if (current === undefined) return;
      child = undefined;
      paused = false;
      current.kill('SIGKILL');
      await exited(current);
    },
    async start() {
      if (child === undefined) child = await launch(port, dir, extra);
    },
  };
  process.once('exit', () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

/** A Redis Cluster of three primaries this test suite started. */
export interface RedisCluster {
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/**
 * Starts three `redis-server` processes in cluster mode, joins them and shares the 16 384
 * slots between them; resolves once every node says the cluster is ok.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(await startRedisServer({ cluster: true }));
    const nodes = servers.map((server) => new Redis({ port: server.port, host: '127.0.0.1' }));
    try {
      const third = Math.ceil(16_384 / 3);
      for (const [i, node] of nodes.entries()) {
        await node.call(
          'CLUSTER',
          'ADDSLOTSRANGE',
          i * third,
          Math.min(16_383, (i + 1) * third - 1),
        );
        await node.call('CLUSTER', 'MEET', '127.0.0.1', servers[0]!.port);
      }
      const deadline = Date.now() + 20_000;
      for (const node of nodes) {
        for (;;) {
          const info = String(await node.call('CLUSTER', 'INFO'));
          if (info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3')) break;
          if (Date.now() > deadline) throw new Error(`the cluster did not form:\n${info}`);
          await sleep(100);
        }
      }
    } finally {
      for (const node of nodes) node.disconnect();
    }
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  return {
    ports: servers.map((server) => server.port),
    async stop() {
      for (const server of servers) await server.stop();
    },
  };
}

/** A cluster client of `kind` on `ports`, connected, and how to close it. */
export async function createClusterClient(
  kind: ClientKind,
  ports: readonly number[],
): Promise<{ client: RedisClientLike; close(): Promise<void> }> {
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  if (kind === 'ioredis') {
    const cluster = new Cluster(nodes, { enableOfflineQueue: false });
    cluster.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ioredis cluster: not ready')), 10_000);
      cluster.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return { client: cluster, close: async () => cluster.disconnect() };
  }
  const cluster = createCluster({
    rootNodes: nodes.map((socket) => ({ socket })),
    defaults: { disableOfflineQueue: true },
  });
  cluster.on('error', () => {});
  await cluster.connect();
  return { client: cluster, close: async () => cluster.destroy() };
}

/** The two clients the Redis stores support. */
export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENT_KINDS: readonly ClientKind[] = ['ioredis', 'node-redis'];

/** A client with what the tests need of it, whichever library it comes from. */
export interface TestClient {
  readonly kind: ClientKind;
  /** The client itself, to give to the stores. */
  readonly client: RedisClientLike;
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  incr(key: string): Promise<number>;
  keys(pattern: string): Promise<string[]>;
  flushall(): Promise<void>;
  /** Resolves once the client can run commands again (after a reconnection). */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How {@link createTestClient} configures its client. */
export interface TestClientOptions {
  /**
   * `'fast'`: the documented settings with short timeouts (1 s), so that tests of the
   * client's own failures finish quickly. `'documented'`: exactly the settings of the README's
   * examples (node-redis: `socketTimeout` 5 s, `pingInterval` 1 s; ioredis: `commandTimeout`
   * 2 s).
   *
   * @default 'fast'
   */
  readonly settings?: 'fast' | 'documented';
}

/**
 * Creates a client configured the way the stores' documentation says, to fail fast while
 * Redis is unreachable. Connection is not awaited (a client to a dead port never connects).
 */
export function createTestClient(
  kind: ClientKind,
  port: number,
  options: TestClientOptions = {},
): TestClient {
  const documented = options.settings === 'documented';
  if (kind === 'ioredis') {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: documented ? 2_000 : 1_000,
      ...(documented ? {} : { retryStrategy: () => 50 }),
    });
    client.on('error', () => {});
    return {
      kind,
      client,
      get: (key) => client.get(key),
      pttl: (key) => client.pttl(key),
      incr: (key) => client.incr(key),
      keys: (pattern) => client.keys(pattern),
      flushall: async () => {
        await client.flushall();
      },
      async ready(timeoutMs = 5_000) {
        if (client.status === 'ready') return;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('ioredis: not ready')), timeoutMs);
          client.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      },
      async close() {
        client.disconnect();
      },
    };
  }
  const client = createClient({
    socket: {
      port,
      host: '127.0.0.1',
      reconnectStrategy: documented ? (retries) => Math.min(retries * 100, 2_000) : () => 50,
      connectTimeout: documented ? 2_000 : 1_000,
      socketTimeout: documented ? 5_000 : 1_000,
    },
    pingInterval: documented ? 1_000 : 300,
    disableOfflineQueue: true,
  });
  client.on('error', () => {});
  const connecting = client.connect().catch(() => {});
  return {
    kind,
    client,
    get: (key) => client.get(key),
    pttl: (key) => client.pTTL(key),
    incr: (key) => client.incr(key),
    keys: (pattern) => client.keys(pattern),
    flushall: async () => {
      await client.flushAll();
    },
    async ready(timeoutMs = 5_000) {
      await connecting;
      const deadline = Date.now() + timeoutMs;
      while (!client.isReady) {
        if (Date.now() > deadline) throw new Error('node-redis: not ready');
        await sleep(20);
      }
    },
    async close() {
      client.destroy();
    },
  };
}

/** A TCP proxy in front of a Redis server, to cut a client off without stopping Redis. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones until `restore`, like a stopped server. */
  cut(): Promise<void>;
  /** Keeps connections open but forwards nothing, like a stalled network, until `restore`. */
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let stalled = false;
  // Bytes sent while stalled are delivered on restore, as TCP would once the network is back.
  let held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (stalled) held.push(() => to.write(chunk));
        else to.write(chunk);
      });
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const port = address.port;
  const stopListening = async (): Promise<void> => {
    const closed = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port,
    async cut() {
      await stopListening();
    },
    stall() {
      stalled = true;
    },
    async restore() {
      stalled = false;
      for (const write of held) write();
      held = [];
      if (!server.listening) await listen(port);
    },
    async close() {
      await stopListening();
    },
  };
}

/** Fails with a clear message when the package has not been built. */
export function assertBuilt(): void {
  assertDistBuilt(['index.js', 'node.js', 'redis.js'], 'The multi-process Redis tests');
}

/**
 * A receiver process: `createWebhooks` with the Redis dedupe and state stores, behind
 * `createNodeMiddleware`, imported from the built package by its name. Every handler run
 * increments `<prefix>test:runs:<idempotencyKey>`; a notification of request
 * `HANG_REQUEST_ID` makes its handler print `HANG <key>` and never finish.
 */
const RECEIVER_SOURCE = `
import { createServer } from 'node:http';
import { createWebhooks } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';
import { createRedisDedupeStore, createRedisStateStore } from 'uanataca-webhooks/redis';

const env = process.env;
const port = Number(env.REDIS_PORT);
const prefix = env.PREFIX;
let client;
if (env.CLIENT === 'ioredis') {
  const { Redis } = await import('ioredis');
  client = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await new Promise((resolve) => client.once('ready', resolve));
} else {
  const { createClient } = await import('redis');
  client = createClient({ socket: { port, host: '127.0.0.1' }, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
}
const webhooks = createWebhooks({
  dedupe: { store: createRedisDedupeStore(client, { prefix }), claimTtlMs: Number(env.CLAIM_TTL_MS) },
  state: { store: createRedisStateStore(client, { prefix }) },
  ...(env.HANDLER_TIMEOUT_MS && { handlerTimeoutMs: Number(env.HANDLER_TIMEOUT_MS) }),
  ...(env.STORE_TIMEOUT_MS && { storeTimeoutMs: Number(env.STORE_TIMEOUT_MS) }),
});
const delay = Number(env.HANDLER_DELAY_MS ?? 0);
webhooks.on('*', async (event, context) => {
  if (event.requestId === Number(env.HANG_REQUEST_ID)) {
    process.stdout.write('HANG ' + context.idempotencyKey + '\\n');
    await new Promise(() => {});
  }
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * delay));
  await client.incr(prefix + 'test:runs:' + context.idempotencyKey);
});
const middleware = createNodeMiddleware(webhooks, { path: '/webhooks' });
const server = createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write('LISTENING ' + server.address().port + '\\n'));
`;

/** A receiver process started by {@link startReceiver}. */
export interface Receiver {
  readonly url: string;
  readonly process: ChildProcess;
  /** Resolves with the first line of output starting with `prefix`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Kills the process with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
}

export interface ReceiverOptions {
  readonly client: ClientKind;
  readonly redisPort: number;
  readonly prefix: string;
  readonly claimTtlMs: number;
  readonly hangRequestId?: number;
  readonly handlerDelayMs?: number;
  /** The router's `handlerTimeoutMs` (its default when not given). */
  readonly handlerTimeoutMs?: number;
  /** The router's `storeTimeoutMs` (its default when not given). */
  readonly storeTimeoutMs?: number;
}

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  assertBuilt();
  const child = startLineChild(process.execPath, ['--input-type=module', '-e', RECEIVER_SOURCE], {
    name: 'receiver',
    env: {
      ...process.env,
      CLIENT: options.client,
      REDIS_PORT: String(options.redisPort),
      PREFIX: options.prefix,
      CLAIM_TTL_MS: String(options.claimTtlMs),
      HANG_REQUEST_ID: String(options.hangRequestId ?? -1),
      HANDLER_DELAY_MS: String(options.handlerDelayMs ?? 0),
      HANDLER_TIMEOUT_MS: String(options.handlerTimeoutMs ?? ''),
      STORE_TIMEOUT_MS: String(options.storeTimeoutMs ?? ''),
    },
    timeoutMs: 10_000,
  });
  const listening = await child.waitFor('LISTENING ');
  return {
    url: `http://127.0.0.1:${listening.slice('LISTENING '.length)}/webhooks`,
    process: child.process,
    waitFor: child.waitFor,
    kill: child.kill,
  };
}

/** A node:http server running createNodeMiddleware over `webhooks`, in this process. */
export async function serve(
  webhooks: Webhooks,
): Promise<{ url: string; close: () => Promise<void> }> {
  const middleware = createNodeMiddleware(webhooks);
  const server: HttpServer = createHttpServer((req, res) => void middleware(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Posts a body; resolves with the status, the parsed body and the `retry-after` header. */
export async function post(
  url: string,
  body: string,
): Promise<{
  status: number;
  body: { ok: boolean; duplicate?: boolean };
  retryAfter: string | null;
}> {
  const response = await fetch(url, { method: 'POST', body });
  return {
    status: response.status,
    body: (await response.json()) as { ok: boolean; duplicate?: boolean },
    retryAfter: response.headers.get('retry-after'),
  };
}

/** What {@link useRedisServer} gives a test file. */
export interface SharedRedis {
  /** The file's server (started before its first test). */
  readonly server: RedisServer;
  /** The ready client of `kind` on it. */
  client(kind: ClientKind): TestClient;
}

/**
 * Starts one redis-server for the calling test file, before its tests, with a ready client of
 * each kind, and stops them all after.
 */
export function useRedisServer(): SharedRedis {
  let server: RedisServer | undefined;
  const clients = new Map<ClientKind, TestClient>();
  beforeAll(async () => {
    server = await startRedisServer();
    for (const kind of CLIENT_KINDS) {
      const client = createTestClient(kind, server.port);
      await client.ready();
      clients.set(kind, client);
    }
  });
  afterAll(async () => {
    for (const client of clients.values()) await client.close();
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the Redis server is not started yet');
      return server;
    },
    client(kind) {
      const found = clients.get(kind);
      if (found === undefined) throw new Error(`no ${kind} client`);
      return found;
    },
  };
}

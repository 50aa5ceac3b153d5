// `uanataca-webhooks inbox`, run as the built dist/cli.js against inboxes the library filled:
// a SQLite file, a real PostgreSQL cluster and a real redis-server (with each Redis client).
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhooks, type InboxEntry, type InboxStore } from '../../src/index.js';
import { createPostgresInbox } from '../../src/postgres/index.js';
import { createRedisInbox } from '../../src/redis/index.js';
import { createSqliteInbox } from '../../src/sqlite/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  createPool,
  freshPrefix,
  type PostgresServer,
  startPostgresServer,
} from './support/postgres-server.js';
import {
  type ClientKind,
  createTestClient,
  freePort,
  type RedisServer,
  startRedisServer,
  type TestClient,
} from './support/redis-server.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], script = cli): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { NO_COLOR: _, ...env } = process.env;
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `inbox <args>` on `inbox`'s store, expecting exit code 0; resolves stdout. */
async function ok(inbox: Inbox, ...args: string[]): Promise<string> {
  const result = await run(['inbox', ...args, ...inbox.args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** One line, one error, no stack trace: what every failure of the command line looks like. */
function expectOneLine(result: Run, code: number, message: string): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toContain(message);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const DONE = 41_001;
const DEAD = 41_002;
const PENDING = 41_003;
const FAILURE = 'billing database refused the connection';
const INVALID = '{"eventType":"REQUEST_CREATED","requestId":7}';

/** A filled inbox: its store (to check what the command line did) and the options naming it. */
interface Inbox {
  readonly store: InboxStore;
  readonly args: readonly string[];
  readonly ids: Readonly<Record<'done' | 'dead' | 'invalid' | 'pending', string>>;
}

/**
 * Fills `store` through the library: a notification handled, one whose handler fails
 * (`attempts: 1`, so dead at once), a body that is not a notification (invalid), and one
 * received after the worker ran (pending).
 */
async function fill(store: InboxStore, args: readonly string[]): Promise<Inbox> {
  const webhooks = createWebhooks({ inbox: { store, worker: false, attempts: 1 } });
  webhooks.on('*', (event) => {
    if (event.requestId === DEAD) throw new Error(FAILURE);
  });
  const body = (requestId: number, extra: object = {}) =>
    JSON.stringify(createTestPayload({ requestId, status: 'CREATED', ...extra }));
  await webhooks.receive(body(DONE));
  await webhooks.receive(body(DEAD));
  await expect(webhooks.receive(INVALID)).rejects.toMatchObject({ code: 'invalid_payload' });
  await webhooks.inbox.drain();
  await webhooks.receive(body(PENDING, { status: 'VIDEOREVIEW', eventType: 'VIDEOID_UPDATED' }));
  await webhooks.inbox.stop();
  const entries = await store.list({});
  const find = (test: (entry: InboxEntry) => boolean): string => {
    const found = entries.find(test);
    if (found === undefined) throw new Error('the inbox was not filled as expected');
    return found.id;
  };
  const ids = {
    done: find((entry) => entry.requestId === DONE && entry.status === 'done'),
    dead: find((entry) => entry.requestId === DEAD && entry.status === 'dead'),
    invalid: find((entry) => entry.status === 'invalid'),
    pending: find((entry) => entry.requestId === PENDING && entry.status === 'pending'),
  };
  return { store, args, ids };
}

let postgres: PostgresServer;
let pool: pg.Pool;
let redis: RedisServer;
const redisClients = new Map<ClientKind, TestClient>();
const dir = mkdtempSync(join(tmpdir(), 'uanataca-cli-inbox-'));
const opened: InboxStore[] = [];
let files = 0;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
  pool = createPool(postgres);
  for (const kind of ['ioredis', 'node-redis'] as const) {
    const client = createTestClient(kind, redis.port);
    await client.ready();
    redisClients.set(kind, client);
  }
});

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close?.()));
  for (const client of redisClients.values()) await client.close();
  await pool?.end();
  await Promise.all([postgres?.destroy(), redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Each engine: a fresh, filled inbox, and the URL of a server that is not there. */
interface Engine {
  readonly name: string;
  create(): Promise<Inbox>;
  unreachable(): Promise<{ args: string[]; message: string; secret?: string }>;
}

const redisEngine = (kind: ClientKind): Engine => ({
  name: `Redis (${kind})`,
  async create() {
    const prefix = `{cli-${process.pid}-${++files}}:`;
    const client = redisClients.get(kind)!;
    return fill(createRedisInbox(client.client, { prefix }), [
      '--store',
      `redis://127.0.0.1:${redis.port}/0`,
      '--prefix',
      prefix,
      '--redis-client',
      kind === 'ioredis' ? 'ioredis' : 'redis',
    ]);
  },
  async unreachable() {
    const client = kind === 'ioredis' ? 'ioredis' : 'redis';
    const url = `redis://:s3cret-pw@127.0.0.1:${await freePort()}/0`;
    return {
      args: ['--store', url, '--redis-client', client],
      message: 'cannot connect to redis://:<password>@127.0.0.1:',
      secret: 's3cret-pw',
    };
  },
});

const ENGINES: Engine[] = [
  {
    name: 'SQLite',
    async create() {
      const path = join(dir, `inbox-${++files}.sqlite`);
      const store = createSqliteInbox({ path });
      opened.push(store);
      return fill(store, ['--store', path]);
    },
    async unreachable() {
      const path = join(dir, 'missing', 'inbox.sqlite');
      return { args: ['--store', path], message: `no inbox at ${path}: the file does not exist` };
    },
  },
  {
    name: 'PostgreSQL',
    async create() {
      const tablePrefix = freshPrefix();
      // The cluster trusts local connections: the password is there to be hidden.
      const url = `postgres://postgres:s3cret-pw@127.0.0.1:${postgres.port}/postgres`;
      return fill(createPostgresInbox(pool, { tablePrefix }), [
        '--store',
        url,
        '--table-prefix',
        tablePrefix,
      ]);
    },
    async unreachable() {
      const url = `postgresql://app:s3cret-pw@127.0.0.1:${await freePort()}/app?sslpassword=key-pw`;
      return {
        args: ['--store', url],
        message: 'cannot connect to postgresql://app:<password>@127.0.0.1:',
        secret: 'pw',
      };
    },
  },
  redisEngine('ioredis'),
  redisEngine('node-redis'),
];

describe.each(ENGINES)('uanataca-webhooks inbox on $name', (engine) => {
  it('lists entries as a table, filtered, paged, and as JSON lines', async () => {
    const inbox = await engine.create();
    const { ids } = inbox;
    const [table, dead, request, type, page, json] = await Promise.all([
      ok(inbox, 'list'),
      ok(inbox, 'list', '--status', 'dead'),
      ok(inbox, 'list', '--request', String(PENDING)),
      ok(inbox, 'list', '--event-type', 'videoid_updated'),
      ok(inbox, 'list', '--limit', '2'),
      ok(inbox, 'list', '--json', '--status', 'dead,invalid'),
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+STATUS\s+ATTEMPTS\s+REQUEST\s+EVENT TYPE\s+RECEIVED AT\s+LAST ERROR$/,
    );
    // Newest first.
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([
      ids.pending,
      ids.invalid,
      ids.dead,
      ids.done,
    ]);
    const deadLine = lines.find((line) => line.startsWith(`${ids.dead} `))!;
    expect(deadLine).toMatch(
      new RegExp(
        `^${ids.dead}\\s+dead\\s+1\\s+${DEAD}\\s+REQUEST_CREATED\\s+\\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    expect(deadLine).toContain(FAILURE.slice(0, 10));
    expect(table).not.toContain('\x1b[');

    expect(dead.trimEnd().split('\n').slice(1)).toEqual([expect.stringMatching(`^${ids.dead} `)]);
    expect(request.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(`^${ids.pending}\\s+pending\\s+0\\s+${PENDING}\\s+VIDEOID_UPDATED`),
    ]);
    expect(type).toContain(`${PENDING}`);
    expect(type).not.toContain(`${DEAD}`);

    const pageLines = page.trimEnd().split('\n');
    expect(pageLines).toHaveLength(4);
    expect(pageLines[3]).toBe(`2 shown; older entries with --before ${ids.invalid}`);
    const next = await ok(inbox, 'list', '--limit', '2', '--before', ids.invalid);
    expect(
      next
        .trimEnd()
        .split('\n')
        .slice(1, 3)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual([ids.dead, ids.done]);

    const objects = json
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(objects).toEqual([
      {
        id: ids.invalid,
        idempotencyKey: expect.stringMatching(/^invalid:/),
        requestId: null,
        eventType: null,
        status: 'invalid',
        attempts: 0,
        receivedAt: expect.stringMatching(/Z$/),
        nextAttemptAt: null,
        lastError: expect.stringContaining('request'),
        body: INVALID,
      },
      expect.objectContaining({
        id: ids.dead,
        requestId: DEAD,
        eventType: 'REQUEST_CREATED',
        status: 'dead',
        attempts: 1,
        lastError: expect.stringContaining(FAILURE),
      }),
    ]);
    expect(await ok(inbox, 'list', '--status', 'running')).toBe('no entries match\n');
  });

  it('shows one entry in full, and fails with exit code 1 for an id it does not have', async () => {
    const inbox = await engine.create();
    const [text, json, missing] = await Promise.all([
      ok(inbox, 'show', inbox.ids.dead),
      ok(inbox, 'show', inbox.ids.dead, '--json'),
      run(['inbox', 'show', '987654', ...inbox.args]),
    ]);
    expect(text).toMatch(new RegExp(`^id +${inbox.ids.dead}$`, 'm'));
    expect(text).toMatch(/^status +dead$/m);
    expect(text).toMatch(/^attempts +1$/m);
    expect(text).toMatch(new RegExp(`^request +${DEAD}$`, 'm'));
    expect(text).toMatch(/^received at +\d{4}-\d\d-\d\dT\S+Z \(\d+ s ago\)$/m);
    expect(text).toMatch(new RegExp(`^last error +.*${FAILURE}`, 'm'));
    // The body, indented.
    expect(text).toContain(`\n    "pk": ${DEAD}\n`);
    const entry = JSON.parse(json);
    expect(entry).toMatchObject({ id: inbox.ids.dead, status: 'dead', requestId: DEAD });
    expect(JSON.parse(entry.body)).toMatchObject({ request: { pk: DEAD } });
    expectOneLine(missing, 1, 'uanataca-webhooks: no entry 987654');
  });

  it('counts entries by status, with the age of the oldest pending one', async () => {
    const inbox = await engine.create();
    const [text, json] = await Promise.all([ok(inbox, 'stats'), ok(inbox, 'stats', '--json')]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/ \((table|keys) \S+\)$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^pending +1 +oldest received \d+ s ago, \d{4}-\d\d-\d\dT\S+Z$/),
      'running  0',
      'done     1',
      'dead     1',
      'invalid  1',
      'total    4',
    ]);
    expect(text).not.toContain('s3cret-pw');
    const report = JSON.parse(json);
    expect(report).toEqual({
      pending: 1,
      running: 0,
      done: 1,
      dead: 1,
      invalid: 1,
      oldestPendingAt: expect.stringMatching(/Z$/),
      oldestPendingAgeMs: expect.any(Number),
    });
  });

  it('replays one entry or a filter: pending again in the store', async () => {
    const inbox = await engine.create();
    const { store, ids } = inbox;
    expect(await ok(inbox, 'replay', ids.dead)).toBe(
      `entry ${ids.dead} is pending again, queued to be handled\n`,
    );
    expect(await store.get(ids.dead)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await ok(inbox, 'replay', ids.pending)).toContain('pending or running already');

    // An invalid entry this version still refuses stays invalid.
    const invalid = await run(['inbox', 'replay', ids.invalid, ...inbox.args]);
    expectOneLine(invalid, 1, `entry ${ids.invalid} is still not a valid notification`);
    expect(await ok(inbox, 'replay', '--status', 'invalid', '--json')).toBe(
      '{"replayed":0,"duplicate":0,"busy":0,"invalid":1,"missing":0}\n',
    );

    // One an older version refused, which this one reads: replayed with its fields.
    const { id: older } = await store.add({
      idempotencyKey: `invalid:older-${++files}`,
      status: 'invalid',
      receivedAt: new Date(),
      lastError: 'an older parser refused it',
      body: JSON.stringify(createTestPayload({ requestId: 41_004, status: 'ENROLLREADY' })),
    });
    expect(await ok(inbox, 'replay', '--status', 'invalid', '--dry-run')).toBe(
      'would queue again 1 entry (1 invalid); nothing changed\nwould leave as they are: 1 still invalid\n',
    );
    expect((await store.get(older))?.status).toBe('invalid');
    expect(await ok(inbox, 'replay', '--status', 'invalid,done')).toBe(
      '2 entries queued again\n1 invalid entry is still not valid: left as it is\n',
    );
    expect(await store.get(older)).toMatchObject({ status: 'pending', requestId: 41_004 });
    expect(await store.get(ids.done)).toMatchObject({ status: 'pending', attempts: 0 });

    const missing = await run(['inbox', 'replay', '987654', ...inbox.args]);
    expectOneLine(missing, 1, 'uanataca-webhooks: no entry 987654');
    const everything = await run(['inbox', 'replay', ...inbox.args]);
    expectOneLine(everything, 2, 'inbox replay needs an entry <id>, a filter');
  });

  it('purges what a filter matches, and refuses a purge without one', async () => {
    const inbox = await engine.create();
    const { store, ids } = inbox;
    const refused = await run(['inbox', 'purge', ...inbox.args]);
    expectOneLine(refused, 2, 'inbox purge needs --status or --older-than');
    const byRequest = await run(['inbox', 'purge', '--request', String(DEAD), ...inbox.args]);
    expectOneLine(byRequest, 2, 'inbox purge needs --status or --older-than');
    expect((await store.stats()).dead).toBe(1);

    expect(await ok(inbox, 'purge', '--status', 'done,dead', '--dry-run')).toBe(
      'would purge 2 entries (1 done, 1 dead); nothing deleted\n',
    );
    expect(await store.get(ids.done)).toBeDefined();
    // Nothing received that long ago.
    expect(await ok(inbox, 'purge', '--status', 'done', '--older-than', '1h')).toBe(
      'purged 0 entries\n',
    );
    expect(await ok(inbox, 'purge', '--status', 'done')).toBe('purged 1 entry\n');
    expect(await store.get(ids.done)).toBeUndefined();
    expect(await ok(inbox, 'purge', '--all', '--request', String(DEAD), '--json')).toBe(
      '{"purged":1}\n',
    );
    expect(await store.get(ids.dead)).toBeUndefined();

    // Without --status, only what was handled: a pending notification takes --status pending.
    expect(await ok(inbox, 'purge', '--all', '--request', String(PENDING), '--dry-run')).toBe(
      'would purge 0 entries; nothing deleted\n',
    );
    expect(await ok(inbox, 'purge', '--older-than', '0s', '--dry-run')).toBe(
      'would purge 1 entry (1 invalid); nothing deleted\n',
    );
    expect(await ok(inbox, 'purge', '--older-than', '0s')).toBe('purged 1 entry\n');
    expect(await ok(inbox, 'purge', '--all')).toBe('purged 0 entries\n');
    expect(await store.get(ids.pending)).toMatchObject({ status: 'pending' });
    expect(await ok(inbox, 'purge', '--status', 'pending', '--dry-run')).toBe(
      'would purge 1 entry (1 pending); nothing deleted\n',
    );
    expect(await ok(inbox, 'purge', '--status', 'pending', '--older-than', '0s')).toBe(
      'purged 1 entry\n',
    );
    expect(await store.stats()).toMatchObject({ pending: 0, done: 0, dead: 0, invalid: 0 });
  });

  it('keeps pending notifications that a purge by age alone matches', async () => {
    const inbox = await engine.create();
    const { store, ids } = inbox;
    const webhooks = createWebhooks({ inbox: { store, worker: false } });
    for (const requestId of [41_101, 41_102]) {
      await webhooks.receive(JSON.stringify(createTestPayload({ requestId, status: 'CREATED' })));
    }
    await webhooks.inbox.stop();
    expect((await store.stats()).pending).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    expect(await ok(inbox, 'purge', '--older-than', '1s', '--dry-run')).toBe(
      'would purge 3 entries (1 done, 1 dead, 1 invalid); nothing deleted\n',
    );
    expect(await ok(inbox, 'purge', '--older-than', '1s', '--json')).toBe('{"purged":3}\n');
    expect(await store.stats()).toMatchObject({ pending: 3, done: 0, dead: 0, invalid: 0 });
    expect(await store.get(ids.pending)).toMatchObject({ status: 'pending' });
  });

  it('says in one line that the store cannot be reached, and exits 1', async () => {
    const { args, message, secret } = await engine.unreachable();
    const result = await run(['inbox', 'stats', ...args]);
    expectOneLine(result, 1, message);
    expect(result.stdout).toBe('');
    if (secret !== undefined) expect(result.stderr).not.toContain(secret);
  });
});

// The checks of the command line itself are in test/unit/cli-inbox.test.ts, in process; these
// run the built tool, for its exit codes and what reaches stdout and stderr.
describe('uanataca-webhooks inbox', () => {
  it.each([
    [['inbox', '--help'], 'Usage: uanataca-webhooks inbox <command>'],
    [['inbox', 'purge', '--help'], 'Usage: uanataca-webhooks inbox purge'],
    [['--help'], 'inbox <cmd>'],
  ])('prints help for %j', async (args, text) => {
    const result = await run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(text);
    expect(result.stderr).toBe('');
  });

  it('prints its help and exits 2 without a command', async () => {
    const result = await run(['inbox']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Commands:');
  });

  it.each([
    [['inbox', 'frobnicate'], 'unknown inbox command "frobnicate"; use list, show'],
    [['inbox', 'list'], 'inbox list needs --store <SQLite file | postgres:// URL | redis:// URL>'],
    [['inbox', 'purge', '--store', 'x.sqlite'], 'inbox purge needs --status or --older-than'],
    [['inbox', 'stats', '--store', 'x.sqlite', '--bogus'], 'unknown option --bogus'],
  ])('rejects %j with one clear line and exit code 2', async (args, message) => {
    expectOneLine(await run(args), 2, message);
  });

  it('says which table it looked for when --table-prefix is wrong, and creates none', async () => {
    const url = `postgres://postgres@127.0.0.1:${postgres.port}/postgres`;
    const prefix = freshPrefix();
    const result = await run(['inbox', 'stats', '--store', url, '--table-prefix', prefix]);
    expectOneLine(
      result,
      1,
      `has no inbox table "${prefix}inbox": check --schema and --table-prefix`,
    );
    const { rows } = await pool.query('SELECT to_regclass($1) AS found', [`${prefix}inbox`]);
    expect(rows[0].found).toBeNull();
  });

  it('refuses a file that holds no inbox, without writing to it', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'not a database');
    expectOneLine(await run(['inbox', 'list', '--store', path]), 1, 'file is not a database');
    expect(readFileSync(path, 'utf8')).toBe('not a database');
  });

  it('says what to install when the database client is missing', async () => {
    // The built tool beside zod only, as in a project that installed neither pg nor a Redis client.
    const alone = mkdtempSync(join(dir, 'alone-'));
    cpSync(join(root, 'dist'), join(alone, 'dist'), { recursive: true });
    mkdirSync(join(alone, 'node_modules'));
    symlinkSync(join(root, 'node_modules', 'zod'), join(alone, 'node_modules', 'zod'));
    writeFileSync(join(alone, 'package.json'), '{"type":"module"}');
    const script = join(alone, 'dist', 'cli.js');
    const [postgresMissing, redisMissing, nodeRedisMissing] = await Promise.all([
      run(['inbox', 'stats', '--store', 'postgres://127.0.0.1:9/db'], script),
      run(['inbox', 'stats', '--store', 'redis://127.0.0.1:9'], script),
      run(['inbox', 'stats', '--store', 'redis://127.0.0.1:9', '--redis-client', 'redis'], script),
    ]);
    expectOneLine(
      postgresMissing,
      1,
      'needs the pg package, which is not installed: run `npm install pg`',
    );
    expectOneLine(
      redisMissing,
      1,
      'needs the ioredis or the redis package, and neither is installed',
    );
    expectOneLine(nodeRedisMissing, 1, 'run `npm install redis`');
  });
});

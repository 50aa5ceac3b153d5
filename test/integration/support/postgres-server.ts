// Throwaway PostgreSQL clusters for the PostgreSQL integration tests: Debian's binaries
// (initdb, pg_ctl), a temporary data folder, 127.0.0.1 and a free port, fsync on.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './redis-server.js';

/** Where Debian installs each PostgreSQL version's server binaries. */
const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The superuser of the test clusters, and the database the tests use. */
export const POSTGRES_USER = 'postgres';
export const POSTGRES_DATABASE = 'postgres';

/**
 * The folder of `initdb` and `pg_ctl`: `$POSTGRES_BIN`, or the newest version under
 * `/usr/lib/postgresql/<version>/bin`; `undefined` when there is none.
 */
export function findPostgresBin(): string | undefined {
  const given = process.env.POSTGRES_BIN;
  if (given !== undefined && given !== '') return given;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((name) => existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(DEBIAN_ROOT, versions[0], 'bin');
}

/**
 * How to run the server's binaries: as ourselves, or, as root (which `initdb` and `postgres`
 * refuse), as the unprivileged `postgres` user Debian's package creates.
 */
function runner(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string): number => {
    const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(
        'The PostgreSQL tests run as root, and initdb refuses root: they need the unprivileged ' +
          "'postgres' user (Debian's postgresql package creates it).",
      );
    }
    return Number(result.stdout.trim());
  };
  const uid = id('-u');
  const gid = id('-g');
  const hasRunuser =
    spawnSync('sh', ['-c', 'command -v runuser'], { stdio: 'ignore' }).status === 0;
  const prefix = hasRunuser
    ? ['runuser', '-u', 'postgres', '--']
    : ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'];
  return { prefix, uid, gid };
}

/** A PostgreSQL cluster this test process started. */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** Whether it is running. */
  readonly running: boolean;
  /** Stops the server (`pg_ctl stop -m fast`); its data stays, for `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with its data. */
  start(): Promise<void>;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
}

/**
 * Starts a throwaway cluster in a temporary folder, listening on 127.0.0.1 and a free port
 * only, with `fsync` on: what the tests check is durability. It is stopped, and its folder
 * deleted, by `destroy` or when this process exits.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    throw new Error(
      'The PostgreSQL integration tests need PostgreSQL server binaries (initdb, pg_ctl): ' +
        'install them (Debian/Ubuntu: apt-get install postgresql) or set POSTGRES_BIN to ' +
        'their folder.',
    );
  }
  const { prefix, uid, gid } = runner();
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-postgres-'));
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');

  const command = (name: string, args: string[]): [string, string[]] => {
    const [file, ...rest] = [...prefix, join(bin, name), ...args];
    return [file!, rest];
  };
  const failure = (name: string, code: unknown, stderr: string): Error => {
    const logged = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
    return new Error(`${name} failed (${String(code)}):\n${stderr.slice(-3000)}\n${logged}`);
  };
  const run = (name: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const [file, rest] = command(name, args);
      const child = spawn(file, rest, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        code === 0 ? resolve() : reject(failure(name, code ?? signal, stderr)),
      );
    });

  // --no-sync only skips flushing the template files initdb writes; the server runs with
  // fsync on (set below), so every commit the tests count on reaches the disk.
  await run('initdb', [
    '-D',
    data,
    '-U',
    POSTGRES_USER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  let port = 0;
  let running = false;
  const pgCtl = (args: string[]): string[] => ['-D', data, '-l', log, '-w', '-t', '60', ...args];
  const start = async (): Promise<void> => {
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=on',
      '-c synchronous_commit=on',
      '-c max_connections=200',
    ].join(' ');
    await run('pg_ctl', pgCtl(['-o', settings, 'start']));
    running = true;
  };

  for (let attempt = 1; !running; attempt += 1) {
    port = await freePort();
    try {
      await start();
    } catch (error) {
      // Another process may have taken the port between asking and listening.
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let destroyed = false;
  // At exit only synchronous work runs: stop at once, then delete the folder.
  const destroyNow = (): void => {
    if (destroyed) return;
    destroyed = true;
    if (running) {
      running = false;
      const [file, rest] = command('pg_ctl', pgCtl(['-m', 'immediate', 'stop']));
      spawnSync(file, rest, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', destroyNow);

  return {
    host: '127.0.0.1',
    port,
    user: POSTGRES_USER,
    database: POSTGRES_DATABASE,
    get running() {
      return running;
    },
    async stop() {
      if (!running) return;
      await run('pg_ctl', pgCtl(['-m', 'fast', 'stop']));
      running = false;
    },
    async start() {
      if (!running && !destroyed) await start();
    },
    async destroy() {
      // The exit handler stays until the folder is gone: a process that dies meanwhile still
      // stops the server and deletes it.
      if (running && !destroyed) {
        try {
          await run('pg_ctl', pgCtl(['-m', 'fast', 'stop']));
          running = false;
        } catch {
          // Still running: destroyNow stops it at once.
        }
      }
      destroyNow();
      process.off('exit', destroyNow);
    },
  };
}

/** A node-postgres pool on `server` (or on `port`, a proxy in front of it), as the tests use. */
export function createPool(
  server: Pick<PostgresServer, 'port' | 'user' | 'database'>,
  options: pg.PoolConfig = {},
): pg.Pool {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    database: server.database,
    ...options,
  });
  // A connection that breaks while idle (a stopped server) is reported here, not thrown.
  pool.on('error', () => {});
  return pool;
}

/**
 * How far the database's clock is ahead of this process's, in milliseconds: the stores
 * time leases by the database's clock.
 */
export async function databaseClockOffset(pool: pg.Pool): Promise<number> {
  const before = Date.now();
  const { rows } = await pool.query<{ now: number }>(
    'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now',
  );
  const after = Date.now();
  return rows[0]!.now - (before + after) / 2;
}

let prefixes = 0;
/** A table prefix no other test (nor test process) uses. */
export const freshPrefix = (): string => `t${process.pid}_${++prefixes}_`;

/** What {@link usePostgresServer} gives a test file. */
export interface SharedPostgres {
  /** The file's cluster (started before its first test). */
  readonly server: PostgresServer;
  /** Two pools on it, as two instances of an application would have. */
  readonly pools: readonly [pg.Pool, pg.Pool];
}

/**
 * Starts one throwaway cluster for the calling test file, before its tests, with two pools on
 * it, and ends the pools and destroys the cluster after.
 */
export function usePostgresServer(): SharedPostgres {
  let server: PostgresServer | undefined;
  let pools: [pg.Pool, pg.Pool] | undefined;
  beforeAll(async () => {
    server = await startPostgresServer();
    pools = [createPool(server), createPool(server)];
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((pool) => pool.end()));
    await server?.destroy();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the PostgreSQL server is not started yet');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get pools() {
      return started(pools);
    },
  };
}

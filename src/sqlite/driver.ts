import { InvalidOptionsError } from '../errors.js';

/** A value the store binds to a statement or reads from a row. */
export type SqliteValue = string | number | bigint | Uint8Array | null;

/** A row as a driver returns it: column names to values. */
export type SqliteRow = Readonly<Record<string, SqliteValue>>;

/**
 * A prepared statement: the part that `node:sqlite`'s `StatementSync` and better-sqlite3's
 * `Statement` share.
 *
 * @internal
 */
export interface SqliteStatement {
  run(...params: SqliteValue[]): { readonly changes: number | bigint };
  get(...params: SqliteValue[]): SqliteRow | undefined;
  all(...params: SqliteValue[]): SqliteRow[];
}

/**
 * An open connection: the part that `node:sqlite`'s `DatabaseSync` and better-sqlite3's
 * `Database` share. Both are synchronous.
 *
 * @internal
 */
export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/**
 * The SQLite drivers the embedded inbox runs on: `node:sqlite`, built into Node.js 22.13 and
 * later, and the `better-sqlite3` package.
 *
 * @example
 * ```ts
 * const driver: SqliteDriver = process.versions.node.startsWith('20.') ? 'better-sqlite3' : 'node:sqlite'
 * ```
 */
export type SqliteDriver = 'node:sqlite' | 'better-sqlite3';

/**
 * The module each driver is imported from. The store imports them by these names at run time
 * (never statically, so that bundlers do not try to resolve them); tests give missing names.
 *
 * @internal
 */
export type DriverModules = Readonly<Record<SqliteDriver, string>>;

/** @internal */
export const DRIVER_MODULES: DriverModules = {
  'node:sqlite': 'node:sqlite',
  'better-sqlite3': 'better-sqlite3',
};

type Open = (path: string) => SqliteDatabase;

/** The constructor a driver module exports, whichever module system loaded it. */
async function loadDriver(driver: SqliteDriver, modules: DriverModules): Promise<Open | undefined> {
  const specifier = modules[driver];
  let module: Record<string, unknown>;
  try {
    module = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    if (isMissingModule(error)) return undefined;
    throw new InvalidOptionsError(`The SQLite driver ${driver} could not be loaded`, {
      cause: error,
    });
  }
  const exported = driver === 'node:sqlite' ? module.DatabaseSync : (module.default ?? module);
  if (typeof exported !== 'function') {
    throw new InvalidOptionsError(`${specifier} does not export a SQLite database class`);
  }
  const Database = exported as new (path: string) => SqliteDatabase;
  return (path) => new Database(path);
}

/**
 * Whether `error` is the failure of an import of a module that is not installed.
 *
 * @internal
 */
export function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_UNKNOWN_BUILTIN_MODULE'
  );
}

function runtimeVersion(): string {
  return typeof process === 'object' ? `Node.js ${process.version}` : 'this runtime';
}

function missing(driver: SqliteDriver | undefined): InvalidOptionsError {
  const runtime = runtimeVersion();
  if (driver === 'node:sqlite') {
    return new InvalidOptionsError(
      `The SQLite driver node:sqlite is not available on ${runtime}: it needs Node.js 22.13 or later. Use driver 'better-sqlite3' (npm install better-sqlite3) or upgrade Node.js.`,
    );
  }
  if (driver === 'better-sqlite3') {
    return new InvalidOptionsError(
      'The SQLite driver better-sqlite3 is not installed: run `npm install better-sqlite3`.',
    );
  }
  return new InvalidOptionsError(
    `The SQLite inbox needs a SQLite driver, and ${runtime} has none: install better-sqlite3 (\`npm install better-sqlite3\`), or run on Node.js 22.13 or later, which has node:sqlite built in. Otherwise give the inbox another store (inbox: { store }).`,
  );
}

/**
 * Opens the database at `path` with `driver`, or with the first driver available when it is
 * `undefined` (`node:sqlite`, then `better-sqlite3`); `InvalidOptionsError` saying what to
 * install when there is none.
 *
 * @internal
 */
export async function openDatabase(
  path: string,
  driver: SqliteDriver | undefined,
  modules: DriverModules = DRIVER_MODULES,
): Promise<{ readonly database: SqliteDatabase; readonly driver: SqliteDriver }> {
  const candidates: SqliteDriver[] =
    driver === undefined ? ['node:sqlite', 'better-sqlite3'] : [driver];
  for (const candidate of candidates) {
    const open = await loadDriver(candidate, modules);
    if (open !== undefined) return { database: open(path), driver: candidate };
  }
  throw missing(driver);
}

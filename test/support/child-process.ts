// Child processes for the multi-process tests: started with piped output, read line by line,
// killed with SIGKILL, and never left running once the test process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root folder. */
export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Fails with a clear message when the package has not been built: the multi-process tests
 * run `dist/`, as users would.
 *
 * @param files - The files of `dist/` the children import.
 * @param what - Which tests need them, for the message.
 */
export function assertBuilt(files: readonly string[], what: string): void {
  const missing = files.filter((file) => !existsSync(join(ROOT, 'dist', file)));
  if (missing.length > 0) {
    throw new Error(
      `${what} run the built package, and dist/${missing[0]} is missing: run \`npm run build\` first.`,
    );
  }
}

/** Resolves once `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const running = new Set<ChildProcess>();
let cleanupInstalled = false;
/** Whatever ends the test process (a failure, a timeout, a signal), no child outlives it. */
function killAllAtExit(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** A child process whose standard output is read line by line. */
export interface LineChild {
  readonly process: ChildProcess;
  /** Every complete line printed so far. */
  readonly lines: readonly string[];
  /** The end of what it wrote to its standard error (its last 4,000 characters). */
  stderr(): string;
  /** Resolves with the first line starting with `prefix`, waiting up to `timeoutMs`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited (`null` after a signal). */
  exited(): Promise<number | null>;
  /** Writes a line to its standard input. */
  send(line: string): void;
  /** Kills it with SIGKILL (if it runs) and waits until it is gone. */
  kill(): Promise<void>;
}

/** How {@link startLineChild} starts a process. */
export interface LineChildOptions {
  /** What to call it in errors. */
  readonly name: string;
  /** @default the repository's root */
  readonly cwd?: string | undefined;
  /** The whole environment of the child. @default this process's */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** How long {@link LineChild.waitFor} waits by default. @default 15_000 */
  readonly timeoutMs?: number | undefined;
}

/** Starts `command` with `args`, its three standard streams piped. */
export function startLineChild(
  command: string,
  args: readonly string[],
  options: LineChildOptions,
): LineChild {
  killAllAtExit();
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const wakers = new Set<() => void>();
  let buffer = '';
  let errors = '';
  let ended = false;
  const exit = new Promise<number | null>((resolve) => {
    const end = (code: number | null): void => {
      ended = true;
      running.delete(child);
      for (const wake of wakers) wake();
      resolve(code);
    };
    child.once('exit', end);
    // A command that cannot be started never exits: it ends here.
    child.once('error', (error) => {
      errors += `\n${error.message}`;
      if (child.pid === undefined) end(null);
    });
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of wakers) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  child.stdin?.on('error', () => {});

  const gone = (): boolean => ended || child.exitCode !== null || child.signalCode !== null;
  const defaultTimeoutMs = options.timeoutMs ?? 15_000;
  return {
    process: child,
    lines,
    stderr: () => errors,
    waitFor: (prefix, timeoutMs = defaultTimeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const line = lines.find((one) => one.startsWith(prefix));
          if (line !== undefined) finish(() => resolve(line));
          else if (gone()) {
            const code = child.exitCode ?? child.signalCode;
            finish(() => reject(new Error(`${options.name} exited (${code}):\n${errors}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${options.name}: no "${prefix}" line:\n${errors}`))),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          wakers.delete(check);
          settle();
        };
        wakers.add(check);
        check();
      }),
    exited: () => exit,
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exit;
    },
  };
}

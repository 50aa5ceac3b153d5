// Starts sqlite-child.mjs (the built package with the SQLite inbox) as a real process, reads
// its lines, and kills it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'sqlite-child.mjs');

/** Fails with a clear message when the package has not been built. */
export function assertBuilt(): void {
  const missing = ['index.js', 'node.js', 'sqlite.js'].filter(
    (file) => !existsSync(join(ROOT, 'dist', file)),
  );
  if (missing.length > 0) {
    throw new Error(
      `The SQLite process tests run the built package, and dist/${missing[0]} is missing: run \`npm run build\` first.`,
    );
  }
}

/** A running sqlite-child.mjs. */
export interface Child {
  readonly process: ChildProcess;
  /** Every line printed so far. */
  readonly lines: readonly string[];
  /** Resolves with the first line starting with `prefix` (waiting up to `timeoutMs`). */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
  /** Writes a line to its standard input. */
  send(line: string): void;
  /** Kills it with SIGKILL (if it runs) and waits until it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `sqlite-child.mjs <mode>` with `env` added, on `node` (this Node by default). */
export function startChild(
  mode: 'serve' | 'work' | 'default',
  env: Record<string, string>,
  options: { cwd?: string; node?: string } = {},
): Child {
  assertBuilt();
  const child = spawn(options.node ?? process.execPath, [CHILD, mode], {
    cwd: options.cwd ?? ROOT,
    // Only what the child needs: no test-runner settings leak into it.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const wakers = new Set<() => void>();
  let buffer = '';
  let errors = '';
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      for (const wake of wakers) wake();
      resolve(code);
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

  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    process: child,
    lines,
    waitFor: (prefix, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const line = lines.find((one) => one.startsWith(prefix));
          if (line !== undefined) finish(() => resolve(line));
          else if (gone()) {
            finish(() => reject(new Error(`${mode} child exited (${child.exitCode}):\n${errors}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${mode} child: no "${prefix}" line:\n${errors}`))),
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

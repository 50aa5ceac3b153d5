// Starts sqlite-child.mjs (the built package with the SQLite inbox) as a real process, reads
// its lines, and kills it.
import { join } from 'node:path';
import {
  assertBuilt as assertDistBuilt,
  type LineChild,
  ROOT,
  startLineChild,
} from '../../support/child-process.js';

const CHILD = join(import.meta.dirname, 'sqlite-child.mjs');

/** Fails with a clear message when the package has not been built. */
export function assertBuilt(): void {
  assertDistBuilt(['index.js', 'node.js', 'sqlite.js'], 'The SQLite process tests');
}

/** A running sqlite-child.mjs. */
export type Child = LineChild;

/** Starts `sqlite-child.mjs <mode>` with `env` added, on `node` (this Node by default). */
export function startChild(
  mode: 'serve' | 'work' | 'default',
  env: Record<string, string>,
  options: { cwd?: string; node?: string } = {},
): Child {
  assertBuilt();
  return startLineChild(options.node ?? process.execPath, [CHILD, mode], {
    name: `${mode} child`,
    cwd: options.cwd ?? ROOT,
    // Only what the child needs: no test-runner settings leak into it.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
  });
}

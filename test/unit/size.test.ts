import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownCodeSize } from '../../bench/size.mjs';

const dist = join(import.meta.dirname, '..', '..', 'dist');
const KiB = 1024;

/**
 * The most each entry's own code (zod left out) may weigh, minified and gzipped, as an
 * application bundler would ship it. The core carries everything the root entry must export:
 * the parser with its fast path and schemas, time zones, the router with deduplication, its
 * per-request queue and state, the lifecycle graph and every error class. It measures
 * 8.7 KiB, over the 5 KiB every other entry keeps to, so its budget is that plus a little
 * room, to keep further growth a decision.
 */
const BUDGETS: Readonly<Record<string, number>> = {
  index: 9 * KiB,
  node: 5 * KiB,
  express: 5 * KiB,
  fetch: 5 * KiB,
  testing: 5 * KiB,
  redis: 5 * KiB,
};

const kib = (bytes: number): string => `${(bytes / KiB).toFixed(2)} KiB`;

describe('bundle size budget (own code, minified and gzipped)', () => {
  it.each(Object.entries(BUDGETS))('%s stays within its budget', async (entry, budget) => {
    const file = join(dist, `${entry}.js`);
    if (!existsSync(file)) {
      throw new Error(
        `dist/${entry}.js is missing: the size budget checks the built package, run \`npm run build\` first`,
      );
    }
    const size = await ownCodeSize(entry);
    if (size > budget) {
      throw new Error(
        `dist/${entry}.js weighs ${kib(size)} minified and gzipped (zod excluded), over its ${kib(budget)} budget`,
      );
    }
    expect(size).toBeLessThanOrEqual(budget);
  });
});

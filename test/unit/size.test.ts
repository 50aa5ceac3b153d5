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
 * per-request queue, timeouts and state, the lifecycle graph, every error class, the logger
 * and observer hooks, and the durable inbox's router mode, worker, control and memory store.
 * It weighed 8.7 KiB before the inbox and the hardening of every callback, 14.6 KiB with them
 * (the inbox alone is about a quarter of it, see BENCHMARKS.md), and 15.8 KiB with error
 * messages that say what to fix (missing fields, camelCase spellings, time-zone names),
 * 16.4 KiB with the inbox worker's fences (an entry whose process died is given up,
 * leases under way are waited for, overrunning handlers keep their lease), and 16.6 KiB with
 * the parser's guards against hostile values and the key's escaped separators: 17 KiB. The HTTP
 * adapters carry the shared request handling: authentication with every form of Express's
 * `trust proxy` setting, addresses with ports, redaction of secrets from headers in every
 * spelling a URL may give them, the body limit behind parsers, the answers to what a body
 * parser in front refused and the guards around user callbacks: 7 KiB. The PostgreSQL
 * stores (three stores, their DDL and batching) keep to 6.5 KiB, the Redis ones (with the
 * inbox's scripts) to 5.25 KiB, the other entries to 5 KiB. A budget is a guard: growing
 * past one is a decision, not a drift.
 */
const ADAPTER = 7 * KiB;
const BUDGETS: Readonly<Record<string, number>> = {
  index: 17 * KiB,
  node: ADAPTER,
  express: ADAPTER,
  fetch: ADAPTER,
  'aws-lambda': ADAPTER,
  fastify: ADAPTER,
  testing: 5 * KiB,
  redis: 5.25 * KiB,
  opentelemetry: 5 * KiB,
  sqlite: 5 * KiB,
  postgres: 6.5 * KiB,
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

// The SQLite inbox on node:sqlite, which Node 20 lacks: on Node 22 and 24 (installed from npm
// by scripts/install-runtimes.mjs), the whole InboxStore contract runs in Vitest started with
// that Node, and the built package records and handles notifications with `inbox: true`.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';
import { startChild } from '../integration/support/sqlite-process.js';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'uanataca-sqlite-runtimes-'));
const FIXTURES = ['videoid-1-request-created.json', 'videoid-3-videoid-updated-review.json'].map(
  (name) => readFileSync(join(root, 'test', 'fixtures', name), 'utf8'),
);

let runtimes: { node22: string; node24: string };

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'sqlite.js'))) {
    throw new Error('dist/sqlite.js missing: run npm run build first');
  }
  const output = execFileSync(process.execPath, [join(root, 'scripts', 'install-runtimes.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 280_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  runtimes = JSON.parse(output) as typeof runtimes;
}, 300_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface VitestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { assertionResults: { fullName: string; status: string }[] }[];
}

/** Runs test/integration/sqlite-inbox.test.ts in Vitest on `node`, forcing node:sqlite. */
function runContract(node: string, name: string): Promise<VitestReport> {
  const outputFile = join(dir, `${name}.json`);
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [
    vitest,
    'run',
    'test/integration/sqlite-inbox.test.ts',
    '--typecheck.enabled=false',
    '--reporter=json',
    `--outputFile=${outputFile}`,
  ];
  return new Promise((resolvePromise, reject) => {
    execFile(
      node,
      args,
      {
        cwd: root,
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? root,
          TEST_SQLITE_DRIVER: 'node:sqlite',
        },
      },
      (error, _stdout, stderr) => {
        if (!existsSync(outputFile)) {
          reject(new Error(`vitest on ${name} wrote no report: ${error?.message}\n${stderr}`));
          return;
        }
        resolvePromise(JSON.parse(readFileSync(outputFile, 'utf8')) as VitestReport);
      },
    );
  });
}

const cases = [
  ['Node 22', 'node22'],
  ['Node 24', 'node24'],
] as const;

describe('the SQLite inbox on node:sqlite', () => {
  for (const [name, runtime] of cases) {
    it(`${name}: passes the InboxStore contract in Vitest`, async () => {
      const report = await runContract(runtimes[runtime], runtime);
      const failed = report.testResults
        .flatMap((file) => file.assertionResults)
        .filter((test) => test.status !== 'passed');
      expect(failed).toEqual([]);
      expect(report.numFailedTests).toBe(0);
      expect(report.numPassedTests).toBe(report.numTotalTests);
      // The contract alone has 17 tests; the file has more of its own.
      expect(report.numPassedTests).toBeGreaterThan(25);
    }, 150_000);

    it(`${name}: the built package records into the default file and handles from it`, async () => {
      const cwd = mkdtempSync(join(dir, `${runtime}-`));
      const child = startChild(
        'default',
        { BODIES: JSON.stringify(FIXTURES) },
        { cwd, node: runtimes[runtime] },
      );
      try {
        const report = JSON.parse((await child.waitFor('DONE ', 30_000)).slice(5)) as unknown;
        expect(report).toEqual({
          version: expect.stringMatching(runtime === 'node22' ? /^v22\./ : /^v24\./),
          queued: [true, true],
          seen: FIXTURES.map((body) => parseWebhook(body).idempotencyKey),
          statuses: ['done', 'done'],
          file: true,
        });
      } finally {
        await child.kill();
      }
    }, 40_000);
  }
});

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const fixturesDir = join(root, 'test', 'fixtures');
const smoke = join(import.meta.dirname, 'smoke.mjs');

interface Runtimes {
  node22: string;
  node24: string;
  bun: string;
  deno: string;
}

interface Outcome {
  status: number;
  code: string | null;
  duplicate: boolean;
}

interface SmokeReport {
  runtime: string;
  version: string;
  parsed: unknown[];
  direct: Record<string, Outcome>;
  served: Record<string, Outcome>;
  seen: Record<'direct' | 'served', { status: string; clientIp: string | null }[]>;
}

const outcome = (status: number, code: string | null = null, duplicate = false): Outcome => ({
  status,
  code,
  duplicate,
});

const EXPECTED: Record<string, Outcome> = {
  ok: outcome(200),
  duplicate: outcome(200, null, true),
  notJson: outcome(400, 'invalid_json'),
  empty: outcome(400, 'invalid_json'),
  unauthorized: outcome(401, 'unauthorized'),
  tooLarge: outcome(413, 'payload_too_large'),
  tooLargeChunked: outcome(413, 'payload_too_large'),
  invalid: outcome(422, 'invalid_payload'),
  method: outcome(405, 'method_not_allowed'),
};

/** What the source parses every fixture to, which each runtime must match exactly. */
const PARSED = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const event = parseWebhook(readFileSync(join(fixturesDir, name), 'utf8'), {
      timeZone: 'Europe/Madrid',
    });
    return {
      name,
      status: event.status,
      eventType: event.eventType ?? null,
      requestId: event.requestId ?? null,
      occurredAt: event.occurredAt.toISOString(),
      idempotencyKey: event.idempotencyKey,
    };
  });

let runtimes: Runtimes;

beforeAll(() => {
  const missing = ['index.js', 'fetch.js', 'node.js'].filter(
    (file) => !existsSync(join(root, 'dist', file)),
  );
  if (missing.length > 0) {
    throw new Error(`dist/${missing.join(', dist/')} missing: run npm run build first`);
  }
  const output = execFileSync(process.execPath, [join(root, 'scripts', 'install-runtimes.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 280_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  runtimes = JSON.parse(output) as Runtimes;
}, 300_000);

function run(command: string, args: readonly string[]): Promise<SmokeReport> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      // No NODE_OPTIONS or other test-runner settings leak into the runtime under test.
      {
        cwd: import.meta.dirname,
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolvePromise(JSON.parse(line) as SmokeReport);
        } catch {
          reject(new Error(`${command} printed no report:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const cases: [string, (found: Runtimes) => [string, string[]], string, RegExp][] = [
  ['Node 22', (found) => [found.node22, [smoke]], 'node', /^v22\./],
  ['Node 24', (found) => [found.node24, [smoke]], 'node', /^v24\./],
  ['Bun', (found) => [found.bun, [smoke]], 'bun', /^\d+\.\d+\.\d+/],
  [
    'Deno',
    (found) => [
      found.deno,
      ['run', '--no-prompt', `--allow-read=${fixturesDir}`, '--allow-net=127.0.0.1', smoke],
    ],
    'deno',
    /^2\./,
  ],
];

describe('the built package on other runtimes', () => {
  for (const [name, command, runtime, version] of cases) {
    it(`${name}: parses every fixture, answers every status, and serves on 127.0.0.1`, async () => {
      const [binary, args] = command(runtimes);
      const report = await run(binary, args);
      expect(report.runtime).toBe(runtime);
      expect(report.version).toMatch(version);
      expect(report.parsed).toEqual(PARSED);
      expect(report.direct).toEqual(EXPECTED);
      expect(report.served).toEqual(EXPECTED);
      const first = PARSED[0]!.status;
      expect(report.seen.direct).toEqual([{ status: first, clientIp: null }]);
      expect(report.seen.served).toEqual([{ status: first, clientIp: '127.0.0.1' }]);
    });
  }

  it('runs Deno with real permissions: without --allow-read the fixtures are refused', async () => {
    const denied = run(runtimes.deno, ['run', '--no-prompt', '--allow-net=127.0.0.1', smoke]);
    await expect(denied).rejects.toThrow(/Requires read access to "[^"]*fixtures"/);
  });
});

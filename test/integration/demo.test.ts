import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('npm run demo', () => {
  it('tells the story of one VideoID request, each verdict explained, handlers run once per notification', async () => {
    // The demo builds dist/ when it is older than src/: not here, where other test files use
    // dist/ at the same time.
    const dist = join(root, 'dist', 'index.js');
    const newer = existsSync(dist)
      ? spawnSync('find', [join(root, 'src'), '-type', 'f', '-newer', dist], { encoding: 'utf8' })
          .stdout
      : 'dist/index.js';
    if (newer.trim() !== '') {
      throw new Error(`dist/ is older than src/ (${newer.trim()}): run npm run build first`);
    }
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(root, 'scripts', 'demo.mjs')],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
    );
    expect(stderr).toBe('');
    // The built package is used as it is: no build output.
    expect(stdout).not.toMatch(/tsup|CJS|ESM/);
    for (const words of [
      'apply: it moves the request forward',
      'stale: older than the status already applied',
      '200 duplicate — handled before: no handler ran',
      '409 in flight — its twin is being handled right now',
      'untracked: the ISSUED template carries no request id',
      '7 deliveries of 5 notifications: your handlers ran 5 times, once per notification.',
      "Request 28634's stored status is ENROLLREADY",
    ]) {
      expect(stdout).toContain(words);
    }
    expect(stdout).not.toContain('\x1b[');
  });
});

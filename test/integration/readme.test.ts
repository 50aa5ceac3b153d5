import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestPayload } from '../../src/testing/index.js';

const root = new URL('../..', import.meta.url).pathname;

/** The code between the README's quick-start markers, exactly as users read it. */
function quickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /<!-- quick-start -->\s*```js\n([\s\S]*?)```\s*<!-- \/quick-start -->/.exec(readme);
  if (!match?.[1]) throw new Error('README.md has no quick-start block');
  return match[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('README', () => {
  it('quick start runs as written against the built package', async () => {
    if (!existsSync(join(root, 'dist/index.js'))) throw new Error('run npm run build first');
    // Inside the package folder, so that 'uanataca-webhooks' resolves to this package.
    const dir = join(root, '.cache', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'quick-start.mjs');
    writeFileSync(file, quickStart());
    const port = await freePort();
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, PORT: String(port), WEBHOOK_TOKEN: 'readme-token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const post = async (path: string, body: unknown) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await fetch(`http://127.0.0.1:${port}${path}`, {
              method: 'POST',
              body: JSON.stringify(body),
            });
          } catch (error) {
            if (attempt > 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      const review = createTestPayload({ status: 'VIDEOREVIEW', requestId: 4242 });
      const denied = await post('/webhooks/uanataca', review);
      expect(denied.status).toBe(401);
      const accepted = await post('/webhooks/uanataca?token=readme-token', review);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ ok: true });
      const enrolled = createTestPayload({ eventType: 'REQUEST_ENROLLED', requestId: 4242 });
      expect((await post('/webhooks/uanataca?token=readme-token', enrolled)).status).toBe(200);
      expect((await post('/elsewhere?token=readme-token', enrolled)).status).toBe(404);
      expect(output).toContain('review request 4242');
      expect(output).toMatch(/issued [0-9a-f]{16}/);
    } finally {
      child.kill();
    }
  });
});

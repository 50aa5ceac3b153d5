import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';

const root = new URL('../..', import.meta.url).pathname;

/** The code between the README's `marker` comments, exactly as users read it. */
function quickStart(marker: string, language = 'js'): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = new RegExp(
    `<!-- ${marker} -->\\s*\`\`\`${language}\\n([\\s\\S]*?)\`\`\`\\s*<!-- /${marker} -->`,
  ).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no ${marker} block`);
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

const QUICK_STARTS = [
  { form: 'the ES module', marker: 'quick-start', file: 'quick-start.mjs' },
  // A .cjs file: inside this package a .js file would be an ES module ("type": "module").
  { form: 'the CommonJS form', marker: 'quick-start-cjs', file: 'quick-start.cjs' },
];

describe('README', () => {
  for (const { form, marker, file } of QUICK_STARTS) {
    it(`quick start, ${form}, runs as written against the built package`, async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('run npm run build first');
      // Inside the package folder, so that 'uanataca-webhooks' resolves to this package.
      const dir = join(root, '.cache', 'readme');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, file);
      writeFileSync(path, quickStart(marker));
      const port = await freePort();
      const child = spawn(process.execPath, [path], {
        env: { ...process.env, PORT: String(port), WEBHOOK_TOKEN: 'readme-token' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let exit: string | undefined;
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      child.stderr.on('data', (chunk) => {
        output += chunk;
      });
      child.on('exit', (code, signal) => {
        exit = `exited with ${signal ?? code}`;
      });
      /** Waits until the program printed `expected`: the pipe may deliver a line late. */
      const printed = async (expected: string | RegExp) => {
        const found = () =>
          typeof expected === 'string' ? output.includes(expected) : expected.test(output);
        for (let attempt = 0; attempt < 150 && !found() && exit === undefined; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (typeof expected === 'string') expect(output, exit).toContain(expected);
        else expect(output, exit).toMatch(expected);
      };
      try {
        // The line the quick start prints once it listens, so the server is up after it.
        await printed(`Listening on http://localhost:${port}/webhooks/uanataca\n`);
        const post = (path: string, body: unknown) =>
          fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body) });
        const review = createTestPayload({ status: 'VIDEOREVIEW', requestId: 4242 });
        const denied = await post('/webhooks/uanataca', review);
        expect(denied.status).toBe(401);
        const accepted = await post('/webhooks/uanataca?token=readme-token', review);
        expect(accepted.status).toBe(200);
        expect(await accepted.json()).toEqual({ ok: true });
        const enrolled = createTestPayload({ eventType: 'REQUEST_ENROLLED', requestId: 4242 });
        expect((await post('/webhooks/uanataca?token=readme-token', enrolled)).status).toBe(200);
        expect((await post('/elsewhere?token=readme-token', enrolled)).status).toBe(404);
        await printed('review request 4242');
        await printed(/issued [0-9a-f]{16}/);

        // The README's curl line, against the port of this run.
        const curl = quickStart('curl', 'sh');
        const url = /curl -i '([^']+)'/.exec(curl)?.[1];
        const data = /--data '([^']+)'/.exec(curl)?.[1];
        expect(url).toBe('http://localhost:8080/webhooks/uanataca?token=s3cret');
        const send = () =>
          fetch(`http://127.0.0.1:${port}/webhooks/uanataca?token=readme-token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: data ?? '',
          });
        const first = await send();
        expect([first.status, await first.json()]).toEqual([200, { ok: true }]);
        await printed('review request 28634');
        const again = await send();
        expect([again.status, await again.json()]).toEqual([200, { ok: true, duplicate: true }]);
      } finally {
        child.kill();
      }
    });
  }

  it('shows a sample body that parses to what it says, and is the one the curl line sends', () => {
    const body = quickStart('sample-body', 'json');
    const curl = quickStart('curl', 'sh');
    expect(JSON.parse(/--data '([^']+)'/.exec(curl)?.[1] ?? '')).toEqual(JSON.parse(body));
    const event = parseWebhook(body, { timeZone: 'Europe/Madrid' });
    expect(event).toMatchObject({
      eventType: 'VIDEOID_UPDATED',
      status: 'VIDEOREVIEW',
      requestId: 28634,
    });
    expect(event.occurredAt.toISOString()).toBe('2025-07-15T06:45:02.000Z');
  });

  it('lists every section in its table of contents, each link to a heading', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-');
    const headings = [...readme.matchAll(/^## (.+)$/gm)]
      .map((match) => match[1]!)
      .filter((heading) => heading !== 'Contents');
    const contents = /<!-- contents -->([\s\S]*?)<!-- \/contents -->/.exec(readme)?.[1] ?? '';
    const links = [...contents.matchAll(/^- \[(.+)\]\(#(.+)\)$/gm)].map((m) => [m[1], m[2]]);
    expect(links).toEqual(headings.map((heading) => [heading, slug(heading)]));
  });
});

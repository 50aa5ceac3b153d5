// Runs every example in examples/ against the built package, which they import by its name
// (the package's self-reference resolves 'uanataca-webhooks' to dist/ from inside the repo),
// and type-checks them with examples/tsconfig.json.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPayload } from '../../src/testing/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const examples = join(root, 'examples');
const TOKEN = 'example-token';
const PATH = '/webhooks/uanataca';

interface Runtimes {
  node22: string;
  node24: string;
  bun: string;
  deno: string;
}

let runtimes: Runtimes;

beforeAll(() => {
  const needed = [
    'index.js',
    'node.js',
    'express.js',
    'fetch.js',
    'opentelemetry.js',
    'aws-lambda.js',
    'fastify.js',
    'index.d.ts',
    'fetch.d.ts',
  ];
  const missing = needed.filter((file) => !existsSync(join(root, 'dist', file)));
  if (missing.length > 0) {
    throw new Error(
      `dist/${missing.join(', dist/')} missing: the examples run against the built package, run \`npm run build\` first`,
    );
  }
  const output = execFileSync(process.execPath, [join(root, 'scripts', 'install-runtimes.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 280_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  runtimes = JSON.parse(output) as Runtimes;
}, 300_000);

/** Only what the examples read: no NODE_OPTIONS or other test-runner settings leak in. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? root,
    NO_COLOR: '1',
    DENO_NO_UPDATE_CHECK: '1',
    ...extra,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

const delay = (ms: number) => new Promise((resolveDelay) => setTimeout(resolveDelay, ms));

/** A distinct request id per example, so that each one's log line is its own. */
let nextRequestId = 7100;

/** The notification every example is sent, and the line its VIDEOREVIEW handler prints. */
function notification(): { body: string; line: string } {
  const requestId = nextRequestId++;
  return {
    body: JSON.stringify(createTestPayload({ status: 'VIDEOREVIEW', requestId })),
    line: `request ${requestId} is waiting for video review`,
  };
}

interface Answer {
  status: number;
  body: unknown;
}

const OK: Answer = { status: 200, body: { ok: true } };
const DUPLICATE: Answer = { status: 200, body: { ok: true, duplicate: true } };
const UNAUTHORIZED = {
  status: 401,
  body: { ok: false, error: expect.objectContaining({ code: 'unauthorized' }) },
};

/** A running example: its output so far, and a way to stop it. */
interface Running {
  output(): string;
  exited(): string | undefined;
  stop(): Promise<void>;
}

const started: Running[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((child) => child.stop()));
});

function start(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exit: string | undefined;
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const closed = new Promise<void>((resolveClosed) => {
    child.on('close', (code, signal) => {
      exit = `exited with ${signal ?? code}`;
      resolveClosed();
    });
  });
  const running: Running = {
    output: () => output,
    exited: () => exit,
    stop: async () => {
      if (exit === undefined) child.kill();
      await closed;
    },
  };
  started.push(running);
  return running;
}

/** Waits until the server answers anything at all. */
async function waitForServer(running: Running, base: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const exit = running.exited();
    if (exit !== undefined) throw new Error(`the example ${exit}:\n${running.output()}`);
    try {
      await (await fetch(`${base}${PATH}`)).arrayBuffer();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`the example did not answer within 15 s:\n${running.output()}`, {
          cause: error,
        });
      }
      await delay(100);
    }
  }
}

/** Waits briefly for a line a handler printed: the pipe may deliver it after the response. */
async function expectOutput(running: Running, line: string): Promise<void> {
  for (let attempt = 0; attempt < 40 && !running.output().includes(line); attempt++) {
    await delay(50);
  }
  expect(running.output()).toContain(line);
}

async function post(url: string, body: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: await response.json() };
}

interface ServerExample {
  name: string;
  command: (found: Runtimes, port: number) => [string, string[]];
  /** What else the example prints once it handled the notification, if anything. */
  check?: (running: Running) => Promise<void>;
}

/** Node runs the TypeScript examples as they are, by stripping their types (Node >= 22.18). */
const nodeExample = (name: string): ServerExample => ({
  name,
  command: (found) => [found.node24, ['server.ts']],
});

const SERVERS: ServerExample[] = [
  nodeExample('node-http'),
  nodeExample('express'),
  nodeExample('fastify'),
  nodeExample('koa'),
  nodeExample('hono'),
  {
    ...nodeExample('opentelemetry'),
    // The console exporter prints the delivery's spans, without the token of the URL.
    check: async (running) => {
      await expectOutput(running, "'uanataca.webhook.outcome': 'duplicate'");
      expect(running.output()).toContain("'messaging.operation.type': 'receive'");
      expect(running.output()).toContain("name: 'notify operator'");
      expect(running.output()).not.toContain(TOKEN);
    },
  },
  { name: 'bun', command: (found) => [found.bun, ['server.ts']] },
  {
    name: 'deno',
    // Least privilege: listening on this one port, and reading these two variables only.
    command: (found, port) => [
      found.deno,
      [
        'run',
        '--no-prompt',
        '--no-lock',
        `--allow-net=0.0.0.0:${port}`,
        '--allow-env=PORT,WEBHOOK_TOKEN',
        'main.ts',
      ],
    ],
  },
];

describe('examples served on 127.0.0.1', () => {
  for (const example of SERVERS) {
    it(`${example.name}: handles, deduplicates and authenticates notifications`, async () => {
      const port = await freePort();
      const [command, args] = example.command(runtimes, port);
      const running = start(
        command,
        args,
        join(examples, example.name),
        childEnv({ PORT: String(port), WEBHOOK_TOKEN: TOKEN }),
      );
      const base = `http://127.0.0.1:${port}`;
      await waitForServer(running, base);
      const { body, line } = notification();

      expect(await post(`${base}${PATH}?token=${TOKEN}`, body)).toEqual(OK);
      await expectOutput(running, line);
      expect(await post(`${base}${PATH}?token=${TOKEN}`, body)).toEqual(DUPLICATE);
      expect(await post(`${base}${PATH}`, body)).toEqual(UNAUTHORIZED);
      expect(await post(`${base}${PATH}?token=wrong`, body)).toEqual(UNAUTHORIZED);
      const elsewhere = await fetch(`${base}/elsewhere?token=${TOKEN}`, { method: 'POST', body });
      await elsewhere.arrayBuffer();
      expect(elsewhere.status).toBe(404);
      expect(running.output().split(line)).toHaveLength(2); // the duplicate ran no handler
      await example.check?.(running);
    });
  }
});

/**
 * A script that imports a module exporting a Fetch handler (Node strips its types) and calls
 * it with plain `Request`s, as Next.js and Cloudflare Workers do; `invoke` is the expression
 * that answers `request`, given the module `mod`. Prints the answers as one JSON line.
 */
const driver = (invoke: string) => `
const mod = await import(process.env.MODULE_URL);
const { body, urls } = JSON.parse(process.env.CALLS);
const answers = [];
for (const url of urls) {
  const request = new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const response = await (${invoke});
  const text = await response.text();
  answers.push({ status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text });
}
console.log(JSON.stringify(answers));
`;

interface ModuleExample {
  name: string;
  file: string;
  invoke: string;
  env: Record<string, string>;
  /** Whether the module itself answers 404 for other paths (Next.js routes by file location). */
  routes: boolean;
}

const MODULES: ModuleExample[] = [
  {
    name: 'nextjs',
    file: 'nextjs/app/webhooks/uanataca/route.ts',
    invoke: 'mod.POST(request)',
    env: { WEBHOOK_TOKEN: TOKEN },
    routes: false,
  },
  {
    name: 'cloudflare-workers',
    file: 'cloudflare-workers/worker.ts',
    // The secret arrives in the Worker's env, not in the process environment.
    invoke: `mod.default.fetch(request, { WEBHOOK_TOKEN: '${TOKEN}' }, { waitUntil() {}, passThroughOnException() {} })`,
    env: {},
    routes: true,
  },
];

function runDriver(example: ModuleExample, body: string, urls: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(
      runtimes.node24,
      ['--input-type=module', '--eval', driver(example.invoke)],
      {
        cwd: root,
        timeout: 20_000,
        env: childEnv({
          ...example.env,
          MODULE_URL: pathToFileURL(join(examples, example.file)).href,
          CALLS: JSON.stringify({ body, urls }),
        }),
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${example.file} failed: ${error.message}\n${stdout}${stderr}`));
        else resolveRun(stdout);
      },
    );
  });
}

describe('examples imported as modules and called with Requests', () => {
  for (const example of MODULES) {
    it(`${example.name}: handles, deduplicates and authenticates notifications`, async () => {
      const { body, line } = notification();
      const base = `https://example.com${PATH}`;
      const urls = [
        `${base}?token=${TOKEN}`,
        `${base}?token=${TOKEN}`,
        base,
        `${base}?token=wrong`,
      ];
      if (example.routes) urls.push(`https://example.com/elsewhere?token=${TOKEN}`);
      const stdout = await runDriver(example, body, urls);
      const answers = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Answer[];
      expect(answers.slice(0, 4)).toEqual([OK, DUPLICATE, UNAUTHORIZED, UNAUTHORIZED]);
      if (example.routes) expect(answers[4]?.status).toBe(404);
      expect(stdout.split(line)).toHaveLength(2); // the duplicate ran no handler
    });
  }
});

/**
 * What the Node.js Lambda runtime does with the example's module: import it (Node strips its
 * types), call `handler` with each event and a context, and keep what it resolves to.
 */
const LAMBDA_DRIVER = `
const mod = await import(process.env.MODULE_URL);
const answers = [];
for (const event of JSON.parse(process.env.EVENTS)) {
  const context = { getRemainingTimeInMillis: () => 10_000 };
  const result = JSON.parse(JSON.stringify(await mod.handler(event, context)));
  answers.push({ status: result.statusCode, body: JSON.parse(result.body) });
}
console.log(JSON.stringify(answers));
`;

/**
 * An event of the fixture `file` (test/fixtures/aws) carrying `body`, with `token` in the
 * query string or none.
 */
function lambdaEvent(file: string, body: string, token: string | undefined): unknown {
  const event = JSON.parse(
    readFileSync(join(root, 'test', 'fixtures', 'aws', file), 'utf8'),
  ) as Record<string, unknown>;
  const headers = event.headers as Record<string, string>;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'content-length') headers[name] = String(Buffer.byteLength(body));
  }
  event.multiValueHeaders &&= Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, [value]]),
  );
  event.body = body;
  const query = token === undefined ? undefined : { token };
  if (event.version === '2.0') {
    event.rawQueryString = token === undefined ? '' : `token=${encodeURIComponent(token)}`;
    event.queryStringParameters = query;
  } else {
    event.queryStringParameters = query ?? null;
    event.multiValueQueryStringParameters = token === undefined ? null : { token: [token] };
  }
  return event;
}

describe('the AWS Lambda example, invoked as the Lambda runtime does', () => {
  it.each(['rest-api.json', 'http-api-v2.json', 'function-url.json'])(
    'aws-lambda with %s events: handles, deduplicates and authenticates notifications',
    async (file) => {
      const { body, line } = notification();
      const events = [TOKEN, TOKEN, undefined, 'wrong'].map((token) =>
        lambdaEvent(file, body, token),
      );
      const stdout = await new Promise<string>((resolveRun, reject) => {
        execFile(
          runtimes.node24,
          ['--input-type=module', '--eval', LAMBDA_DRIVER],
          {
            cwd: root,
            timeout: 20_000,
            env: childEnv({
              WEBHOOK_TOKEN: TOKEN,
              MODULE_URL: pathToFileURL(join(examples, 'aws-lambda', 'handler.ts')).href,
              EVENTS: JSON.stringify(events),
            }),
          },
          (error, out, err) => {
            if (error)
              reject(new Error(`aws-lambda/handler.ts failed: ${error.message}\n${out}${err}`));
            else resolveRun(out);
          },
        );
      });
      const answers = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Answer[];
      expect(answers).toEqual([OK, DUPLICATE, UNAUTHORIZED, UNAUTHORIZED]);
      expect(stdout.split(line)).toHaveLength(2); // the duplicate ran no handler
    },
  );
});

describe('the NestJS example, compiled, on both platforms', () => {
  const outDir = join(root, '.cache', 'examples', 'nestjs');

  beforeAll(async () => {
    // Inside the package folder, so that 'uanataca-webhooks' resolves to this package.
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const project = join(examples, 'nestjs', 'tsconfig.json');
    await new Promise<void>((resolveRun, reject) => {
      execFile(
        process.execPath,
        [tsc, '-p', project, '--outDir', outDir],
        { cwd: root, timeout: 120_000 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`tsc -p examples/nestjs failed:\n${stdout}${stderr}`));
          else resolveRun();
        },
      );
    });
  }, 130_000);

  it.each(['express', 'fastify'])(
    'nestjs on the %s platform: handles, deduplicates and authenticates notifications, and the app keeps its JSON routes',
    async (platform) => {
      const port = await freePort();
      // Node 20, the oldest version the package supports.
      const running = start(
        process.execPath,
        [join(outDir, `main-${platform}.js`)],
        root,
        childEnv({ PORT: String(port), WEBHOOK_TOKEN: TOKEN }),
      );
      const base = `http://127.0.0.1:${port}`;
      await waitForServer(running, base);
      const { body, line } = notification();

      expect(await post(`${base}${PATH}?token=${TOKEN}`, body)).toEqual(OK);
      await expectOutput(running, line);
      expect(await post(`${base}${PATH}?token=${TOKEN}`, body)).toEqual(DUPLICATE);
      expect(await post(`${base}${PATH}`, body)).toEqual(UNAUTHORIZED);
      expect(await post(`${base}${PATH}?token=wrong`, body)).toEqual(UNAUTHORIZED);
      const text = await fetch(`${base}${PATH}?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(createTestPayload({ status: 'ISSUED', requestId: 7199 })),
      });
      expect({ status: text.status, body: await text.json() }).toEqual(OK);
      const get = await fetch(`${base}${PATH}?token=${TOKEN}`);
      expect(get.status).toBe(405);
      await get.arrayBuffer();
      expect(await post(`${base}/api/echo`, '{"a":[1,2]}')).toEqual({
        status: 201,
        body: { received: { a: [1, 2] } },
      });
      const elsewhere = await fetch(`${base}/elsewhere?token=${TOKEN}`, { method: 'POST', body });
      await elsewhere.arrayBuffer();
      expect(elsewhere.status).toBe(404);
      expect(running.output().split(line)).toHaveLength(2);
    },
  );
});

describe('examples type-check against the built package', () => {
  it('tsc -p examples/tsconfig.json', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await new Promise<{ code: number; output: string }>((resolveRun) => {
      execFile(
        process.execPath,
        [tsc, '-p', join(examples, 'tsconfig.json')],
        { cwd: root, timeout: 60_000 },
        (error, stdout, stderr) => {
          resolveRun({
            code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
            output: stdout + stderr,
          });
        },
      );
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});

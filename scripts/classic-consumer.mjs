// A CommonJS project compiled the classic way (`"module": "commonjs"`,
// `"moduleResolution": "node"`), which reads `typesVersions` instead of `exports`: it imports
// every entry point, uses the adapters' options with a misspelt one marked
// `@ts-expect-error`, type-checks, compiles and runs against the package's CommonJS build.
// scripts/check-tarball.mjs runs it with the tarball installed by npm, and
// test/integration/classic-resolution.test.ts with the tarball unpacked beside the repository's
// node_modules.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The line the compiled program prints once every check passed. */
export const CLASSIC_CONSUMER_OK = 'classic consumer ok';

/** The project's tsconfig.json; `skipLibCheck` decides whether declarations are checked too. */
function tsconfig(skipLibCheck) {
  return {
    compilerOptions: {
      module: 'commonjs',
      moduleResolution: 'node',
      strict: true,
      // zod's own declarations default-import CommonJS modules: checked, they need this.
      esModuleInterop: true,
      skipLibCheck,
      target: 'es2022',
      types: ['node'],
      outDir: 'out',
      noEmitOnError: true,
    },
    files: ['consumer.ts', 'entries.ts'],
  };
}

/** `import … = require(…)` of every entry, so that a new entry is covered by being exported. */
function entriesSource(specifiers) {
  const imports = specifiers.map((specifier, i) => `import entry${i} = require('${specifier}');`);
  const fields = specifiers.map((specifier, i) => `  '${specifier}': entry${i},`);
  return `// Every entry point package.json exports, as a CommonJS program requires it.
${imports.join('\n')}

export const entries: Record<string, object> = {
${fields.join('\n')}
};
`;
}

/** Typed use of each entry: options spelt right compile, options spelt wrong do not. */
const CONSUMER = `import {
  createWebhooks,
  type InvalidPayloadError,
  isWebhookError,
  type RequestStatus,
  safeParseWebhook,
} from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';
import express = require('uanataca-webhooks/express');
import { createFetchHandler, type FetchHandlerOptions } from 'uanataca-webhooks/fetch';
import { createLambdaHandler, type LambdaEventV1 } from 'uanataca-webhooks/aws-lambda';
import fastifyUanatacaWebhooks from 'uanataca-webhooks/fastify';
import testing = require('uanataca-webhooks/testing');
import { createRedisDedupeStore } from 'uanataca-webhooks/redis';
import { instrumentWebhooks } from 'uanataca-webhooks/opentelemetry';
import Fastify from 'fastify';
import { entries } from './entries';

const PATH = '/webhooks/uanataca';
const auth = { token: 'classic-token' };
const handled: number[] = [];

const webhooks = createWebhooks();
webhooks.on('VIDEOREVIEW', (event) => {
  const status: 'VIDEOREVIEW' = event.status;
  if (event.requestId !== undefined) handled.push(event.requestId);
  return status;
});
createNodeMiddleware(webhooks, { path: PATH, auth });
express.createExpressMiddleware(webhooks, { maxBodyBytes: 64 * 1024, auth });
const fetchOptions: FetchHandlerOptions = { auth, getClientIp: () => '127.0.0.1' };
const handle = createFetchHandler(webhooks, fetchOptions);
const lambda = createLambdaHandler(webhooks, { auth });
const app = Fastify();
app.register(fastifyUanatacaWebhooks, { webhooks, path: PATH, auth });
const uninstrument: () => void = instrumentWebhooks(webhooks, { tracerProvider: undefined });

/** Never called: each line must be a compile error, the mistake it makes the reason. */
export function rejected(): unknown {
  // @ts-expect-error a misspelt status
  webhooks.on('VIDEO_REVIEW', () => {});
  // @ts-expect-error a misspelt option
  createNodeMiddleware(webhooks, { paht: PATH, auth });
  // @ts-expect-error a misspelt option
  express.createExpressMiddleware(webhooks, { maxBodyByte: 64 * 1024, auth });
  // @ts-expect-error maxBodyBytes is a number of bytes
  createFetchHandler(webhooks, { maxBodyBytes: '1mb', auth });
  // @ts-expect-error the token option is \`token\`
  createLambdaHandler(webhooks, { auth: { secret: 'classic-token' } });
  // @ts-expect-error a misspelt option
  app.register(fastifyUanatacaWebhooks, { webhooks, path: PATH, auth, maxBodyByte: 1024 });
  // @ts-expect-error a store needs a Redis client
  createRedisDedupeStore();
  // @ts-expect-error a misspelt option
  instrumentWebhooks(webhooks, { tracerProvder: undefined });
  // With skipLibCheck, a type the declarations import from a module that does not resolve
  // becomes \`any\` silently: these two fail instead when type-fest's or zod's types are lost.
  // @ts-expect-error a number is no status
  const status: RequestStatus = 1;
  // @ts-expect-error a number is no zod issue
  const issue: InvalidPayloadError['issues'][number] = 1;
  return [status, issue];
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(\`classic consumer: \${what}\`);
}

async function main(): Promise<void> {
  for (const [specifier, entry] of Object.entries(entries)) {
    const values: unknown[] = Object.values(entry);
    check(values.some((value) => typeof value === 'function'), \`\${specifier} exports no function\`);
  }

  const review = JSON.stringify(testing.createTestPayload({ status: 'VIDEOREVIEW', requestId: 501 }));
  const post = () =>
    new Request(\`https://example.com\${PATH}?token=classic-token\`, { method: 'POST', body: review });
  const first = await handle(post());
  check(first.status === 200, \`the Fetch handler answered \${first.status}\`);
  const again = await (await handle(post())).json();
  check(again.duplicate === true, 'the Fetch handler did not see the duplicate');

  const get: LambdaEventV1 = { httpMethod: 'GET', path: PATH, queryStringParameters: auth };
  const refused = await lambda(get);
  check(refused.statusCode === 405, \`the Lambda handler answered GET with \${refused.statusCode}\`);

  await app.ready();
  const reply = await app.inject({
    method: 'POST',
    url: \`\${PATH}?token=classic-token\`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(testing.createTestPayload({ status: 'VIDEOREVIEW', requestId: 502 })),
  });
  check(reply.statusCode === 200, \`the Fastify plugin answered \${reply.statusCode}\`);
  await app.close();

  const failed = safeParseWebhook('{');
  check(!failed.success && isWebhookError(failed.error, 'invalid_json'), 'no invalid_json error');
  check(handled.join() === '501,502', \`handled \${handled.join()}\`);
  uninstrument();
  console.log(\`${CLASSIC_CONSUMER_OK}: \${Object.keys(entries).length} entries\`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** The project's files, by path relative to its folder. */
export function classicConsumerFiles({ specifiers, skipLibCheck }) {
  return {
    'package.json': `${JSON.stringify({ name: 'classic-consumer', private: true }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig(skipLibCheck), null, 2)}\n`,
    'consumer.ts': CONSUMER,
    'entries.ts': entriesSource(specifiers),
  };
}

function run(file, args, cwd, step) {
  try {
    return execFileSync(process.execPath, [file, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (error) {
    throw new Error(
      `classic consumer: ${step} failed\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Writes the project into `dir`, where the package and its peers resolve from `node_modules`
 * (its own or an ancestor's), compiles it with `tsc` (a type error fails this step and emits
 * nothing) and runs the CommonJS output. Returns what the program printed; throws with the
 * tools' output when a step fails.
 */
export function checkClassicConsumer(dir, { tsc, specifiers, skipLibCheck }) {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(classicConsumerFiles({ specifiers, skipLibCheck }))) {
    writeFileSync(join(dir, name), text);
  }
  run(tsc, ['-p', dir], dir, 'tsc');
  return run(join(dir, 'out', 'consumer.js'), [], dir, 'node out/consumer.js');
}

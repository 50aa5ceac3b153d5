// Runs unchanged on Node, Bun and Deno against the built package: parses every fixture,
// drives the Fetch handler with plain Request objects, then serves it on 127.0.0.1 with the
// runtime's own server (node:http with the Node middleware on Node) and posts to it.
// Prints one JSON line for runtimes.test.ts to compare.
import { readdirSync, readFileSync } from 'node:fs';
import { createFetchHandler } from '../../dist/fetch.js';
import { createWebhooks, parseWebhook } from '../../dist/index.js';

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const version = globalThis.Deno
  ? globalThis.Deno.version.deno
  : globalThis.Bun
    ? globalThis.Bun.version
    : globalThis.process.version;

const fixturesDir = new URL('../fixtures/', import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, body: readFileSync(new URL(name, fixturesDir), 'utf8') }));

const parsed = fixtures.map(({ name, body }) => {
  const event = parseWebhook(body, { timeZone: 'Europe/Madrid' });
  return {
    name,
    status: event.status,
    eventType: event.eventType ?? null,
    requestId: event.requestId ?? null,
    occurredAt: event.occurredAt.toISOString(),
    idempotencyKey: event.idempotencyKey,
  };
});

const TOKEN = 'tok-smoke';
const LIMIT = 2048;

function createReceiver() {
  const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
  const seen = [];
  webhooks.on('*', (event, context) => {
    seen.push({ status: event.status, clientIp: context.clientIp ?? null });
  });
  return { webhooks, seen };
}

function stream(text) {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + 512));
      offset += 512;
    },
  });
}

/** Sends the same requests through `send(path, init)` and records what came back. */
async function exercise(send) {
  const body = fixtures[0].body;
  const authed = `/hook?token=${TOKEN}`;
  const plan = [
    ['ok', authed, { method: 'POST', body }],
    ['duplicate', authed, { method: 'POST', body }],
    ['notJson', authed, { method: 'POST', body: 'not json' }],
    ['empty', authed, { method: 'POST', body: '' }],
    ['unauthorized', '/hook?token=wrong', { method: 'POST', body }],
    ['tooLarge', authed, { method: 'POST', body: 'x'.repeat(LIMIT + 1) }],
    ['tooLargeChunked', authed, { method: 'POST', body: stream('x'.repeat(LIMIT * 4)) }],
    ['invalid', authed, { method: 'POST', body: '{"event_type":"REQUEST_CREATED"}' }],
    ['method', authed, { method: 'GET' }],
  ];
  const results = {};
  for (const [label, path, init] of plan) {
    const response = await send(path, { ...init, duplex: 'half' });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    results[label] = {
      status: response.status,
      code: json?.ok === false ? json.error.code : null,
      duplicate: json?.duplicate === true,
    };
  }
  return results;
}

const options = { maxBodyBytes: LIMIT, auth: { token: TOKEN } };

const plain = createReceiver();
const plainHandler = createFetchHandler(plain.webhooks, options);
const direct = await exercise((path, init) =>
  plainHandler(new Request(`http://127.0.0.1${path}`, init)),
);

const served = createReceiver();
let servedResults;
if (runtime === 'bun') {
  const handler = createFetchHandler(served.webhooks, {
    ...options,
    getClientIp: (request, server) => server.requestIP(request)?.address,
  });
  const server = globalThis.Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, bunServer) => handler(request, bunServer),
  });
  try {
    servedResults = await exercise((path, init) =>
      fetch(`http://127.0.0.1:${server.port}${path}`, init),
    );
  } finally {
    server.stop(true);
  }
} else if (runtime === 'deno') {
  const handler = createFetchHandler(served.webhooks, {
    ...options,
    getClientIp: (_request, info) => info.remoteAddr.hostname,
  });
  const server = globalThis.Deno.serve(
    { hostname: '127.0.0.1', port: 0, onListen() {} },
    (request, info) => handler(request, info),
  );
  try {
    servedResults = await exercise((path, init) =>
      fetch(`http://127.0.0.1:${server.addr.port}${path}`, init),
    );
  } finally {
    await server.shutdown();
  }
} else {
  const { createServer } = await import('node:http');
  const { createNodeMiddleware } = await import('../../dist/node.js');
  const middleware = createNodeMiddleware(served.webhooks, { ...options, path: '/hook' });
  const server = createServer((req, res) => middleware(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address();
    servedResults = await exercise((path, init) => fetch(`http://127.0.0.1:${port}${path}`, init));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

console.log(
  JSON.stringify({
    runtime,
    version,
    parsed,
    direct,
    served: servedResults,
    seen: { direct: plain.seen, served: served.seen },
  }),
);

// A server for the callback sweep, run as a child process against the built package: one
// route per case, each with one user callback (or option) behaving badly. Node's default
// handling of an unhandled rejection or an uncaught exception is left in place, so that a
// leak ends this process, as it would a user's. Prints `{ port, cases }` once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import express4 from 'express4';
import express5 from 'express5';
import { createExpressErrorHandler, createExpressMiddleware } from '../../../dist/express.js';
import { createFetchHandler } from '../../../dist/fetch.js';
import {
  createMemoryDedupeStore,
  createMemoryStateStore,
  createWebhooks,
} from '../../../dist/index.js';
import { createNodeMiddleware } from '../../../dist/node.js';

const adapter = process.argv[2];
const TOKEN = 'tok-hostile';

/** The ways a callback can misbehave. */
const HOSTILE = {
  throws: () => {
    throw new Error('boom');
  },
  'throws a non-Error': () => {
    throw 'boom';
  },
  rejects: async () => {
    throw new Error('boom');
  },
  'rejects with undefined': () => Promise.reject(undefined),
  'never settles': () => new Promise(() => {}),
  'returns a thenable whose then throws': () => ({
    // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
    then() {
      throw new Error('then');
    },
  }),
};

/** A memory store whose `method` misbehaves `how`. */
function hostileStore(create, method, how) {
  const store = create();
  return { ...pick(store), [method]: how };
}
const pick = (store) =>
  Object.fromEntries(Object.keys(store).map((name) => [name, (...args) => store[name](...args)]));

/** Every case: router options, adapter options and the handler. */
function cases() {
  const all = {};
  const quick = { handlerTimeoutMs: 100, storeTimeoutMs: 100 };
  for (const [how, misbehave] of Object.entries(HOSTILE)) {
    all[`router onError ${how}`] = {
      router: { onError: misbehave },
      handler: () => {
        throw new Error('handler failure');
      },
    };
    all[`adapter onError ${how}`] = { adapter: { onError: misbehave } };
    all[`handler ${how}`] = { router: quick, handler: misbehave };
    all[`trustProxy function ${how}`] = {
      adapter: { auth: { token: TOKEN, allowIps: ['127.0.0.1'], trustProxy: misbehave } },
    };
    if (adapter === 'fetch') all[`getClientIp ${how}`] = { adapter: { getClientIp: misbehave } };
    for (const method of ['claim', 'markDone', 'release']) {
      all[`DedupeStore.${method} ${how}`] = {
        router: {
          ...quick,
          dedupe: { store: hostileStore(createMemoryDedupeStore, method, misbehave) },
        },
        // A release happens after a failure.
        handler:
          method === 'release'
            ? () => {
                throw new Error('handler failure');
              }
            : () => {},
      };
    }
    for (const method of ['get', 'compareAndSet']) {
      all[`StateStore.${method} ${how}`] = {
        router: {
          ...quick,
          state: { store: hostileStore(createMemoryStateStore, method, misbehave) },
        },
      };
    }
  }
  for (const garbage of [null, 42, { state: 'claimed' }, 'claimed']) {
    all[`DedupeStore.claim resolves ${JSON.stringify(garbage)}`] = {
      router: {
        dedupe: { store: hostileStore(createMemoryDedupeStore, 'claim', async () => garbage) },
      },
    };
    all[`StateStore.get resolves ${JSON.stringify(garbage)}`] = {
      router: {
        state: { store: hostileStore(createMemoryStateStore, 'get', async () => garbage) },
      },
    };
  }
  // Options as read from environment variables.
  for (const trustProxy of [
    'loopback',
    '127.0.0.1',
    '1',
    'true',
    'false',
    'loopback, 10.0.0.0/8',
  ]) {
    all[`trustProxy ${JSON.stringify(trustProxy)}`] = {
      adapter: { auth: { token: TOKEN, allowIps: '127.0.0.1, ::1, 203.0.113.7', trustProxy } },
    };
  }
  return all;
}

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);
void REVIEW;

const handlers = {};
for (const [name, spec] of Object.entries(cases())) {
  const webhooks = createWebhooks(spec.router ?? {});
  webhooks.on('*', spec.handler ?? (() => {}));
  const options = { auth: { token: TOKEN }, ...spec.adapter };
  if (adapter === 'node') handlers[name] = createNodeMiddleware(webhooks, options);
  else if (adapter === 'fetch') handlers[name] = createFetchHandler(webhooks, options);
  else {
    handlers[name] = createExpressMiddleware(webhooks, options);
    handlers[`${name}/errors`] = createExpressErrorHandler(webhooks, options);
  }
}

const route = (url) => decodeURIComponent(new URL(url, 'http://x').pathname.slice('/case/'.length));

let server;
if (adapter === 'node') {
  server = createServer((req, res) => {
    const handle = handlers[route(req.url)];
    if (handle) handle(req, res);
    else res.writeHead(404).end();
  });
} else if (adapter === 'fetch') {
  server = createAdaptorServer({
    fetch: (request) => {
      const handle = handlers[route(request.url)];
      return handle ? handle(request) : new Response(null, { status: 404 });
    },
  });
} else {
  const express = adapter === 'express4' ? express4 : express5;
  const app = express();
  app.use(express.json());
  app.all('/case/:name', (req, res, next) => handlers[req.params.name](req, res, next));
  app.use('/case/:name', (error, req, res, next) =>
    handlers[`${req.params.name}/errors`](error, req, res, next),
  );
  server = createServer(app);
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: server.address().port, cases: Object.keys(handlers).filter((name) => !name.endsWith('/errors')) })}\n`,
  );
});

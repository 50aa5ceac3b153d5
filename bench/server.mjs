// One HTTP server of the throughput benchmark, in its own process so that the load generator
// and the server do not share an event loop. Started by http.mjs: `node server.mjs <kind>`.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { importDist } from './util.mjs';

const require = createRequire(import.meta.url);
const PATH = '/webhooks/uanataca';
const OK = '{"ok":true}';
const kind = process.argv[2];
let handled = 0;
let requests = 0;

/** The hand-written route: read the body, parse it as JSON, answer 200 with JSON. */
function handWritten(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    handled += 1;
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(OK),
    });
    res.end(OK);
  });
}

/**
 * The floor of any receiver with the default deduplication, written by hand: the route above,
 * with `parseWebhook` in place of `JSON.parse`, and the event's key looked up and remembered in
 * a `Map` bounded like the default store (10,000 keys, the oldest forgotten first). No router,
 * no promise, no deadline, no handler: what is left of an adapter once everything that is not
 * parsing or deduplication is taken away.
 */
async function floor() {
  const { parseWebhook } = await importDist('index');
  const MAX_KEYS = 10_000;
  const seen = new Map();
  const order = new Array(MAX_KEYS);
  let next = 0;
  return (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let event;
      try {
        event = parseWebhook(Buffer.concat(chunks));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const key = event.idempotencyKey;
      if (!seen.has(key)) {
        const oldest = order[next];
        if (oldest !== undefined) seen.delete(oldest);
        order[next] = key;
        next = (next + 1) % MAX_KEYS;
        seen.set(key, true);
        handled += 1;
      }
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(OK),
      });
      res.end(OK);
    });
  };
}

async function webhooks(dedupe) {
  const { createWebhooks } = await importDist('index');
  const router = createWebhooks({ dedupe: dedupe ? {} : false });
  router.on('*', () => {
    handled += 1;
  });
  return router;
}

async function listener() {
  const [base, variant] = kind.split(':');
  if (base === 'node-raw') {
    return (req, res) => {
      if (req.method === 'POST' && req.url === PATH) handWritten(req, res);
      else res.writeHead(404).end();
    };
  }
  if (base === 'node-floor') {
    const route = await floor();
    return (req, res) => {
      if (req.method === 'POST' && req.url === PATH) route(req, res);
      else res.writeHead(404).end();
    };
  }
  if (base === 'node') {
    const { createNodeMiddleware } = await importDist('node');
    const middleware = createNodeMiddleware(await webhooks(variant === 'dedupe'), { path: PATH });
    return async (req, res) => {
      if (!(await middleware(req, res))) res.writeHead(404).end();
    };
  }
  const express = require(base === 'express4' ? 'express4' : 'express5');
  const app = express();
  if (variant === 'json') {
    app.post(PATH, express.json(), (_req, res) => {
      handled += 1;
      res.json({ ok: true });
    });
  } else {
    const { createExpressMiddleware } = await importDist('express');
    app.post(PATH, createExpressMiddleware(await webhooks(variant === 'dedupe')));
  }
  return app;
}

const handle = await listener();
const server = createServer((req, res) => {
  requests += 1;
  handle(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port });
});
process.on('message', (message) => {
  if (message === 'stats') process.send({ handled, requests, cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));

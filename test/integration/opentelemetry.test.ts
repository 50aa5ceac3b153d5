// instrumentWebhooks with the real OpenTelemetry SDK: spans and metrics exported in memory,
// deliveries posted to a node:http server on 127.0.0.1 through createNodeMiddleware.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import {
  createMemoryInbox,
  createMemoryStateStore,
  createWebhooks,
  InvalidOptionsError,
  parseWebhook,
  type StateStore,
  type Webhooks,
} from '../../src/index.js';
import { instrumentWebhooks } from '../../src/opentelemetry/index.js';
import { createTestPayload } from '../../src/testing/index.js';

const PATH = '/hook';
const TOKEN = 'tok-5f1c9e0b7a2d';
const PASSWORD = 'pw-83b1d4e6c0aa';
const HEADER_VALUE = 'hv-2c7e9f1a4b6d';
const BASIC = Buffer.from(`uanataca:${PASSWORD}`).toString('base64');
const SCOPE = 'uanataca-webhooks';
const OBSERVERS = Symbol.for('uanataca-webhooks.observers');

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

/** An SDK whose spans and metrics are kept in memory. */
interface Telemetry {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Every finished span, in the order they ended. */
  spans(): ReadableSpan[];
  /** The spans of this package. */
  ours(): ReadableSpan[];
  /** The metrics collected now (cumulative). */
  collect(): Promise<MetricData[]>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function createTelemetry(): Telemetry {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  cleanups.push(async () => {
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  });
  return {
    tracerProvider,
    meterProvider,
    spans: () => spanExporter.getFinishedSpans(),
    ours: () =>
      spanExporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === SCOPE),
    async collect() {
      await reader.forceFlush();
      return (
        metricExporter
          .getMetrics()
          .at(-1)
          ?.scopeMetrics.flatMap((s) => s.metrics) ?? []
      );
    },
  };
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Serves `webhooks` on 127.0.0.1, each request inside a SERVER span as the HTTP
 * instrumentation would make it; `post` resolves once that span ended too.
 */
async function serve(
  webhooks: Webhooks,
  telemetry: Telemetry,
): Promise<{ post(body: unknown): Promise<Answer> }> {
  const middleware = createNodeMiddleware(webhooks, {
    path: PATH,
    auth: { token: TOKEN, basic: { username: 'uanataca', password: PASSWORD } },
  });
  const http = telemetry.tracerProvider.getTracer('http');
  const handling = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const span = http.startSpan(`POST ${PATH}`, { kind: SpanKind.SERVER });
    const done = context.with(trace.setSpan(context.active(), span), async () => {
      try {
        if (!(await middleware(req, res))) res.writeHead(404).end();
      } finally {
        span.end();
      }
    });
    handling.add(done);
    void done.finally(() => handling.delete(done));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    async post(body) {
      const response = await fetch(`http://127.0.0.1:${port}${PATH}?token=${TOKEN}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${BASIC}`,
          'x-api-key': HEADER_VALUE,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      const answer = { status: response.status, body: await response.json() };
      await Promise.all(handling);
      return answer;
    },
  };
}

/** The names of `root` and the spans under it, indented by depth, siblings in end order. */
function tree(spans: readonly ReadableSpan[], root: ReadableSpan, depth = 0): string[] {
  const id = root.spanContext().spanId;
  const children = spans.filter((span) => span.parentSpanContext?.spanId === id);
  return [
    `${'  '.repeat(depth)}${root.name}`,
    ...children.flatMap((child) => tree(spans, child, depth + 1)),
  ];
}

function only<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0] as T;
}

const named = (spans: readonly ReadableSpan[], name: string) =>
  spans.filter((span) => span.name === name);

function points(data: readonly MetricData[], name: string): DataPoint<unknown>[] {
  return (data.find((metric) => metric.descriptor.name === name)?.dataPoints ?? []) as never;
}

/** The counter's value for the data point whose attributes include `attributes`. */
function countOf(data: readonly MetricData[], attributes: Record<string, unknown>): number {
  const point = points(data, 'uanataca.webhook.deliveries').find((one) =>
    Object.entries(attributes).every(([key, value]) => one.attributes[key] === value),
  );
  return (point?.value as number | undefined) ?? 0;
}

function histogramCount(
  data: readonly MetricData[],
  name: string,
  attributes: Record<string, unknown> = {},
): number {
  return points(data, name)
    .filter((one) =>
      Object.entries(attributes).every(([key, value]) => one.attributes[key] === value),
    )
    .reduce((sum, one) => sum + (one.value as Histogram).count, 0);
}

/** Neither the spans nor the metrics mention a credential, a header value or a header name. */
async function expectNoSecrets(telemetry: Telemetry, others: string[] = []): Promise<void> {
  const text = JSON.stringify({
    spans: telemetry.spans().map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
      links: span.links,
    })),
    metrics: await telemetry.collect(),
  });
  for (const secret of [
    TOKEN,
    PASSWORD,
    BASIC,
    HEADER_VALUE,
    'x-api-key',
    'authorization',
    ...others,
  ]) {
    expect(text).not.toContain(secret);
  }
}

const review = (requestId: number, sentAt?: Date) =>
  createTestPayload({ status: 'VIDEOREVIEW', requestId, ...(sentAt ? { sentAt } : {}) });

describe('instrumentWebhooks: a delivery received', () => {
  it('is a CONSUMER span under the HTTP span, with a span per step and per handler', async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks();
    const app = telemetry.tracerProvider.getTracer('app');
    webhooks.on('VIDEOREVIEW', async () => {
      await app.startActiveSpan('save request', async (span) => {
        await delay(5);
        span.end();
      });
    });
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);
    const body = review(4101);

    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });

    const spans = telemetry.spans();
    const server = only(named(spans, `POST ${PATH}`), 'server span');
    expect(tree(spans, server)).toEqual([
      `POST ${PATH}`,
      '  receive',
      '    parse',
      '    dedupe.claim',
      '    handlers',
      '      handler',
      '        save request',
      '    dedupe.markDone',
    ]);
    const receive = only(named(spans, 'receive'), 'receive span');
    expect(receive.kind).toBe(SpanKind.CONSUMER);
    expect(receive.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(receive.status.code).toBe(SpanStatusCode.UNSET);
    expect(receive.attributes).toEqual({
      'messaging.system': 'uanataca',
      'messaging.operation.type': 'receive',
      'messaging.operation.name': 'receive',
      'messaging.message.id': parseWebhook(body).idempotencyKey,
      'uanataca.webhook.format': 'envelope',
      'uanataca.webhook.event_type': 'VIDEOID_UPDATED',
      'uanataca.request.status': 'VIDEOREVIEW',
      'uanataca.request.id': 4101,
      'uanataca.webhook.duplicate': false,
      'uanataca.webhook.outcome': 'handled',
    });
    const handler = only(named(spans, 'handler'), 'handler span');
    expect(handler.attributes).toEqual({ 'uanataca.webhook.handler.index': 0 });
    // The handler span lasts as long as the handler's promise.
    const ms = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6;
    expect(ms(handler)).toBeGreaterThanOrEqual(ms(only(named(spans, 'save request'), 'own')));

    const data = await telemetry.collect();
    expect(
      countOf(data, {
        'messaging.system': 'uanataca',
        'messaging.operation.type': 'receive',
        'uanataca.webhook.outcome': 'handled',
      }),
    ).toBe(1);
    expect(histogramCount(data, 'uanataca.webhook.handler.duration')).toBe(1);
    for (const operation of ['dedupe.claim', 'dedupe.markDone']) {
      expect(
        histogramCount(data, 'uanataca.store.operation.duration', {
          'uanataca.store.operation': operation,
        }),
      ).toBe(1);
    }
    const units = Object.fromEntries(data.map((m) => [m.descriptor.name, m.descriptor.unit]));
    expect(units).toEqual({
      'uanataca.webhook.deliveries': '{delivery}',
      'uanataca.webhook.handler.duration': 's',
      'uanataca.store.operation.duration': 's',
    });
    await expectNoSecrets(telemetry);
  });

  it('a duplicate: claimed as done, no handler span', async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks();
    webhooks.on('VIDEOREVIEW', () => {});
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);
    const body = review(4102);

    await post(body);
    expect(await post(body)).toEqual({ status: 200, body: { ok: true, duplicate: true } });

    const second = named(telemetry.ours(), 'receive')[1];
    if (!second) throw new Error('no second receive span');
    expect(tree(telemetry.ours(), second)).toEqual(['receive', '  parse', '  dedupe.claim']);
    expect(second.attributes).toMatchObject({
      'uanataca.webhook.duplicate': true,
      'uanataca.webhook.outcome': 'duplicate',
    });
    const data = await telemetry.collect();
    expect(countOf(data, { 'uanataca.webhook.outcome': 'handled' })).toBe(1);
    expect(countOf(data, { 'uanataca.webhook.outcome': 'duplicate' })).toBe(1);
    expect(histogramCount(data, 'uanataca.webhook.handler.duration')).toBe(1);
    await expectNoSecrets(telemetry);
  });

  it('an invalid body: the parse span and the delivery fail with the error code', async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks();
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);

    expect((await post('{"request": ')).status).toBe(400);
    expect((await post({ request: { status: 'VIDEOREVIEW' } })).status).toBe(422);

    const receives = named(telemetry.ours(), 'receive');
    expect(receives.map((span) => span.attributes['uanataca.webhook.outcome'])).toEqual([
      'invalid_json',
      'invalid_payload',
    ]);
    for (const span of receives) {
      expect(tree(telemetry.ours(), span)).toEqual(['receive', '  parse']);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe(span.attributes['uanataca.webhook.outcome']);
      expect(span.attributes['messaging.message.id']).toBeUndefined();
    }
    for (const span of named(telemetry.ours(), 'parse')) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    const data = await telemetry.collect();
    expect(countOf(data, { 'error.type': 'invalid_json' })).toBe(1);
    expect(countOf(data, { 'error.type': 'invalid_payload' })).toBe(1);
    await expectNoSecrets(telemetry);
  });

  it('a failing handler: its exception on its span, which ends when its promise settles', async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks();
    let mode: 'async' | 'sync' = 'async';
    webhooks.on('VIDEOREVIEW', () => {
      if (mode === 'sync') throw new RangeError('amount out of range');
      return delay(20).then(() => {
        throw new TypeError('card declined');
      });
    });
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);

    expect((await post(review(4103))).status).toBe(500);
    mode = 'sync';
    expect((await post(review(4104))).status).toBe(500);

    const ours = telemetry.ours();
    const [first, second] = named(ours, 'receive');
    if (!first || !second) throw new Error('two receive spans expected');
    expect(tree(ours, first)).toEqual([
      'receive',
      '  parse',
      '  dedupe.claim',
      '  handlers',
      '    handler',
      '  dedupe.release',
    ]);
    for (const span of [first, second]) {
      expect(span.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'A webhook handler failed',
      });
      expect(span.attributes).toMatchObject({
        'error.type': 'handler_failed',
        'uanataca.webhook.outcome': 'handler_failed',
      });
      expect(span.events).toEqual([]);
    }
    const handlers = named(ours, 'handler');
    expect(handlers.map((span) => [span.status, span.attributes['error.type']])).toEqual([
      [{ code: SpanStatusCode.ERROR, message: 'card declined' }, 'TypeError'],
      [{ code: SpanStatusCode.ERROR, message: 'amount out of range' }, 'RangeError'],
    ]);
    expect(
      handlers.map((span) =>
        span.events.map((event) => [
          event.name,
          event.attributes?.['exception.type'],
          event.attributes?.['exception.message'],
        ]),
      ),
    ).toEqual([
      [['exception', 'TypeError', 'card declined']],
      [['exception', 'RangeError', 'amount out of range']],
    ]);
    const [async] = handlers;
    expect((async?.duration[0] ?? 0) * 1e3 + (async?.duration[1] ?? 0) / 1e6).toBeGreaterThan(15);
    expect(named(ours, 'handlers').map((span) => span.attributes['error.type'])).toEqual([
      'handler_failed',
      'handler_failed',
    ]);

    const data = await telemetry.collect();
    expect(countOf(data, { 'error.type': 'handler_failed' })).toBe(2);
    expect(
      histogramCount(data, 'uanataca.webhook.handler.duration', { 'error.type': 'TypeError' }),
    ).toBe(1);
    expect(
      histogramCount(data, 'uanataca.webhook.handler.duration', { 'error.type': 'RangeError' }),
    ).toBe(1);
    await expectNoSecrets(telemetry);
  });
});

describe('instrumentWebhooks: a store that fails', () => {
  it("fails its step with the error code, never with the store's own error", async () => {
    const telemetry = createTelemetry();
    const broken = new Error('connect ECONNREFUSED redis://:store-secret-31d@cache:6379');
    const webhooks = createWebhooks({
      dedupe: {
        store: {
          claim: () => Promise.reject(broken),
          markDone: () => Promise.resolve(),
          release: () => Promise.resolve(),
        },
      },
    });
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);

    expect((await post(review(4105))).status).toBe(503);

    const ours = telemetry.ours();
    const receive = only(named(ours, 'receive'), 'receive span');
    expect(tree(ours, receive)).toEqual(['receive', '  parse', '  dedupe.claim']);
    for (const span of [receive, only(named(ours, 'dedupe.claim'), 'claim span')]) {
      expect(span.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'The webhook store is unavailable',
      });
      expect(span.attributes['error.type']).toBe('store_unavailable');
      expect(span.events).toEqual([]);
    }
    const data = await telemetry.collect();
    expect(
      histogramCount(data, 'uanataca.store.operation.duration', {
        'uanataca.store.operation': 'dedupe.claim',
        'error.type': 'store_unavailable',
      }),
    ).toBe(1);
    expect(countOf(data, { 'uanataca.webhook.outcome': 'store_unavailable' })).toBe(1);
    await expectNoSecrets(telemetry, ['store-secret-31d']);
  });
});

/** The memory state store, with locks as a store shared by several instances has them. */
function lockingStateStore(): StateStore {
  const store = createMemoryStateStore();
  const locks = new Map<number, string>();
  let taken = 0;
  return {
    get: (requestId) => store.get(requestId),
    compareAndSet: (requestId, expected, next) => store.compareAndSet(requestId, expected, next),
    async lock(requestId) {
      if (locks.has(requestId)) return undefined;
      taken += 1;
      locks.set(requestId, String(taken));
      return String(taken);
    },
    async unlock(requestId, token) {
      if (locks.get(requestId) === token) locks.delete(requestId);
    },
  };
}

describe('instrumentWebhooks: request state', () => {
  it('records the verdict, and the lock, read and write of the state as spans', async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks({ state: { store: lockingStateStore(), skip: ['stale'] } });
    webhooks.on('*', () => {});
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);
    const later = new Date('2026-03-02T10:00:00Z');
    const earlier = new Date('2026-03-02T09:00:00Z');

    await post(review(4201, later));
    await post(createTestPayload({ status: 'VIDEOPENDING', requestId: 4201, sentAt: earlier }));

    const ours = telemetry.ours();
    const [applied, stale] = named(ours, 'receive');
    if (!applied || !stale) throw new Error('two receive spans expected');
    expect(tree(ours, applied)).toEqual([
      'receive',
      '  parse',
      '  state.lock',
      '  dedupe.claim',
      '  state.read',
      '  handlers',
      '    handler',
      '  state.write',
      '  dedupe.markDone',
      '  state.lock',
    ]);
    expect(applied.attributes).toMatchObject({
      'uanataca.request.transition': 'apply',
      'uanataca.webhook.skipped': false,
      'uanataca.webhook.outcome': 'handled',
    });
    expect(tree(ours, stale)).toEqual([
      'receive',
      '  parse',
      '  state.lock',
      '  dedupe.claim',
      '  state.read',
      '  dedupe.markDone',
      '  state.lock',
    ]);
    expect(stale.attributes).toMatchObject({
      'uanataca.request.status': 'VIDEOPENDING',
      'uanataca.request.transition': 'stale',
      'uanataca.webhook.skipped': true,
      'uanataca.webhook.outcome': 'skipped',
    });

    const data = await telemetry.collect();
    const stores = (operation: string) =>
      histogramCount(data, 'uanataca.store.operation.duration', {
        'uanataca.store.operation': operation,
      });
    expect(stores('state.lock')).toBe(4);
    expect(stores('state.read')).toBe(2);
    expect(stores('state.write')).toBe(1);
    expect(countOf(data, { 'uanataca.webhook.outcome': 'skipped' })).toBe(1);
    await expectNoSecrets(telemetry);
  });
});

describe('instrumentWebhooks: the durable inbox', () => {
  it('receive spans record, process spans handle, linked; the gauges read the backlog', async () => {
    const telemetry = createTelemetry();
    let offset = 0;
    const webhooks = createWebhooks({
      inbox: {
        store: createMemoryInbox({ now: () => Date.now() + offset }),
        worker: false,
        retryDelayMs: { min: 1_000, max: 1_000 },
      },
    });
    let failures = 1;
    const app = telemetry.tracerProvider.getTracer('app');
    webhooks.on('VIDEOREVIEW', () =>
      app.startActiveSpan('notify', (span) => {
        span.end();
        if (failures > 0) {
          failures -= 1;
          throw new Error('CRM unavailable');
        }
      }),
    );
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);

    expect(await post(review(4301))).toEqual({ status: 200, body: { ok: true, queued: true } });
    expect((await post({ request: { pk: 4301 } })).status).toBe(422);

    const [receive, invalid] = named(telemetry.ours(), 'receive');
    if (!receive || !invalid) throw new Error('two receive spans expected');
    expect(tree(telemetry.ours(), receive)).toEqual(['receive', '  parse', '  inbox.record']);
    expect(receive.attributes).toMatchObject({
      'messaging.operation.type': 'receive',
      'uanataca.webhook.queued': true,
      'uanataca.webhook.duplicate': false,
      'uanataca.webhook.outcome': 'queued',
    });
    // An invalid body is kept as an invalid entry, and refused.
    expect(tree(telemetry.ours(), invalid)).toEqual(['receive', '  parse', '  inbox.record']);
    expect(invalid.attributes['uanataca.webhook.outcome']).toBe('invalid_payload');

    let data = await telemetry.collect();
    const gauge = (name: string, attributes: Record<string, unknown> = {}) =>
      points(data, name).find((one) =>
        Object.entries(attributes).every(([key, value]) => one.attributes[key] === value),
      )?.value;
    expect(gauge('uanataca.inbox.entry.count', { 'uanataca.inbox.entry.status': 'pending' })).toBe(
      1,
    );
    expect(gauge('uanataca.inbox.entry.count', { 'uanataca.inbox.entry.status': 'invalid' })).toBe(
      1,
    );
    expect(gauge('uanataca.inbox.oldest_pending.age')).toBeGreaterThanOrEqual(0);
    expect(
      data.find((m) => m.descriptor.name === 'uanataca.inbox.oldest_pending.age')?.descriptor.unit,
    ).toBe('s');

    // A worker woken from another trace starts a trace of its own.
    const unrelated = telemetry.tracerProvider.getTracer('app').startSpan('unrelated');
    await context.with(trace.setSpan(ROOT_CONTEXT, unrelated), () => webhooks.inbox.drain());
    unrelated.end();
    offset += 60_000;
    await webhooks.inbox.drain();

    const ours = telemetry.ours();
    const attempts = named(ours, 'process');
    const [entry] = await webhooks.inbox.list({ status: 'done' });
    expect(attempts.map((span) => span.attributes)).toEqual([
      expect.objectContaining({
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.message.id': receive.attributes['messaging.message.id'],
        'uanataca.inbox.entry.id': entry?.id,
        'uanataca.inbox.entry.attempt': 1,
        'uanataca.webhook.outcome': 'handler_failed',
        'error.type': 'handler_failed',
      }),
      expect.objectContaining({
        'uanataca.inbox.entry.id': entry?.id,
        'uanataca.inbox.entry.attempt': 2,
        'uanataca.webhook.outcome': 'handled',
      }),
    ]);
    for (const span of attempts) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.links.map((link) => link.context.spanId)).toEqual([receive.spanContext().spanId]);
      expect(tree(telemetry.spans(), span)).toEqual([
        'process',
        '  parse',
        '  handlers',
        '    handler',
        '      notify',
      ]);
    }
    expect(attempts.map((span) => span.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);

    data = await telemetry.collect();
    expect(gauge('uanataca.inbox.entry.count', { 'uanataca.inbox.entry.status': 'pending' })).toBe(
      0,
    );
    expect(gauge('uanataca.inbox.entry.count', { 'uanataca.inbox.entry.status': 'done' })).toBe(1);
    expect(gauge('uanataca.inbox.oldest_pending.age')).toBe(0);
    expect(
      countOf(data, {
        'messaging.operation.type': 'receive',
        'uanataca.webhook.outcome': 'queued',
      }),
    ).toBe(1);
    expect(
      countOf(data, {
        'messaging.operation.type': 'process',
        'uanataca.webhook.outcome': 'handler_failed',
      }),
    ).toBe(1);
    expect(
      countOf(data, {
        'messaging.operation.type': 'process',
        'uanataca.webhook.outcome': 'handled',
      }),
    ).toBe(1);
    expect(
      histogramCount(data, 'uanataca.store.operation.duration', {
        'uanataca.store.operation': 'inbox.record',
      }),
    ).toBe(2);
    await expectNoSecrets(telemetry);
  });
});

describe('instrumentWebhooks: instrumentation that fails', () => {
  /** A meter provider whose every instrument throws when it records. */
  function throwingMeterProvider(): MeterProvider {
    const fail = (): never => {
      throw new Error('meter bug');
    };
    const instrument = { record: fail, add: fail, addCallback: fail, removeCallback: fail };
    return {
      getMeter: () =>
        new Proxy({}, { get: (_target, name) => (name === 'then' ? undefined : () => instrument) }),
    } as unknown as MeterProvider;
  }

  it.each([
    ['a span processor whose onEnd throws', 'onEnd'],
    ['a span processor whose onStart throws', 'onStart'],
  ] as const)('changes nothing with %s and a meter that throws', async (_, hook) => {
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [
        {
          onStart: () => {
            if (hook === 'onStart') throw new Error('processor bug');
          },
          onEnd: () => {
            if (hook === 'onEnd') throw new Error('processor bug');
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    const errors: unknown[] = [];
    const webhooks = createWebhooks({ state: {}, onError: (error) => errors.push(error) });
    const seen: number[] = [];
    webhooks.on('VIDEOREVIEW', async (event) => {
      await delay(1);
      seen.push(event.requestId!);
    });
    webhooks.on('ENROLLREADY', () => {
      throw new Error('handler failure');
    });
    instrumentWebhooks(webhooks, { tracerProvider, meterProvider: throwingMeterProvider() });

    await expect(webhooks.receive(review(4601))).resolves.toMatchObject({ duplicate: false });
    await expect(webhooks.receive(review(4601))).resolves.toMatchObject({ duplicate: true });
    expect(seen).toEqual([4601]);
    // A handler's own failure is still what the delivery fails with.
    const approved = createTestPayload({ status: 'ENROLLREADY', requestId: 4602 });
    await expect(webhooks.receive(approved)).rejects.toMatchObject({
      code: 'handler_failed',
      cause: { message: 'handler failure' },
    });
    expect(errors).toHaveLength(1);
  });

  it('changes nothing with a logger that throws', async () => {
    const fail = (): never => {
      throw new Error('logger bug');
    };
    const webhooks = createWebhooks({ logger: { info: fail, warn: fail, error: fail } });
    const handler = vi.fn();
    webhooks.on('*', handler);
    await expect(webhooks.receive(review(4603))).resolves.toMatchObject({ duplicate: false });
    await expect(webhooks.receive('{')).rejects.toMatchObject({ code: 'invalid_json' });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('instrumentWebhooks: a worker woken by the delivery', () => {
  it("links the first attempt to the delivery's span, though it begins before that span ends", async () => {
    const telemetry = createTelemetry();
    const webhooks = createWebhooks({ inbox: { store: createMemoryInbox(), pollMs: 10 } });
    cleanups.push(() => webhooks.inbox.stop());
    const handled: number[] = [];
    webhooks.on('*', (event) => {
      handled.push(event.requestId!);
    });
    instrumentWebhooks(webhooks, telemetry);
    await webhooks.receive(review(4701));
    for (let i = 0; i < 200 && handled.length === 0; i++) await delay(5);
    await webhooks.inbox.stop();
    const [receive] = named(telemetry.ours(), 'receive');
    const [attempt] = named(telemetry.ours(), 'process');
    if (!receive || !attempt) throw new Error('a receive and a process span expected');
    expect(attempt.attributes['uanataca.inbox.entry.attempt']).toBe(1);
    expect(attempt.links.map((link) => link.context.spanId)).toEqual([
      receive.spanContext().spanId,
    ]);
  });
});

describe('instrumentWebhooks: installing and removing', () => {
  it('the returned function removes the spans, the metrics and the inbox gauges', async () => {
    const telemetry = createTelemetry();
    const store = createMemoryInbox();
    let stats = 0;
    const counted = {
      ...store,
      stats() {
        stats += 1;
        return store.stats();
      },
    };
    const webhooks = createWebhooks({ inbox: { store: counted, worker: false } });
    const observers = (webhooks as unknown as Record<symbol, unknown[]>)[OBSERVERS];
    const uninstall = instrumentWebhooks(webhooks, telemetry);
    expect(observers).toHaveLength(1);
    const { post } = await serve(webhooks, telemetry);

    await post(review(4401));
    await telemetry.collect();
    expect(stats).toBe(1);
    uninstall();
    uninstall();
    expect(observers).toHaveLength(0);
    await post(review(4402));
    await webhooks.inbox.drain();

    expect(telemetry.ours().map((span) => span.name)).toEqual(['parse', 'inbox.record', 'receive']);
    const data = await telemetry.collect();
    expect(stats).toBe(1);
    expect(countOf(data, { 'uanataca.webhook.outcome': 'queued' })).toBe(1);
  });

  it('installing again replaces the instrumentation: spans are never doubled', async () => {
    const first = createTelemetry();
    const second = createTelemetry();
    const webhooks = createWebhooks();
    webhooks.on('VIDEOREVIEW', () => {});
    const observers = (webhooks as unknown as Record<symbol, unknown[]>)[OBSERVERS];
    const uninstallFirst = instrumentWebhooks(webhooks, first);
    const uninstallSecond = instrumentWebhooks(webhooks, second);
    instrumentWebhooks(webhooks, second);
    expect(observers).toHaveLength(1);
    const { post } = await serve(webhooks, second);

    await post(review(4501));
    expect(first.ours()).toEqual([]);
    expect(named(second.ours(), 'receive')).toHaveLength(1);
    expect(named(second.ours(), 'handler')).toHaveLength(1);

    // The removal functions of replaced instrumentations do nothing.
    uninstallFirst();
    uninstallSecond();
    expect(observers).toHaveLength(1);
    await post(review(4502));
    expect(named(second.ours(), 'receive')).toHaveLength(2);
    expect(countOf(await second.collect(), { 'uanataca.webhook.outcome': 'handled' })).toBe(2);
  });

  it('works beside the logger option, each observer seeing every delivery', async () => {
    const telemetry = createTelemetry();
    const lines: object[] = [];
    const logger = { info: (line: object) => lines.push(line), warn() {}, error() {} };
    const webhooks = createWebhooks({ logger });
    webhooks.on('VIDEOREVIEW', () => {});
    instrumentWebhooks(webhooks, telemetry);
    const { post } = await serve(webhooks, telemetry);

    await post(review(4601));
    expect(lines).toEqual([expect.objectContaining({ outcome: 'handled', requestId: 4601 })]);
    expect(named(telemetry.ours(), 'handler')).toHaveLength(1);
  });

  it('defaults to the global providers of @opentelemetry/api', async () => {
    const telemetry = createTelemetry();
    trace.setGlobalTracerProvider(telemetry.tracerProvider);
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
    try {
      const webhooks = createWebhooks();
      webhooks.on('VIDEOREVIEW', () => {});
      instrumentWebhooks(webhooks);
      const { post } = await serve(webhooks, telemetry);
      await post(review(4701));
      expect(named(telemetry.ours(), 'receive')).toHaveLength(1);
      expect(countOf(await telemetry.collect(), { 'uanataca.webhook.outcome': 'handled' })).toBe(1);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('refuses what is not a router or not a provider', () => {
    expect(() => instrumentWebhooks({} as Webhooks)).toThrow(InvalidOptionsError);
    expect(() => instrumentWebhooks(null as unknown as Webhooks)).toThrow(InvalidOptionsError);
    const webhooks = createWebhooks();
    expect(() => instrumentWebhooks(webhooks, { tracerProvider: {} as never })).toThrow(
      InvalidOptionsError,
    );
    expect(() => instrumentWebhooks(webhooks, { meterProvider: 'global' as never })).toThrow(
      InvalidOptionsError,
    );
  });
});

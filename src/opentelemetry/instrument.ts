import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { InvalidOptionsError } from '../errors.js';
import { OBSERVERS, type Observer } from '../observe/observer.js';
import type { Webhooks } from '../router/create-webhooks.js';
import { createInstruments, observeInbox } from './instruments.js';
import { SCOPE } from './names.js';
import { createTracingObserver } from './tracing-observer.js';

/** Options of {@link instrumentWebhooks}. */
export interface InstrumentWebhooksOptions {
  /**
   * Where the spans go.
   *
   * @default the global tracer provider of `@opentelemetry/api` (the one `NodeSDK` registers)
   * @example
   * ```ts
   * instrumentWebhooks(webhooks, { tracerProvider: new BasicTracerProvider({ spanProcessors }) })
   * ```
   */
  tracerProvider?: TracerProvider | undefined;
  /**
   * Where the metrics go. The global one is read when `instrumentWebhooks` is called: call it
   * once the SDK is started, or pass the provider.
   *
   * @default the global meter provider of `@opentelemetry/api`
   * @example
   * ```ts
   * instrumentWebhooks(webhooks, { meterProvider: new MeterProvider({ readers: [reader] }) })
   * ```
   */
  meterProvider?: MeterProvider | undefined;
}

/** The mark of an installed instrumentation: its removal. */
const INSTALLED: unique symbol = Symbol.for('uanataca-webhooks.opentelemetry') as never;

type Installed = Observer & { readonly [INSTALLED]: () => void };

function isProvider(value: unknown, method: string): boolean {
  return (
    value === undefined ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)[method] === 'function')
  );
}

/**
 * Traces and measures the deliveries of a router with OpenTelemetry.
 *
 * Each notification `receive`d gets a span (kind CONSUMER, `messaging.operation.type`
 * `receive`), a child of the active span (the HTTP server span that
 * `@opentelemetry/instrumentation-http` or the framework creates), and each attempt of the
 * durable inbox a span of its own (`process`, in a new trace linked to the notification's
 * reception when this process received it). Under it, a span per step: `parse`,
 * `dedupe.claim`, `state.read`, `inbox.record`… and `handlers`, with a `handler` span per
 * handler, in which the handler runs (what it traces nests under it). Metrics: deliveries by
 * outcome, handler and store operation durations, and the inbox's entries and backlog age.
 * No header, body or credential is ever recorded.
 *
 * Instrumenting a router that is already instrumented replaces the earlier instrumentation
 * (whose removal function then does nothing): spans are never doubled.
 *
 * @param webhooks - A router made by `createWebhooks`.
 * @returns A function that removes the instrumentation (deliveries in progress finish their
 * spans).
 * @throws {InvalidOptionsError} when `webhooks` is not a router made by `createWebhooks`, or a
 * provider has no `getTracer`/`getMeter`.
 * @example
 * ```ts
 * import { createWebhooks } from 'uanataca-webhooks'
 * import { instrumentWebhooks } from 'uanataca-webhooks/opentelemetry'
 *
 * const webhooks = createWebhooks()
 * const uninstrument = instrumentWebhooks(webhooks) // the global providers, after sdk.start()
 * ```
 */
export function instrumentWebhooks(
  webhooks: Webhooks,
  options: InstrumentWebhooksOptions = {},
): () => void {
  const observers = (webhooks as { [OBSERVERS]?: unknown } | null | undefined)?.[OBSERVERS];
  if (!Array.isArray(observers)) {
    throw new InvalidOptionsError('instrumentWebhooks needs a router made by createWebhooks()');
  }
  const { tracerProvider, meterProvider } = options;
  if (!isProvider(tracerProvider, 'getTracer') || !isProvider(meterProvider, 'getMeter')) {
    throw new InvalidOptionsError(
      'tracerProvider and meterProvider must be OpenTelemetry providers (getTracer, getMeter)',
    );
  }
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);

  (observers as Observer[]).find((one): one is Installed => INSTALLED in one)?.[INSTALLED]();

  const stopObserving = webhooks.inbox && observeInbox(meter, webhooks.inbox);
  const uninstall = (): void => {
    const at = observers.indexOf(observer);
    if (at === -1) return;
    observers.splice(at, 1);
    stopObserving?.();
  };
  const observer: Installed = {
    ...createTracingObserver(tracer, createInstruments(meter)),
    [INSTALLED]: uninstall,
  };
  observers.push(observer);
  return uninstall;
}

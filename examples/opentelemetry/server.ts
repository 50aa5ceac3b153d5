import { createServer } from 'node:http';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createWebhooks } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';
import { instrumentWebhooks } from 'uanataca-webhooks/opentelemetry';

// What `new NodeSDK({ ... }).start()` from @opentelemetry/sdk-node does, with the console as
// the exporter: global providers, and a context manager so that spans nest across `await`.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 60_000,
    }),
  ],
});
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
// After the providers are registered: the global meter provider is read now.
instrumentWebhooks(webhooks);

const tracer = trace.getTracer('example');
webhooks.on('VIDEOREVIEW', async (event) => {
  // A span the handler starts is a child of its `handler` span.
  await tracer.startActiveSpan('notify operator', async (span) => {
    console.log(`request ${event.requestId} is waiting for video review`);
    span.end();
  });
});

const middleware = createNodeMiddleware(webhooks, {
  path: '/webhooks/uanataca',
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const port = Number(process.env.PORT ?? 3000);
const server = createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
}).listen(port, () => {
  console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);
});

// Exports what is left (the metrics, every minute otherwise) before exiting.
process.once('SIGTERM', () => {
  server.close();
  void Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]).then(() =>
    process.exit(0),
  );
});

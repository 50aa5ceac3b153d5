import Fastify from 'fastify';
import { createWebhooks } from 'uanataca-webhooks';
import fastifyUanatacaWebhooks from 'uanataca-webhooks/fastify';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const app = Fastify();
// The rest of the app keeps Fastify's JSON parser: the plugin's parser is its own.
app.post('/api/echo', async (request) => ({ received: request.body }));
await app.register(fastifyUanatacaWebhooks, {
  webhooks,
  path: '/webhooks/uanataca',
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const port = Number(process.env.PORT ?? 3000);
await app.listen({ port });
console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);

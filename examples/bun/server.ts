import { createWebhooks } from 'uanataca-webhooks';
import { createFetchHandler } from 'uanataca-webhooks/fetch';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const handler = createFetchHandler(webhooks, {
  auth: { token: Bun.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 3000),
  routes: { '/webhooks/uanataca': handler },
  fetch: () => new Response('Not found', { status: 404 }),
});
console.log(`Listening on ${server.url}webhooks/uanataca`);

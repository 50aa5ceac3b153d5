import { createWebhooks } from 'uanataca-webhooks';
import { createFetchHandler } from 'uanataca-webhooks/fetch';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const handler = createFetchHandler(webhooks, {
  auth: { token: Deno.env.get('WEBHOOK_TOKEN') ?? 'change-me' },
});

Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000) }, (request) => {
  if (new URL(request.url).pathname !== '/webhooks/uanataca') {
    return new Response('Not found', { status: 404 });
  }
  return handler(request);
});

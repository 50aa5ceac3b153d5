import { createWebhooks } from 'uanataca-webhooks';
import { createFetchHandler } from 'uanataca-webhooks/fetch';

// Module scope: created once per server instance, not per request.
const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

export const POST = createFetchHandler(webhooks, {
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

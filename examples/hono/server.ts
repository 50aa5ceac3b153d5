import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createWebhooks } from 'uanataca-webhooks';
import { createFetchHandler } from 'uanataca-webhooks/fetch';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const handler = createFetchHandler(webhooks, {
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const app = new Hono();
// The handler reads the body itself: give it the untouched Request.
app.post('/webhooks/uanataca', (c) => handler(c.req.raw));

const port = Number(process.env.PORT ?? 3000);
serve({ fetch: app.fetch, port }, (info) => {
  console.log(`Listening on http://localhost:${info.port}/webhooks/uanataca`);
});

import { createWebhooks } from 'uanataca-webhooks';
import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

// API Gateway (REST or HTTP API, payload 1.0 or 2.0) or a function URL: the same handler.
export const handler = createLambdaHandler(webhooks, {
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

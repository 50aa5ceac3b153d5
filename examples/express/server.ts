import express from 'express';
import { createWebhooks } from 'uanataca-webhooks';
import { createExpressMiddleware } from 'uanataca-webhooks/express';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'; event.requestId is number | undefined
  console.log(`request ${event.requestId} is waiting for video review`);
});
webhooks.on(['CANCELLED', 'VIDEOERROR'], (event) => {
  console.log(`request ${event.requestId} ended: ${event.status}`);
});

const app = express();
// The app's body parser can stay: the middleware uses what it parsed, or reads the body itself.
app.use(express.json());
app.post(
  '/webhooks/uanataca',
  createExpressMiddleware(webhooks, { auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' } }),
);

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => {
  console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);
});

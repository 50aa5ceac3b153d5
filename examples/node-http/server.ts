import { createServer } from 'node:http';
import { createWebhooks, type EventFor } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });

// `EventFor<'VIDEOREVIEW'>` is what `on('VIDEOREVIEW', …)` passes: `event.status` is 'VIDEOREVIEW'.
function onVideoReview(event: EventFor<'VIDEOREVIEW'>): void {
  console.log(`request ${event.requestId} is waiting for video review`);
}
webhooks.on('VIDEOREVIEW', onVideoReview);
webhooks.on('REQUEST_ENROLLED', (event) => {
  for (const certificate of event.certificates) {
    console.log(`certificate ${certificate.serialNumber} issued`);
  }
});

const middleware = createNodeMiddleware(webhooks, {
  path: '/webhooks/uanataca',
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const port = Number(process.env.PORT ?? 3000);
createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
}).listen(port, () => {
  console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);
});

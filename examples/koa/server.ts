import Koa from 'koa';
import { createWebhooks } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const middleware = createNodeMiddleware(webhooks, {
  path: '/webhooks/uanataca',
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const app = new Koa();
// First, before any body parser: the middleware reads the raw body from ctx.req and answers
// on ctx.res itself. For other paths it resolves false, having written nothing.
app.use(async (ctx, next) => {
  if (await middleware(ctx.req, ctx.res))
    ctx.respond = false; // Koa must not answer too
  else await next();
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => {
  console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);
});

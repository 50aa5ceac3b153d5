import Fastify from 'fastify';
import { createWebhooks } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

const middleware = createNodeMiddleware(webhooks, {
  auth: { token: process.env.WEBHOOK_TOKEN ?? 'change-me' },
});

const app = Fastify();
// An encapsulated scope, so that the rest of the app keeps Fastify's own body parsers.
app.register(async (scope) => {
  // Leave every body unread: the middleware reads the raw stream, with its own size limit.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
  scope.post('/webhooks/uanataca', async (request, reply) => {
    reply.hijack(); // the middleware writes the response
    await middleware(request.raw, reply.raw);
  });
});

const port = Number(process.env.PORT ?? 3000);
await app.listen({ port });
console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);

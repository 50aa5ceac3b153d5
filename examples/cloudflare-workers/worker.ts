import { createWebhooks } from 'uanataca-webhooks';
import { createFetchHandler, type FetchHandler } from 'uanataca-webhooks/fetch';

/** The Worker's bindings: `wrangler secret put WEBHOOK_TOKEN`, or `.dev.vars` locally. */
interface Env {
  WEBHOOK_TOKEN?: string;
}

const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
webhooks.on('VIDEOREVIEW', (event) => {
  // event.status is typed 'VIDEOREVIEW'
  console.log(`request ${event.requestId} is waiting for video review`);
});

// Secrets arrive with each request, so the handler is created on the first one.
let handler: FetchHandler | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> | Response {
    if (new URL(request.url).pathname !== '/webhooks/uanataca') {
      return new Response('Not found', { status: 404 });
    }
    handler ??= createFetchHandler(webhooks, {
      auth: { token: env.WEBHOOK_TOKEN ?? 'change-me' },
    });
    return handler(request);
  },
};

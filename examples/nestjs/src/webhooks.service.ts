import { Injectable } from '@nestjs/common';
import { createWebhooks } from 'uanataca-webhooks';

/** The router and its options: one per application, shared by whatever serves it. */
@Injectable()
export class WebhooksService {
  readonly webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
  readonly auth = { token: process.env.WEBHOOK_TOKEN ?? 'change-me' };

  constructor() {
    this.webhooks.on('VIDEOREVIEW', (event) => {
      // event.status is typed 'VIDEOREVIEW'
      console.log(`request ${event.requestId} is waiting for video review`);
    });
  }
}

import { Module } from '@nestjs/common';
import { EchoController } from './echo.controller.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** The application on the Express platform: the webhook is a controller. */
@Module({ controllers: [EchoController, WebhooksController], providers: [WebhooksService] })
export class ExpressAppModule {}

/** The application on the Fastify platform: the webhook is the plugin, registered in main. */
@Module({ controllers: [EchoController], providers: [WebhooksService] })
export class FastifyAppModule {}

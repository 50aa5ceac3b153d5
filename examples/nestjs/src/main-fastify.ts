import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyUanatacaWebhooks from 'uanataca-webhooks/fastify';
import { FastifyAppModule } from './app.module.js';
import { WebhooksService } from './webhooks.service.js';

const app = await NestFactory.create<NestFastifyApplication>(
  FastifyAppModule,
  new FastifyAdapter(),
  { logger: ['warn'] },
);
// The plugin keeps its own parser in its own context: Nest's routes keep Fastify's.
const { webhooks, auth } = app.get(WebhooksService);
await app.register(fastifyUanatacaWebhooks, { webhooks, auth, path: '/webhooks/uanataca' });

const port = Number(process.env.PORT ?? 3000);
await app.listen(port, process.env.HOST ?? '127.0.0.1');
console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAppModule } from './app.module.js';

// rawBody: Nest's parsers keep the bytes as received on req.rawBody, which the middleware
// reads; the rest of the application keeps its parsed bodies.
const app = await NestFactory.create(ExpressAppModule, { rawBody: true, logger: ['warn'] });

const port = Number(process.env.PORT ?? 3000);
await app.listen(port);
console.log(`Listening on http://localhost:${port}/webhooks/uanataca`);

import { All, Controller, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createExpressMiddleware, type ExpressMiddleware } from 'uanataca-webhooks/express';
import { WebhooksService } from './webhooks.service.js';

/** The webhook on the Express platform. The Fastify platform registers the plugin instead. */
@Controller('webhooks/uanataca')
export class WebhooksController {
  private readonly middleware: ExpressMiddleware;

  constructor(service: WebhooksService) {
    this.middleware = createExpressMiddleware(service.webhooks, { auth: service.auth });
  }

  // @All, so that other methods get the contract's 405; @Res, so that the middleware answers.
  @All()
  receive(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.middleware(req, res, () => {});
  }
}

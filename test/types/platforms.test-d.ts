import type {
  ALBEvent,
  ALBHandler,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
  Handler,
  LambdaFunctionURLEvent,
  LambdaFunctionURLHandler,
} from 'aws-lambda';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createLambdaHandler,
  type LambdaEvent,
  type LambdaEventAlb,
  type LambdaHandler,
  type LambdaHandlerOptions,
  type LambdaResult,
} from '../../src/adapters/aws-lambda.js';
import fastifyUanatacaWebhooks, {
  type FastifyWebhooksOptions,
  fastifyUanatacaWebhooks as named,
} from '../../src/adapters/fastify.js';
import { createWebhooks } from '../../src/index.js';

const webhooks = createWebhooks();

describe('createLambdaHandler', () => {
  const handler = createLambdaHandler(webhooks, { auth: { token: 't' } });

  it('is a handler for API Gateway REST and HTTP APIs, function URLs and load balancers', () => {
    expectTypeOf(handler).toEqualTypeOf<LambdaHandler>();
    expectTypeOf(handler).toExtend<APIGatewayProxyHandler>();
    expectTypeOf(handler).toExtend<APIGatewayProxyHandlerV2>();
    expectTypeOf(handler).toExtend<LambdaFunctionURLHandler>();
    expectTypeOf(handler).toExtend<ALBHandler>();
    const alb: ALBHandler = handler;
    expectTypeOf(alb).toEqualTypeOf<ALBHandler>();
    expectTypeOf(handler).toExtend<Handler<APIGatewayProxyEvent, APIGatewayProxyResult>>();
    expectTypeOf(handler).returns.resolves.toEqualTypeOf<LambdaResult>();
  });

  it('takes the events of @types/aws-lambda, and returns their results', () => {
    expectTypeOf<APIGatewayProxyEvent>().toExtend<LambdaEvent>();
    expectTypeOf<APIGatewayProxyEventV2>().toExtend<LambdaEvent>();
    expectTypeOf<LambdaFunctionURLEvent>().toExtend<LambdaEvent>();
    expectTypeOf<ALBEvent>().toExtend<LambdaEventAlb>();
    expectTypeOf<ALBEvent>().toExtend<LambdaEvent>();
    expectTypeOf<LambdaResult>().toExtend<APIGatewayProxyResult>();
    expectTypeOf<LambdaResult>().toExtend<APIGatewayProxyStructuredResultV2>();
    expectTypeOf<LambdaResult>().toExtend<ALBResult>();
    expectTypeOf<LambdaResult['statusDescription']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<LambdaResult['multiValueHeaders']>().toEqualTypeOf<
      Record<string, string[]> | undefined
    >();
    // Fields other adapters' users read stay required.
    expectTypeOf<LambdaResult['headers']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf(handler).toBeCallableWith({} as APIGatewayProxyEvent, {} as Context);
    expectTypeOf(handler).toBeCallableWith({} as ALBEvent, {} as Context);
  });

  it('takes the shared options and awaitInbox', () => {
    expectTypeOf<LambdaHandlerOptions>().toHaveProperty('maxBodyBytes');
    createLambdaHandler(webhooks, { awaitInbox: true, auth: { allowIps: ['198.51.100.0/24'] } });
    // @ts-expect-error: a boolean
    createLambdaHandler(webhooks, { awaitInbox: 'yes' });
    // @ts-expect-error: API Gateway routes; there is no path option
    createLambdaHandler(webhooks, { path: '/hook' });
    // @ts-expect-error: not an event
    handler({ Records: [] });
    // @ts-expect-error: a load balancer's event names its target group
    handler({ httpMethod: 'POST', requestContext: { elb: 'arn' } });
  });
});

describe('the Fastify plugin', () => {
  it('is a FastifyPluginAsync taking the webhook options', () => {
    expectTypeOf(fastifyUanatacaWebhooks).toEqualTypeOf<
      FastifyPluginAsync<FastifyWebhooksOptions>
    >();
    expectTypeOf(named).toEqualTypeOf(fastifyUanatacaWebhooks);
  });

  it('registers with webhooks and a path, and the shared options', () => {
    const app = Fastify();
    app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook' });
    app.register(fastifyUanatacaWebhooks, {
      webhooks,
      path: '/',
      prefix: '/webhooks/uanataca',
      maxBodyBytes: 4096,
      auth: { token: 't', trustProxy: 1 },
    });
    // @ts-expect-error: the router is required
    app.register(fastifyUanatacaWebhooks, { path: '/hook' });
    // @ts-expect-error: the path is required
    app.register(fastifyUanatacaWebhooks, { webhooks });
    // @ts-expect-error: a size is a number of bytes
    app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', maxBodyBytes: '1mb' });
  });
});

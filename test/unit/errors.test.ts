import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  HandlerError,
  InFlightError,
  InvalidJsonError,
  InvalidOptionsError,
  InvalidPayloadError,
  InvalidTimestampError,
  isWebhookError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  StoreUnavailableError,
  UnauthorizedError,
  WebhookError,
} from '../../src/index.js';

describe('the WebhookError family', () => {
  it.each([
    [new InvalidJsonError('x'), 'InvalidJsonError', 'invalid_json', 400],
    [new InvalidPayloadError('x', []), 'InvalidPayloadError', 'invalid_payload', 422],
    [new InvalidTimestampError('x'), 'InvalidTimestampError', 'invalid_timestamp', 422],
    [new InvalidOptionsError('x'), 'InvalidOptionsError', 'invalid_options', 500],
    [new PayloadTooLargeError(10), 'PayloadTooLargeError', 'payload_too_large', 413],
    [new UnauthorizedError(), 'UnauthorizedError', 'unauthorized', 401],
    [new ForbiddenError(), 'ForbiddenError', 'forbidden', 403],
    [new MethodNotAllowedError('GET'), 'MethodNotAllowedError', 'method_not_allowed', 405],
    [new InFlightError(), 'InFlightError', 'in_flight', 409],
    [new HandlerError(new Error('db down')), 'HandlerError', 'handler_failed', 500],
    [
      new StoreUnavailableError(new Error('econnrefused')),
      'StoreUnavailableError',
      'store_unavailable',
      503,
    ],
  ])('%s has its name, code and status', (error, name, code, status) => {
    expect(error).toBeInstanceOf(WebhookError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(isWebhookError(error)).toBe(true);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('keeps the cause of a handler failure out of the message', () => {
    const cause = new Error('password=hunter2');
    const error = new HandlerError(cause);
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('hunter2');
  });

  it('quotes at most a short excerpt of a method', () => {
    const error = new MethodNotAllowedError('X'.repeat(1000));
    expect(error.message.length).toBeLessThan(80);
    expect(error.method).toHaveLength(1000);
  });

  it('carries the retry delay and limit', () => {
    expect(new InFlightError(3).retryAfter).toBe(3);
    expect(new PayloadTooLargeError(1024).limit).toBe(1024);
    expect(new PayloadTooLargeError(1024).message).toContain('1024');
  });
});

describe('isWebhookError', () => {
  it('recognizes an error made by another copy of the package', () => {
    const copy = {
      name: 'InFlightError',
      code: 'in_flight',
      status: 409,
      message: 'The same notification is still being processed',
    };
    expect(isWebhookError(Object.assign(new Error(copy.message), copy))).toBe(true);
  });

  it('recognizes an error made in another realm', () => {
    const foreign = runInNewContext(
      `class WebhookError extends Error { constructor() { super('x'); this.name = 'ForbiddenError'; this.code = 'forbidden'; this.status = 403; } }
       new WebhookError()`,
    );
    expect(foreign instanceof Error).toBe(false);
    expect(isWebhookError(foreign)).toBe(true);
  });

  it.each([
    ['null', null],
    ['a string', 'invalid_json'],
    ['a plain Error', new Error('x')],
    [
      'an error with an unknown code',
      Object.assign(new Error('x'), { code: 'ECONNRESET', status: 500 }),
    ],
    ['an object without status', { name: 'InvalidJsonError', code: 'invalid_json', message: 'x' }],
    [
      'a fetch-like error',
      Object.assign(new TypeError('x'), { code: 'invalid_json', status: '400' }),
    ],
  ])('rejects %s', (_, value) => {
    expect(isWebhookError(value)).toBe(false);
  });

  it('does not throw on hostile values', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(isWebhookError(hostile)).toBe(false);
  });
});

describe('isWebhookError with a code', () => {
  it('answers whether the error has that code, across copies of the package too', () => {
    const error = new InvalidPayloadError('bad', []);
    expect(isWebhookError(error, 'invalid_payload')).toBe(true);
    expect(isWebhookError(error, 'invalid_json')).toBe(false);
    const copy = Object.assign(new Error('bad'), {
      name: 'InvalidPayloadError',
      code: 'invalid_payload',
      status: 422,
      issues: [],
    });
    expect(isWebhookError(copy, 'invalid_payload')).toBe(true);
    expect(isWebhookError(copy, 'in_flight')).toBe(false);
    expect(isWebhookError(new Error('plain'), 'invalid_payload')).toBe(false);
    expect(isWebhookError(undefined, 'invalid_payload')).toBe(false);
  });
});

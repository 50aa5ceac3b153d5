import { describe, expectTypeOf, it } from 'vitest';
import {
  type HandlerError,
  type InFlightError,
  type InvalidPayloadError,
  isWebhookError,
  type StoreUnavailableError,
  type WebhookError,
} from '../../src/index.js';

describe('isWebhookError', () => {
  it('narrows to WebhookError without a code', () => {
    const value: unknown = undefined;
    if (isWebhookError(value)) expectTypeOf(value).toEqualTypeOf<WebhookError>();
  });

  it("narrows to the class of the code, so that a code's own fields type-check", () => {
    const value: unknown = undefined;
    if (isWebhookError(value, 'invalid_payload')) {
      expectTypeOf(value).toEqualTypeOf<InvalidPayloadError>();
      expectTypeOf(value.issues).toExtend<readonly unknown[]>();
    }
    if (isWebhookError(value, 'in_flight')) expectTypeOf(value).toEqualTypeOf<InFlightError>();
    if (isWebhookError(value, 'store_unavailable')) {
      expectTypeOf(value).toEqualTypeOf<StoreUnavailableError>();
      expectTypeOf(value.retryAfter).toBeNumber();
    }
    if (isWebhookError(value, 'handler_failed')) expectTypeOf(value).toEqualTypeOf<HandlerError>();
  });

  it('refuses a code that does not exist', () => {
    // @ts-expect-error: not a code of this package
    isWebhookError(undefined, 'not_found');
  });
});

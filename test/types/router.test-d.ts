import { describe, expectTypeOf, it } from 'vitest';
import {
  type ClaimResult,
  createMemoryDedupeStore,
  createWebhooks,
  type DedupeStore,
  type EventFor,
  type EventType,
  type HandlerContext,
  type KnownRequestStatus,
  type ReceiveResult,
  type RequestStatus,
  type WebhookError,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookName,
  type Webhooks,
} from '../../src/index.js';

const webhooks = createWebhooks();

describe('on: narrowing', () => {
  it('narrows status for a status name', () => {
    webhooks.on('VIDEOREVIEW', (event) => {
      expectTypeOf(event).toEqualTypeOf<WebhookEvent<'VIDEOREVIEW'>>();
      expectTypeOf(event.status).toEqualTypeOf<'VIDEOREVIEW'>();
      expectTypeOf(event.eventType).toEqualTypeOf<EventType | undefined>();
    });
  });

  it('narrows eventType for an event-type name', () => {
    webhooks.on('REQUEST_ENROLLED', (event) => {
      expectTypeOf(event.eventType).toEqualTypeOf<'REQUEST_ENROLLED'>();
      expectTypeOf(event.status).toEqualTypeOf<RequestStatus>();
    });
  });

  it('gives the union for an array', () => {
    webhooks.on(['VIDEOREVIEW', 'ISSUED'], (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'VIDEOREVIEW' | 'ISSUED'>();
    });
    webhooks.on(['CANCELLED', 'REQUEST_CANCELED'], (event) => {
      expectTypeOf(event).toEqualTypeOf<
        WebhookEvent<'CANCELLED'> | WebhookEvent<RequestStatus, 'REQUEST_CANCELED'>
      >();
    });
  });

  it("gives the plain event for '*'", () => {
    webhooks.on('*', (event) => {
      expectTypeOf(event).toEqualTypeOf<WebhookEvent>();
      expectTypeOf(event.status).toEqualTypeOf<RequestStatus>();
    });
    webhooks.on(['ISSUED', '*'], (event) => {
      expectTypeOf(event.status).toEqualTypeOf<RequestStatus>();
    });
  });

  it('accepts a readonly array held in a variable', () => {
    const done = ['ISSUED', 'RENEWED'] as const;
    webhooks.on(done, (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'ISSUED' | 'RENEWED'>();
    });
    const any: readonly KnownRequestStatus[] = ['CREATED'];
    webhooks.on(any, (event) => {
      expectTypeOf(event.status).toEqualTypeOf<KnownRequestStatus>();
    });
  });

  it('does not let a narrowed event pass for another', () => {
    webhooks.on('VIDEOREVIEW', (event) => {
      // @ts-expect-error: the status is VIDEOREVIEW, not ISSUED
      const issued: 'ISSUED' = event.status;
      return issued;
    });
    webhooks.on('REQUEST_ENROLLED', (event) => {
      // @ts-expect-error: the event type is REQUEST_ENROLLED
      const failed: 'VIDEOID_FAILED' = event.eventType;
      return failed;
    });
    webhooks.on('VIDEOREVIEW', (event) => {
      // @ts-expect-error: comparing with a status this handler never receives
      return event.status === 'ISSUED';
    });
  });

  it('refuses a handler written for another name', () => {
    const onIssued = (event: WebhookEvent<'ISSUED'>): string => event.status;
    webhooks.on('ISSUED', onIssued);
    // @ts-expect-error: a handler for ISSUED cannot receive VIDEOREVIEW
    webhooks.on('VIDEOREVIEW', onIssued);
    // @ts-expect-error: nor every event
    webhooks.on('*', onIssued);
    const onAny = (event: WebhookEvent): RequestStatus => event.status;
    webhooks.on('VIDEOREVIEW', onAny);
  });
});

describe('on: names', () => {
  it('refuses misspelt and unknown names', () => {
    // @ts-expect-error: misspelt
    webhooks.on('VIDEOREVEIW', () => {});
    // @ts-expect-error: a certificate status is not a name
    webhooks.on('REVOKED', () => {});
    // @ts-expect-error: lower case
    webhooks.on('issued', () => {});
    // @ts-expect-error: one misspelt name in an array
    webhooks.on(['ISSUED', 'ISUED'], () => {});
    const name: string = 'ISSUED';
    // @ts-expect-error: any string
    webhooks.on(name, () => {});
  });

  it('describes the accepted names', () => {
    expectTypeOf<'VIDEOREVIEW'>().toExtend<WebhookName>();
    expectTypeOf<'REQUEST_ENROLLED'>().toExtend<WebhookName>();
    expectTypeOf<'*'>().toExtend<WebhookName>();
    expectTypeOf<readonly ['ISSUED', 'VIDEOID_FAILED', '*']>().toExtend<WebhookName>();
    expectTypeOf<'CANCELED'>().toExtend<WebhookName>();
    expectTypeOf<'canceled'>().not.toExtend<WebhookName>();
    expectTypeOf<string>().not.toExtend<WebhookName>();
  });

  it('computes EventFor', () => {
    expectTypeOf<EventFor<'ISSUED'>>().toEqualTypeOf<WebhookEvent<'ISSUED'>>();
    expectTypeOf<EventFor<'VIDEOID_FAILED'>>().toEqualTypeOf<
      WebhookEvent<RequestStatus, 'VIDEOID_FAILED'>
    >();
    expectTypeOf<EventFor<'*'>>().toEqualTypeOf<WebhookEvent>();
    expectTypeOf<EventFor<['ISSUED', 'RENEWED']>>().toEqualTypeOf<
      WebhookEvent<'ISSUED'> | WebhookEvent<'RENEWED'>
    >();
  });
});

describe('handlers and results', () => {
  it('passes the context and returns an unsubscribe function', () => {
    const off = webhooks.on('ISSUED', (_event, context) => {
      expectTypeOf(context).toEqualTypeOf<HandlerContext>();
      expectTypeOf(context.idempotencyKey).toEqualTypeOf<string>();
      expectTypeOf(context.receivedAt).toEqualTypeOf<Date>();
      expectTypeOf(context.headers).toEqualTypeOf<Readonly<Record<string, string>>>();
      expectTypeOf(context.clientIp).toEqualTypeOf<string | undefined>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
  });

  it('accepts async handlers returning anything', () => {
    webhooks.on('ISSUED', async () => 42);
    webhooks.on('ISSUED', () => 'ignored');
    const handler: WebhookHandler<EventFor<'ISSUED'>> = async (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'ISSUED'>();
    };
    webhooks.on('ISSUED', handler);
  });

  it('resolves receive with the event and the duplicate flag', () => {
    expectTypeOf(webhooks.receive('{}')).toEqualTypeOf<Promise<ReceiveResult>>();
    expectTypeOf<ReceiveResult['event']>().toEqualTypeOf<WebhookEvent>();
    expectTypeOf<ReceiveResult['duplicate']>().toEqualTypeOf<boolean>();
    webhooks.receive(new Uint8Array(), { headers: { 'x-a': '1' }, clientIp: '127.0.0.1' });
    webhooks.receive({}, {});
    // @ts-expect-error: headers are strings
    webhooks.receive('{}', { headers: { 'x-a': 1 } });
  });

  it('is a Webhooks', () => {
    expectTypeOf(webhooks).toEqualTypeOf<Webhooks>();
  });
});

describe('options', () => {
  it('accepts the documented options', () => {
    createWebhooks({ timeZone: 'Europe/Madrid', dedupe: false });
    createWebhooks({ dedupe: { store: createMemoryDedupeStore(), ttlMs: 1, claimTtlMs: 1 } });
    createWebhooks({ timeZone: undefined, dedupe: undefined, onError: undefined });
    createWebhooks({
      onError: (error, event) => {
        expectTypeOf(error).toEqualTypeOf<WebhookError>();
        expectTypeOf(event).toEqualTypeOf<WebhookEvent | undefined>();
      },
    });
  });

  it('refuses wrong options', () => {
    // @ts-expect-error: dedupe is false or an object
    createWebhooks({ dedupe: true });
    // @ts-expect-error: durations are numbers
    createWebhooks({ dedupe: { ttlMs: '1d' } });
    const incomplete = {
      claim: async () => ({ state: 'done' }) as const,
      markDone: async () => {},
    };
    // @ts-expect-error: a store needs release
    createWebhooks({ dedupe: { store: incomplete } });
  });

  it('types DedupeStore for implementers', () => {
    const store: DedupeStore = {
      claim: async () => ({ state: 'claimed', token: 't' }),
      markDone: async () => {},
      release: async () => {},
    };
    expectTypeOf(store.claim).returns.toEqualTypeOf<Promise<ClaimResult>>();
    // @ts-expect-error: a claimed result carries its token
    const bad: ClaimResult = { state: 'claimed' };
    return bad;
  });
});

describe('on: the provider spelling variants', () => {
  it('narrows a variant to the documented value it stands for', () => {
    const webhooks = createWebhooks();
    webhooks.on('CANCELED', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'CANCELLED'>();
    });
    webhooks.on('RENOVATED', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'RENEWED'>();
    });
    webhooks.on('REQUEST_CANCELLED', (event) => {
      expectTypeOf(event.eventType).toEqualTypeOf<'REQUEST_CANCELED'>();
    });
    webhooks.on(['CANCELED', 'ISSUED'], (event) => {
      expectTypeOf(event.status).toEqualTypeOf<'CANCELLED' | 'ISSUED'>();
    });
  });
});

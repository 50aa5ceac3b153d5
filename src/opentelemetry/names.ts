/**
 * The names of the attributes, spans and metrics `instrumentWebhooks` records: the messaging
 * semantic conventions' where one applies, `uanataca.*` for the rest.
 *
 * @internal
 */

/** The instrumentation scope of the tracer and the meter. */
export const SCOPE = 'uanataca-webhooks';

/** `messaging.system` of every span and delivery count. */
export const SYSTEM = 'uanataca';

export const MESSAGING_SYSTEM = 'messaging.system';
export const OPERATION_TYPE = 'messaging.operation.type';
export const OPERATION_NAME = 'messaging.operation.name';
export const MESSAGE_ID = 'messaging.message.id';
export const ERROR_TYPE = 'error.type';

export const EVENT_TYPE = 'uanataca.webhook.event_type';
export const FORMAT = 'uanataca.webhook.format';
export const DUPLICATE = 'uanataca.webhook.duplicate';
export const QUEUED = 'uanataca.webhook.queued';
export const SKIPPED = 'uanataca.webhook.skipped';
export const OUTCOME = 'uanataca.webhook.outcome';
export const HANDLER_INDEX = 'uanataca.webhook.handler.index';
export const REQUEST_ID = 'uanataca.request.id';
export const REQUEST_STATUS = 'uanataca.request.status';
export const PREVIOUS_STATUS = 'uanataca.request.previous_status';
export const TRANSITION = 'uanataca.request.transition';
export const ENTRY_ID = 'uanataca.inbox.entry.id';
export const ENTRY_ATTEMPT = 'uanataca.inbox.entry.attempt';
export const ENTRY_STATUS = 'uanataca.inbox.entry.status';
export const STORE_OPERATION = 'uanataca.store.operation';

export const DELIVERIES = 'uanataca.webhook.deliveries';
export const HANDLER_DURATION = 'uanataca.webhook.handler.duration';
export const STORE_DURATION = 'uanataca.store.operation.duration';
export const ENTRY_COUNT = 'uanataca.inbox.entry.count';
export const OLDEST_PENDING_AGE = 'uanataca.inbox.oldest_pending.age';

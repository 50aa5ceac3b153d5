export { TimeoutError } from './deadline.js';
export type { ClaimResult, DedupeStore } from './dedupe/dedupe-store.js';
export type { MemoryDedupeStoreOptions } from './dedupe/memory-dedupe-store.js';
export { createMemoryDedupeStore } from './dedupe/memory-dedupe-store.js';
export type {
  InFlightErrorOptions,
  WebhookErrorByCode,
  WebhookErrorCode,
  WebhookErrorOptions,
} from './errors.js';
export {
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
} from './errors.js';
export type { InboxControl, InboxReport, ReplaySummary } from './inbox/control.js';
export { createInboxControl } from './inbox/control.js';
export type {
  AttemptOutcome,
  InboxEntry,
  InboxEntryStatus,
  InboxFilter,
  InboxStats,
  InboxStore,
  NewInboxEntry,
  ReparsedFields,
  ReplayResult,
} from './inbox/inbox-store.js';
export { INBOX_ENTRY_STATUSES } from './inbox/inbox-store.js';
export type { MemoryInboxOptions } from './inbox/memory-inbox.js';
export { createMemoryInbox } from './inbox/memory-inbox.js';
export type { InboxOptions } from './inbox/options.js';
export type { TransitionVerdict } from './lifecycle/classify.js';
export { classifyTransition } from './lifecycle/classify.js';
export { canTransition, isTerminalStatus, nextStatuses, TRANSITIONS } from './lifecycle/graph.js';
export type { Logger } from './observe/logger.js';
export type { Certificate, WebhookEvent } from './payload/event.js';
export type { ParseOptions, SafeParseResult, WebhookBody } from './payload/parse.js';
export { parseWebhook, safeParseWebhook } from './payload/parse.js';
export type {
  CertificatePayload,
  EnvelopePayload,
  EnvelopeRequestPayload,
  LegacyPayload,
  WebhookPayload,
} from './payload/schema.js';
export {
  certificateSchema,
  envelopeSchema,
  legacySchema,
  webhookPayloadSchema,
} from './payload/schema.js';
export type { TimeZoneOptions } from './payload/timestamp.js';
export { formatSentAt, parseTimestamp } from './payload/timestamp.js';
export type {
  CertificateStatus,
  EventType,
  KnownCertificateStatus,
  KnownEventType,
  KnownRequestStatus,
  RequestStatus,
} from './payload/vocabulary.js';
export {
  CERTIFICATE_STATUSES,
  EVENT_TYPES,
  normalizeCertificateStatus,
  normalizeEventType,
  normalizeStatus,
  REQUEST_STATUSES,
} from './payload/vocabulary.js';
export type {
  DedupeOptions,
  HandlerContext,
  ReceiveContext,
  ReceiveResult,
  WebhookHandler,
  Webhooks,
  WebhooksInbox,
  WebhooksOptions,
} from './router/create-webhooks.js';
export { createWebhooks } from './router/create-webhooks.js';
export type { EventFor, WebhookName } from './router/names.js';
export type { MemoryStateStoreOptions } from './state/memory-state-store.js';
export { createMemoryStateStore } from './state/memory-state-store.js';
export type { SkippableTransition, StateOptions } from './state/state-options.js';
export type { RequestState, StateStore } from './state/state-store.js';

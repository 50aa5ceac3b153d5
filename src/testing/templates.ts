import type {
  CertificateStatus,
  KnownEventType,
  KnownRequestStatus,
} from '../payload/vocabulary.js';

/**
 * The provider's documented templates: which request status each event type carries, and
 * the certificate status of the events that list a certificate. The one source of the
 * templates in the package and its tests.
 *
 * @internal
 */
export const EVENT_TEMPLATES: Readonly<
  Record<
    KnownEventType,
    { readonly status: KnownRequestStatus; readonly certificate?: CertificateStatus }
  >
> = {
  REQUEST_CREATED: { status: 'CREATED' },
  REQUEST_CANCELED: { status: 'CANCELLED' },
  REQUEST_APPROVED: { status: 'ENROLLREADY' },
  REQUEST_ENROLLED: { status: 'ISSUED', certificate: 'VALID' },
  CERTIFICATE_SUSPENDED: { status: 'ISSUED', certificate: 'SUSPENDED' },
  CERTIFICATE_REVOKED: { status: 'ISSUED', certificate: 'REVOKED' },
  VIDEOID_UPDATED: { status: 'VIDEOREVIEW' },
  VIDEOID_FAILED: { status: 'VIDEOERROR' },
  VIDEOID_REFUSED: { status: 'CANCELLED' },
};

/**
 * The event type whose template carries each request status (the first documented one when
 * several do); `undefined` for `RENEWED`, whose event no template documents.
 *
 * @internal
 */
export const EVENT_OF_STATUS: Readonly<Record<KnownRequestStatus, KnownEventType | undefined>> = {
  CREATED: 'REQUEST_CREATED',
  VIDEOPENDING: 'REQUEST_CREATED',
  VIDEOREVIEW: 'VIDEOID_UPDATED',
  VIDEOINCOMPLETE: 'VIDEOID_UPDATED',
  VIDEOERROR: 'VIDEOID_FAILED',
  ENROLLREADY: 'REQUEST_APPROVED',
  ISSUED: 'REQUEST_ENROLLED',
  RENEWED: undefined,
  CANCELLED: 'REQUEST_CANCELED',
};

/** One step of a documented flow: the status and the event type that carries it. */
export type FlowStep = readonly [KnownRequestStatus, KnownEventType];

/** The name of a documented flow `createTestFlow` can play. */
export type TestFlowName =
  | 'classic'
  | 'async'
  | 'videoid'
  | 'videoid-external'
  | 'videoid-refused'
  | 'videoid-failed'
  | 'cancelled'
  | 'certificate-suspended'
  | 'certificate-revoked';

/**
 * The documented flows, step by step, as the provider's workflow pages and templates
 * describe them.
 *
 * @internal
 */
export const FLOWS: Readonly<Record<TestFlowName, readonly FlowStep[]>> = {
  /** Classic One-Shot (OTP by SMS): created, approved, issued. */
  classic: [
    ['CREATED', 'REQUEST_CREATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
  ],
  /** The asynchronous flow (`useasync=true`): the same statuses as the classic one. */
  async: [
    ['CREATED', 'REQUEST_CREATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
  ],
  /** eIDAS VideoID, as in the provider's sample: a partial upload, then review and issuance. */
  videoid: [
    ['VIDEOPENDING', 'REQUEST_CREATED'],
    ['VIDEOINCOMPLETE', 'VIDEOID_UPDATED'],
    ['VIDEOREVIEW', 'VIDEOID_UPDATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
  ],
  /** VideoID External: all evidence uploaded at once, then as eIDAS VideoID. */
  'videoid-external': [
    ['VIDEOPENDING', 'REQUEST_CREATED'],
    ['VIDEOREVIEW', 'VIDEOID_UPDATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
  ],
  /** A VideoID refused by the reviewing operator. */
  'videoid-refused': [
    ['VIDEOPENDING', 'REQUEST_CREATED'],
    ['VIDEOREVIEW', 'VIDEOID_UPDATED'],
    ['CANCELLED', 'VIDEOID_REFUSED'],
  ],
  /** A VideoID process that failed. */
  'videoid-failed': [
    ['VIDEOPENDING', 'REQUEST_CREATED'],
    ['VIDEOERROR', 'VIDEOID_FAILED'],
  ],
  /** A request cancelled before issuance. */
  cancelled: [
    ['CREATED', 'REQUEST_CREATED'],
    ['CANCELLED', 'REQUEST_CANCELED'],
  ],
  /** An issued certificate, later suspended. */
  'certificate-suspended': [
    ['CREATED', 'REQUEST_CREATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
    ['ISSUED', 'CERTIFICATE_SUSPENDED'],
  ],
  /** An issued certificate, suspended and then revoked. */
  'certificate-revoked': [
    ['CREATED', 'REQUEST_CREATED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
    ['ISSUED', 'CERTIFICATE_SUSPENDED'],
    ['ISSUED', 'CERTIFICATE_REVOKED'],
  ],
};

import type { WebhookPayload } from './schema.js';
import type { CertificateStatus, EventType, RequestStatus } from './vocabulary.js';

/** A certificate of a notification, normalized. */
export interface Certificate {
  /** Normalized certificate status (`ACTIVE` becomes `VALID`). */
  readonly status: CertificateStatus;
  /** Hexadecimal serial number, as sent. */
  readonly serialNumber: string;
  /** Start of validity, or `undefined` when not sent. */
  readonly validFrom: Date | undefined;
  /** End of validity, or `undefined` when not sent. */
  readonly validTo: Date | undefined;
}

/**
 * A notification, normalized. Every field is present; those the payload lacks are
 * `undefined`.
 *
 * `S` and `E` narrow `status` and `eventType` (the router does this for handlers).
 */
export interface WebhookEvent<
  S extends RequestStatus = RequestStatus,
  E extends EventType | undefined = EventType | undefined,
> {
  /** Which payload format was received. */
  readonly format: 'envelope' | 'legacy';
  /** Normalized `event_type`; `undefined` for the legacy format. */
  readonly eventType: E;
  /** Normalized request status (`CANCELED` becomes `CANCELLED`, `RENOVATED` becomes `RENEWED`). */
  readonly status: S;
  /** Normalized `previous_status`, where the payload has one. */
  readonly previousStatus: RequestStatus | undefined;
  /** The request id (`request.pk`, or the legacy `request`); absent from ISSUED templates. */
  readonly requestId: number | undefined;
  /** The registration authority id. */
  readonly registrationAuthority: number | undefined;
  /** The certificate profile, such as `PFnubeQAFCiudadano`. */
  readonly profile: string | undefined;
  /** The request's scratchcard. */
  readonly scratchcard: string | undefined;
  /** When the provider sent the notification (`sent_at`). */
  readonly sentAt: Date | undefined;
  /** When the status changed (`date`). */
  readonly changedAt: Date | undefined;
  /** `changedAt ?? sentAt`: the time to order notifications by. */
  readonly occurredAt: Date;
  /** Certificates, normalized; empty until issuance. */
  readonly certificates: readonly Certificate[];
  /**
   * A key that is the same for every delivery of one notification and differs between
   * notifications: use it to deduplicate.
   */
  readonly idempotencyKey: string;
  /** The validated wire object, with its original field names and unknown fields. */
  readonly payload: WebhookPayload;
}

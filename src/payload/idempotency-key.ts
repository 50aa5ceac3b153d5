import type { WebhookEvent } from './event.js';
import { KNOWN_VALUES } from './vocabulary.js';

/**
 * What identifies a notification: the fields of its event that a redelivery repeats and
 * another notification changes, and the text of its time as sent.
 *
 * @internal
 */
export interface NotificationIdentity
  extends Pick<
    WebhookEvent,
    'format' | 'requestId' | 'registrationAuthority' | 'eventType' | 'status' | 'previousStatus'
  > {
  /**
   * The time of the notification as sent: the time of the change (`date`, else `request.date`),
   * which a resend repeats, else `sent_at`, which a resend may renew.
   */
  readonly time: string | number;
  /** The certificates, in the order sent. */
  readonly certificates: readonly { readonly serialNumber: string; readonly status: string }[];
}

/** Keys up to this length are kept as they are; longer ones are hashed. */
const MAX_KEY_LENGTH = 200;

/** 53-bit string hash (cyrb53), in base 36. */
function hash(text: string, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * A field of the key as text: `%`, `:` and `=` written `%25`, `%3A` and `%3D`, so that a value
 * holding a separator cannot make two notifications' keys alike. Statuses, event types and
 * serial numbers as the provider writes them hold none, and are written as they are.
 */
function field(value: string | undefined): string {
  if (value === undefined || KNOWN_VALUES.has(value)) return value ?? '';
  // The documented values are known not to hold one; others are looked through.
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // `%`, `:`, `=`.
    if (code === 37 || code === 58 || code === 61) {
      return value.replace(/%/g, '%25').replace(/:/g, '%3A').replace(/=/g, '%3D');
    }
  }
  return value;
}

/**
 * The idempotency key of a notification (`WebhookEvent.idempotencyKey`). Receivers store it
 * to recognise a redelivery, so its format is part of the package's contract: it never
 * changes within a major version.
 *
 * The key is the fields below joined by `:`, an absent field written as nothing:
 *
 * 1. `e` for the envelope format, `l` for the legacy one;
 * 2. the request id (`request.pk`, or the legacy `request`), in decimal;
 * 3. the registration authority id, in decimal;
 * 4. the normalized event type (always empty for the legacy format);
 * 5. the normalized request status;
 * 6. the normalized previous status;
 * 7. the time as sent, trimmed: top-level `date`, else `request.date`, else `sent_at`
 *    (a number in decimal);
 *
 * then, for each certificate in the order sent, `:` followed by its serial number as sent, `=`
 * and its normalized status. In the event type, the statuses and the serial numbers, `%`, `:`
 * and `=` are written `%25`, `%3A` and `%3D` (the provider's values hold none), so that no two
 * notifications share a key; the time keeps its `:`, and the ids are digits. A key longer than
 * 200 characters is replaced by `h:` followed by
 * two cyrb53 hashes of it, with seeds 1 and 2, each in base 36, so that no key is longer than
 * 24 characters then.
 *
 * @example
 * ```ts
 * 'e:28634:139:VIDEOID_UPDATED:VIDEOREVIEW::20250715084502'
 * 'e:::REQUEST_ENROLLED:ISSUED::20250301102540:03243d63df48a72d=VALID'
 * 'l:46760:455::VIDEOINCOMPLETE:VIDEOPENDING:2021-07-20T08:08:21.132394'
 * 'h:ddv4qjzhyd26ijklrr0zj'
 * ```
 * @internal
 */
export function createIdempotencyKey(identity: NotificationIdentity): string {
  const { requestId, registrationAuthority, eventType, status, previousStatus } = identity;
  let key = `${identity.format === 'envelope' ? 'e' : 'l'}:${requestId ?? ''}:${registrationAuthority ?? ''}:${field(eventType)}:${field(status)}:${field(previousStatus)}:${String(identity.time).trim()}`;
  for (const certificate of identity.certificates) {
    key += `:${field(certificate.serialNumber)}=${field(certificate.status)}`;
  }
  return key.length <= MAX_KEY_LENGTH ? key : `h:${hash(key, 1)}${hash(key, 2)}`;
}

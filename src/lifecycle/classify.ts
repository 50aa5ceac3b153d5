import {
  type KnownRequestStatus,
  normalizeStatus,
  type RequestStatus,
} from '../payload/vocabulary.js';
import { ASSUMED_TRANSITIONS, reachability, TRANSITIONS } from './graph.js';

/**
 * What to do with a notification, given the request status already stored:
 * - `'apply'`: it is news; store its status and `occurredAt`.
 * - `'duplicate'`: it carries the stored status; nothing to change. Certificate events after
 *   issuance (suspension, revocation) carry `ISSUED` again and land here: a duplicate for the
 *   request status, not necessarily for the certificates.
 * - `'stale'`: old news (delivered late, or re-sent); ignore it.
 * - `'unexpected'`: neither the lifecycle nor time can place it (a status outside the
 *   documented lifecycle, anything after `CANCELLED` that did not come before it, `CANCELLED`
 *   after `ISSUED`, two statuses of the VideoID retry loop at the same instant); keep the
 *   stored status and log it: the provider did something undocumented.
 */
export type TransitionVerdict = 'apply' | 'duplicate' | 'stale' | 'unexpected';

type Classifier = (
  current: { status: RequestStatus; occurredAt?: Date } | undefined,
  incoming: { status: RequestStatus; occurredAt: Date },
) => TransitionVerdict;

/**
 * Builds {@link classifyTransition} for a status graph.
 *
 * @internal
 */
export function createClassifier(
  graph: Readonly<Record<KnownRequestStatus, readonly KnownRequestStatus[]>>,
  assumed: readonly (readonly [KnownRequestStatus, KnownRequestStatus])[] = ASSUMED_TRANSITIONS,
): Classifier {
  const reaches = reachability(graph);
  const documentedGraph = Object.fromEntries(
    Object.entries(graph).map(([from, next]) => [
      from,
      next.filter((to) => !assumed.some(([a, b]) => a === from && b === to)),
    ]),
  ) as unknown as Record<KnownRequestStatus, readonly KnownRequestStatus[]>;
  const documentedReaches = reachability(documentedGraph);

  return (current, incoming) => {
    if (current == null) return 'apply';
    const from = normalizeStatus(current.status);
    const to = normalizeStatus(incoming.status);
    // NaN for a missing or invalid date, which is neither later nor earlier than any time.
    const before = current.occurredAt?.getTime() ?? NaN;
    const after = incoming.occurredAt?.getTime() ?? NaN;
    const later = after > before;
    const earlier = after < before;

    // A status on a retry loop can genuinely happen again; the later visit must move the
    // stored time forward, or an older notification could then be applied over it.
    if (from === to) return later && reaches(from, to) ? 'apply' : 'duplicate';

    const forward = reaches(from, to);
    const backward = reaches(to, from);
    if (forward !== backward) return forward ? 'apply' : 'stale';
    if (earlier) return 'stale';
    if (later && forward) return 'apply';
    if (forward) {
      // Both reach each other through the assumed retry loop, at the same instant (sent_at
      // has whole seconds) or with no stored time: the documented direction decides.
      const ahead = documentedReaches(from, to);
      if (ahead !== documentedReaches(to, from)) return ahead ? 'apply' : 'stale';
    }
    return 'unexpected';
  };
}

const classify: Classifier = /* @__PURE__ */ createClassifier(TRANSITIONS);

/**
 * Decides whether a notification should be applied to the stored request status: the
 * question every receiver has, since the provider documents no ordering and no delivery id,
 * so notifications may arrive late, twice, or out of order.
 *
 * The lifecycle ({@link TRANSITIONS}) comes first, time second:
 * - No stored status (`current` is `undefined`): `'apply'`, whatever the status.
 * - The same status (after normalization, so `CANCELED` equals `CANCELLED`): `'duplicate'`,
 *   except that a status that can recur (`VIDEOPENDING`, `VIDEOINCOMPLETE`, `VIDEOERROR`, on
 *   the retry loop) with a strictly later `occurredAt` is a new attempt: `'apply'`.
 * - The stored status reaches the incoming one through the lifecycle and not the reverse:
 *   `'apply'`, even across skipped statuses, and even when `occurredAt` is earlier. The
 *   reverse: `'stale'`, even when `occurredAt` is later. Timestamps carry no documented zone
 *   (an hour repeats every autumn) and a resend may carry a fresh `sent_at`, while the
 *   lifecycle cannot go backwards, so where the two disagree the lifecycle wins.
 * - Both reach each other (two statuses of the retry loop): the later `occurredAt` wins
 *   (`'apply'` or `'stale'`). At the same instant (`sent_at` has whole seconds) or with a
 *   missing `current.occurredAt`, the documented direction decides (`VIDEOPENDING` before
 *   `VIDEOINCOMPLETE` and `VIDEOERROR`); where none is documented, `'unexpected'`.
 * - Neither reaches the other (an unknown status on either side, anything after
 *   `CANCELLED` that did not come before it, `CANCELLED` after `ISSUED`): an earlier
 *   `occurredAt` is `'stale'`, otherwise `'unexpected'`.
 *
 * A missing or invalid date is treated as unknown time. Unknown statuses never throw.
 *
 * Applying only `'apply'` (storing the status and `occurredAt`) ends at the same status as
 * applying a documented flow in order, whatever the delivery order and however often each
 * notification is delivered.
 *
 * @param current - The stored status and the `occurredAt` of the notification that set it,
 *   or `undefined` when nothing is stored for the request yet.
 * @param incoming - The notification received; a `WebhookEvent` fits as it is.
 * @example
 * ```ts
 * const verdict = classifyTransition(stored, event);
 * if (verdict === 'apply') await save(event.requestId, event.status, event.occurredAt);
 * else if (verdict === 'unexpected') log.warn('undocumented transition', stored, event);
 * ```
 */
export function classifyTransition(
  current: { status: RequestStatus; occurredAt?: Date } | undefined,
  incoming: { status: RequestStatus; occurredAt: Date },
): TransitionVerdict {
  return classify(current, incoming);
}

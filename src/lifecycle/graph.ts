import {
  type KnownRequestStatus,
  normalizeStatus,
  type RequestStatus,
} from '../payload/vocabulary.js';

/** A status graph: every known status with the statuses it can move to directly. */
type Graph = Readonly<Record<KnownRequestStatus, readonly KnownRequestStatus[]>>;

function freezeGraph(graph: Graph): Graph {
  for (const next of Object.values(graph)) Object.freeze(next);
  return Object.freeze(graph);
}

/**
 * The request lifecycle as data: each known status with the statuses it can move to in one
 * notification.
 *
 * The provider publishes no transition matrix; this graph is assembled from its documented
 * flows (classic One-Shot, asynchronous flow, eIDAS VideoID, VideoID External, the RA
 * variant, cancellation before issuance, renewal after issuance).
 *
 * One assumption goes beyond the documentation: a `VIDEOINCOMPLETE` or `VIDEOERROR` attempt
 * can be retried, taking the request back to `VIDEOPENDING`. Whether the provider does this
 * is undocumented; assuming it costs little (`classifyTransition` then orders those three
 * statuses by time rather than by the lifecycle), while wrongly assuming the opposite would
 * leave a retried request stuck at `VIDEOERROR`, every later notification rejected.
 * `VIDEOINCOMPLETE` moving on to `VIDEOREVIEW` is documented (the provider's sample flow).
 *
 * After `ISSUED` and `RENEWED`, certificate events (suspension, revocation) keep the request
 * status `ISSUED`: they are not transitions.
 *
 * @example
 * ```ts
 * TRANSITIONS.VIDEOREVIEW // ['ENROLLREADY', 'CREATED', 'CANCELLED']
 * ```
 */
export const TRANSITIONS: Readonly<Record<KnownRequestStatus, readonly KnownRequestStatus[]>> =
  /* @__PURE__ */ freezeGraph({
    CREATED: [
      'ENROLLREADY', // Classic One-Shot, asynchronous flow; RA variant after approval.
      'CANCELLED', // Any status before ISSUED can be cancelled.
    ],
    VIDEOPENDING: [
      'VIDEOINCOMPLETE', // eIDAS VideoID; VideoID External (evidence partly uploaded).
      'VIDEOERROR', // eIDAS VideoID; VideoID External.
      'VIDEOREVIEW', // eIDAS VideoID; VideoID External (all evidence uploaded).
      'CANCELLED', // Any status before ISSUED can be cancelled.
    ],
    VIDEOINCOMPLETE: [
      'VIDEOREVIEW', // The provider's sample VideoID flow; VideoID External.
      'VIDEOPENDING', // Assumed: a new attempt (retries are undocumented).
      'CANCELLED', // Any status before ISSUED can be cancelled.
    ],
    VIDEOERROR: [
      'VIDEOPENDING', // Assumed: a new attempt (retries are undocumented).
      'CANCELLED', // Any status before ISSUED can be cancelled.
    ],
    VIDEOREVIEW: [
      'ENROLLREADY', // eIDAS VideoID (approved); RA variant, natural-person profiles.
      'CREATED', // RA variant: other profiles go back to CREATED.
      'CANCELLED', // eIDAS VideoID (refused); any status before ISSUED.
    ],
    ENROLLREADY: [
      'ISSUED', // Classic One-Shot, asynchronous flow, eIDAS VideoID.
      'CANCELLED', // Any status before ISSUED can be cancelled.
    ],
    ISSUED: [
      'RENEWED', // Renewal after issuance.
    ],
    RENEWED: [],
    CANCELLED: [],
  });

/**
 * The edges of {@link TRANSITIONS} that no document shows (the VideoID retry loop). When two
 * statuses reach each other only through them, at the same instant, the documented direction
 * decides.
 *
 * @internal
 */
export const ASSUMED_TRANSITIONS: readonly (readonly [KnownRequestStatus, KnownRequestStatus])[] = [
  ['VIDEOINCOMPLETE', 'VIDEOPENDING'],
  ['VIDEOERROR', 'VIDEOPENDING'],
];

const NOWHERE: readonly KnownRequestStatus[] = Object.freeze([]);

/** Direct successors by status; a `Map` so that no status can hit `Object.prototype`. */
const successors: ReadonlyMap<string, readonly KnownRequestStatus[]> = /* @__PURE__ */ new Map(
  Object.entries(TRANSITIONS),
);

/**
 * Whether one status reaches another in `graph` through one or more edges. A status reaches
 * itself only when it lies on a cycle.
 *
 * @internal
 */
export function reachability(graph: Graph): (from: string, to: string) => boolean {
  const reach = new Map<string, ReadonlySet<string>>();
  for (const start of Object.keys(graph)) {
    const seen = new Set<string>();
    const pending = [...(graph[start as KnownRequestStatus] ?? [])];
    for (let status = pending.pop(); status !== undefined; status = pending.pop()) {
      if (seen.has(status)) continue;
      seen.add(status);
      pending.push(...(graph[status] ?? []));
    }
    reach.set(start, seen);
  }
  return (from, to) => reach.get(from)?.has(to) ?? false;
}

/**
 * Whether a status ends the request for good. Only `CANCELLED` does: after `ISSUED` and
 * `RENEWED` no status change is documented, but certificate events still arrive.
 * Spelling variants are accepted (`CANCELED`); unknown statuses are not terminal.
 *
 * @example
 * ```ts
 * isTerminalStatus('CANCELED') // true
 * isTerminalStatus('ISSUED') // false
 * ```
 */
export function isTerminalStatus(status: RequestStatus): boolean {
  return normalizeStatus(status) === 'CANCELLED';
}

/**
 * Whether the lifecycle has a direct edge from one status to the other (see
 * {@link TRANSITIONS}). Spelling variants are accepted; a status never moves to itself, and
 * unknown statuses have no edges.
 *
 * @example
 * ```ts
 * canTransition('VIDEOREVIEW', 'ENROLLREADY') // true
 * canTransition('ISSUED', 'CANCELLED') // false: issued certificates are revoked instead
 * ```
 */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  const next = successors.get(normalizeStatus(from));
  return next?.includes(normalizeStatus(to) as KnownRequestStatus) ?? false;
}

/**
 * The statuses a request can move to directly from `from`, as a frozen array. Empty for
 * `CANCELLED`, `RENEWED` and unknown statuses.
 *
 * @example
 * ```ts
 * nextStatuses('enroll ready') // ['ISSUED', 'CANCELLED']
 * ```
 */
export function nextStatuses(from: RequestStatus): readonly KnownRequestStatus[] {
  return successors.get(normalizeStatus(from)) ?? NOWHERE;
}

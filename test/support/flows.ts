// The lifecycles the tests play, assembled from the provider's workflow pages (FACTS.md): one
// table for the lifecycle, state and store tests.

/** A lifecycle: its name, and the statuses its notifications carry, in order. */
export type Flow = readonly [name: string, statuses: readonly string[]];

/** The documented lifecycles, each as the statuses its notifications carry, in order. */
export const DOCUMENTED_FLOWS: readonly Flow[] = [
  ['classic One-Shot, asynchronous flow', ['CREATED', 'ENROLLREADY', 'ISSUED']],
  [
    'eIDAS VideoID, VideoID External (all evidence), RA natural person',
    ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED'],
  ],
  [
    'sample VideoID flow, VideoID External (partial first)',
    ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED'],
  ],
  ['VideoID left incomplete', ['VIDEOPENDING', 'VIDEOINCOMPLETE']],
  ['VideoID failed', ['VIDEOPENDING', 'VIDEOERROR']],
  ['VideoID refused', ['VIDEOPENDING', 'VIDEOREVIEW', 'CANCELLED']],
  [
    'VideoID incomplete, reviewed, refused',
    ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW', 'CANCELLED'],
  ],
  [
    'RA variant, other profiles back to CREATED',
    ['VIDEOPENDING', 'VIDEOREVIEW', 'CREATED', 'ENROLLREADY', 'ISSUED'],
  ],
  [
    'RA variant, cancelled after going back to CREATED',
    ['VIDEOPENDING', 'VIDEOREVIEW', 'CREATED', 'CANCELLED'],
  ],
  ['cancelled after creation', ['CREATED', 'CANCELLED']],
  ['cancelled after approval', ['CREATED', 'ENROLLREADY', 'CANCELLED']],
  ['VideoID cancelled while pending', ['VIDEOPENDING', 'CANCELLED']],
  ['VideoID cancelled after a failure', ['VIDEOPENDING', 'VIDEOERROR', 'CANCELLED']],
  ['VideoID cancelled while incomplete', ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'CANCELLED']],
  ['VideoID cancelled after approval', ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'CANCELLED']],
  ['renewal after issuance', ['CREATED', 'ENROLLREADY', 'ISSUED', 'RENEWED']],
  [
    'VideoID renewal after issuance',
    ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED', 'RENEWED'],
  ],
  ['a certificate suspended after issuance', ['CREATED', 'ENROLLREADY', 'ISSUED', 'ISSUED']],
  ['certificate events after issuance', ['CREATED', 'ENROLLREADY', 'ISSUED', 'ISSUED', 'ISSUED']],
  [
    'certificate events after a VideoID issuance',
    ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED', 'ISSUED'],
  ],
  ['spelling variants (legacy pages)', ['video_pending', 'Video Review', 'canceled']],
  ['spelling variants, renewal', ['created', 'ENROLL-READY', 'issued', 'RENOVATED']],
];

/** Flows that exist only if a failed or incomplete VideoID can be retried (undocumented). */
export const RETRY_FLOWS: readonly Flow[] = [
  [
    'failed, retried, issued',
    ['VIDEOPENDING', 'VIDEOERROR', 'VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED'],
  ],
  [
    'incomplete twice, then reviewed',
    ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW'],
  ],
  ['incomplete, retried, still pending', ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOPENDING']],
  ['failed twice', ['VIDEOPENDING', 'VIDEOERROR', 'VIDEOPENDING', 'VIDEOERROR']],
  [
    'incomplete, failed, then refused',
    [
      'VIDEOPENDING',
      'VIDEOINCOMPLETE',
      'VIDEOPENDING',
      'VIDEOERROR',
      'VIDEOPENDING',
      'VIDEOREVIEW',
      'CANCELLED',
    ],
  ],
];

/** One notification of a lengthened flow: its status, and its event type where it matters. */
export interface FlowNotification {
  readonly status: string;
  /** The event type, for the certificate events after issuance (they carry `ISSUED` again). */
  readonly eventType?: string;
}

const CERTIFICATE_EVENTS = ['CERTIFICATE_SUSPENDED', 'CERTIFICATE_REVOKED'] as const;
const same = (status: string, canonical: string): boolean =>
  status.toUpperCase().replace(/[^A-Z]/g, '') === canonical;

/**
 * A flow of exactly `length` notifications, picked with `random` from the tables above and
 * lengthened the ways the provider's lifecycle allows: rounds of the VideoID retry loop
 * (`VIDEOPENDING`, then `VIDEOINCOMPLETE` or `VIDEOERROR`) before a flow that starts with
 * `VIDEOPENDING`, and certificate events (suspension, revocation: `ISSUED` again) after one
 * that ends with `ISSUED`. Its notifications get strictly increasing times, so any delivery
 * order ends where the flow in order does.
 */
export function flowOfLength(length: number, random: () => number): FlowNotification[] {
  const options = [...DOCUMENTED_FLOWS, ...RETRY_FLOWS].flatMap(([, statuses]) => {
    const room = length - statuses.length;
    const loops = same(statuses[0]!, 'VIDEOPENDING');
    const certificates = same(statuses.at(-1)!, 'ISSUED');
    if (room < 0 || (room > 0 && !certificates && !(loops && room % 2 === 0))) return [];
    return [{ statuses, room, loops, certificates }];
  });
  const { statuses, room, loops, certificates } = options[Math.floor(random() * options.length)]!;
  const maxRounds = loops ? Math.floor(room / 2) : 0;
  const rounds = certificates ? Math.floor(random() * (maxRounds + 1)) : maxRounds;
  const flow: FlowNotification[] = [];
  for (let round = 0; round < rounds; round++) {
    flow.push({ status: 'VIDEOPENDING' });
    flow.push({ status: random() < 0.5 ? 'VIDEOINCOMPLETE' : 'VIDEOERROR' });
  }
  flow.push(...statuses.map((status) => ({ status })));
  for (let event = 0; flow.length < length; event++) {
    flow.push({ status: 'ISSUED', eventType: CERTIFICATE_EVENTS[event % 2]! });
  }
  return flow;
}

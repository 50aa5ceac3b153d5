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

import type {
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
} from '@opentelemetry/api';
import type { InboxReport } from '../inbox/control.js';
import { INBOX_ENTRY_STATUSES } from '../inbox/inbox-store.js';
import {
  DELIVERIES,
  ENTRY_COUNT,
  ENTRY_STATUS,
  HANDLER_DURATION,
  OLDEST_PENDING_AGE,
  STORE_DURATION,
} from './names.js';

/**
 * The instruments a delivery records to.
 *
 * @internal
 */
export interface Instruments {
  /** Deliveries and inbox attempts, by outcome. */
  readonly deliveries: Counter;
  /** How long each handler ran, in seconds. */
  readonly handlerDuration: Histogram;
  /** How long each deduplication, state or inbox store operation took, in seconds. */
  readonly storeDuration: Histogram;
}

// The messaging conventions' boundaries for processing, and the database conventions' for
// store operations, which are mostly well under 10 ms.
const HANDLER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const STORE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** @internal */
export function createInstruments(meter: Meter): Instruments {
  return {
    deliveries: meter.createCounter(DELIVERIES, {
      unit: '{delivery}',
      description:
        'Notifications received, and attempts of the inbox at them, by outcome (handled, duplicate, skipped, queued, or the error code)',
    }),
    handlerDuration: meter.createHistogram(HANDLER_DURATION, {
      unit: 's',
      description: 'Duration of one webhook handler, until its promise settled',
      advice: { explicitBucketBoundaries: HANDLER_BUCKETS },
    }),
    storeDuration: meter.createHistogram(STORE_DURATION, {
      unit: 's',
      description: 'Duration of one deduplication, state or inbox store operation',
      advice: { explicitBucketBoundaries: STORE_BUCKETS },
    }),
  };
}

/**
 * Reports an inbox's entries by status and the age of its oldest pending entry, read from
 * `stats()` once per collection. Returns the function that stops reporting.
 *
 * @internal
 */
export function observeInbox(meter: Meter, inbox: { stats(): Promise<InboxReport> }): () => void {
  const count: ObservableGauge = meter.createObservableGauge(ENTRY_COUNT, {
    unit: '{entry}',
    description: 'Entries of the durable inbox, by status (pending is the backlog)',
  });
  const age: ObservableGauge = meter.createObservableGauge(OLDEST_PENDING_AGE, {
    unit: 's',
    description: 'Age of the oldest pending entry of the durable inbox (0 when none is pending)',
  });
  const observe: BatchObservableCallback = async (result) => {
    let stats: InboxReport;
    try {
      stats = await inbox.stats();
    } catch {
      // A store that cannot answer reports nothing this time rather than a wrong zero.
      return;
    }
    for (const status of INBOX_ENTRY_STATUSES) {
      result.observe(count, stats[status], { [ENTRY_STATUS]: status });
    }
    result.observe(age, (stats.oldestPendingAgeMs ?? 0) / 1000);
  };
  meter.addBatchObservableCallback(observe, [count, age]);
  return () => meter.removeBatchObservableCallback(observe, [count, age]);
}

import type { ResolvedFilter } from '../inbox/filter.js';
import type { SqliteValue } from './driver.js';

/** A `WHERE` clause and the values of its placeholders, in order. */
export interface Where {
  readonly sql: string;
  readonly params: readonly SqliteValue[];
}

/**
 * The conditions of `filter` as SQL (`before` left to the caller), and `extra` conditions
 * without placeholders: what `list` and `purge` select.
 *
 * @internal
 */
export function whereOf(filter: ResolvedFilter, extra: readonly string[] = []): Where {
  const conditions: string[] = [...extra];
  const params: SqliteValue[] = [];
  const add = (condition: string, ...values: SqliteValue[]): void => {
    conditions.push(condition);
    params.push(...values);
  };
  if (filter.statuses !== undefined) {
    const statuses = [...filter.statuses];
    add(`status IN (${statuses.map(() => '?').join(', ')})`, ...statuses);
  }
  if (filter.requestId !== undefined) add('request_id = ?', filter.requestId);
  if (filter.eventType !== undefined) add('event_type = ?', filter.eventType);
  if (filter.receivedBefore !== undefined) add('received_at < ?', filter.receivedBefore);
  if (filter.receivedAfter !== undefined) add('received_at >= ?', filter.receivedAfter);
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

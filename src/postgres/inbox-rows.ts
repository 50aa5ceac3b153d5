import type { ResolvedFilter } from '../inbox/filter.js';
import type { InboxEntry, InboxEntryStatus } from '../inbox/inbox-store.js';
import { fromMs, type Row, textOf, toMs } from './client.js';

/** The columns of an entry as {@link toEntry} reads them, from the table aliased `alias`. */
export const entryColumns = (alias: string): string =>
  `${alias}.id::text AS id, ${alias}.idempotency_key, ${alias}.request_id::float8 AS request_id,
  ${alias}.event_type, ${alias}.status, ${alias}.attempts,
  ${toMs(`${alias}.received_at`)} AS received_ms, ${toMs(`${alias}.next_attempt_at`)} AS next_ms,
  ${alias}.last_error, encode(${alias}.body, 'hex') AS body_hex`;

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder();

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * The body's UTF-8 bytes in hexadecimal, for `decode(…, 'hex')`: the body is kept as `bytea`,
 * since a `text` column cannot hold every body a sender can post (U+0000).
 */
export function bodyToHex(body: string): string {
  const bytes = encoder.encode(body);
  let hex = '';
  for (let i = 0; i < bytes.length; i += 1) hex += HEX[bytes[i]!];
  return hex;
}

/** An entry from a row selected with {@link entryColumns}. */
export function toEntry(row: Row): InboxEntry {
  const hex = String(row.body_hex);
  const body = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < body.length; i += 1)
    body[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return Object.freeze({
    id: String(row.id),
    idempotencyKey: String(row.idempotency_key),
    requestId: row.request_id === null ? undefined : Number(row.request_id),
    eventType: (row.event_type as string | null) ?? undefined,
    status: row.status as InboxEntryStatus,
    attempts: Number(row.attempts),
    receivedAt: new Date(Number(row.received_ms)),
    nextAttemptAt: row.next_ms === null ? undefined : new Date(Number(row.next_ms)),
    lastError: (row.last_error as string | null) ?? undefined,
    body: decoder.decode(body),
  });
}

/** Whether `id` can be an entry's id (a positive `bigint`): other strings find nothing. */
export const isEntryId = (id: unknown): id is string =>
  typeof id === 'string' && /^[1-9][0-9]{0,17}$/.test(id);

/**
 * The SQL condition of `filter` (`limit` and `before` aside), its values appended to
 * `values`.
 */
export function filterSql(filter: ResolvedFilter, values: unknown[]): string {
  const conditions: string[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.statuses !== undefined) {
    conditions.push(`status = ANY(${param([...filter.statuses])}::text[])`);
  }
  if (filter.requestId !== undefined) conditions.push(`request_id = ${param(filter.requestId)}`);
  if (filter.eventType !== undefined)
    conditions.push(`event_type = ${param(textOf(filter.eventType))}`);
  if (filter.receivedBefore !== undefined) {
    conditions.push(`received_at < ${fromMs(param(filter.receivedBefore))}`);
  }
  if (filter.receivedAfter !== undefined) {
    conditions.push(`received_at >= ${fromMs(param(filter.receivedAfter))}`);
  }
  return conditions.length === 0 ? 'true' : conditions.join(' AND ');
}

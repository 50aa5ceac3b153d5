import type { InboxReport } from '../inbox/control.js';
import {
  INBOX_ENTRY_STATUSES,
  type InboxEntry,
  type InboxEntryStatus,
} from '../inbox/inbox-store.js';
import type { Paint } from './args.js';

/**
 * `text` safe to print on a terminal: control characters (which a body, and so an event type
 * or a parser's message, may carry) written as escapes, line breaks and tabs kept.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is replaced
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `text` on one line, its runs of spaces and line breaks made one space. */
export function oneLine(text: string): string {
  return printable(text.replace(/\s+/g, ' ').trim());
}

/** `text` cut to `width` characters, an ellipsis marking the cut. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1)).trimEnd()}…`;
}

/** A duration, the way a person says it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** The colour of a status: done green, dead red, invalid yellow, the others as they are. */
function statusPaint(colours: Paint, status: InboxEntryStatus): (text: string) => string {
  if (status === 'done') return colours.green;
  if (status === 'dead') return colours.red;
  if (status === 'invalid') return colours.yellow;
  return (text) => text;
}

/**
 * An entry as one JSON value for scripts: every field present, `null` where the entry has
 * none, times in ISO 8601, the body as received.
 */
export function entryJson(entry: InboxEntry): Record<string, unknown> {
  return {
    id: entry.id,
    idempotencyKey: entry.idempotencyKey,
    requestId: entry.requestId ?? null,
    eventType: entry.eventType ?? null,
    status: entry.status,
    attempts: entry.attempts,
    receivedAt: entry.receivedAt.toISOString(),
    nextAttemptAt: entry.nextAttemptAt?.toISOString() ?? null,
    lastError: entry.lastError ?? null,
    body: entry.body,
  };
}

/** The widest the last-error column gets when the width of the output is unknown. */
const ERROR_WIDTH = 60;

/**
 * Entries as a table, one line each: id, status, attempts, request, event type, when it was
 * received and the start of its last error, cut to fit `columns` when the output is a
 * terminal of that width.
 */
export function entryTable(
  entries: readonly InboxEntry[],
  colours: Paint,
  columns: number | undefined,
): string[] {
  const header = ['ID', 'STATUS', 'ATTEMPTS', 'REQUEST', 'EVENT TYPE', 'RECEIVED AT'];
  const rows = entries.map((entry) => [
    oneLine(entry.id),
    entry.status,
    String(entry.attempts),
    entry.requestId === undefined ? '-' : String(entry.requestId),
    entry.eventType === undefined ? '-' : oneLine(entry.eventType),
    entry.receivedAt.toISOString(),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  // Numbers to the right, text to the left.
  const right = new Set([2, 3]);
  const cells = (row: readonly string[]): string[] =>
    row.map((cell, column) =>
      right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
    );
  const used = widths.reduce((sum, width) => sum + width + 2, 0);
  const errorWidth = columns === undefined ? ERROR_WIDTH : Math.max(20, columns - used - 1);
  const lines = [colours.dim(`${cells(header).join('  ')}  LAST ERROR`)];
  for (const [index, entry] of entries.entries()) {
    const row = cells(rows[index]!);
    row[1] = statusPaint(colours, entry.status)(row[1]!);
    const error =
      entry.lastError === undefined ? '' : truncate(oneLine(entry.lastError), errorWidth);
    lines.push(`${row.join('  ')}  ${error}`.trimEnd());
  }
  return lines;
}

/** The body for reading: indented when it is JSON, as received otherwise. */
function bodyText(body: string): string {
  try {
    return printable(JSON.stringify(JSON.parse(body), null, 2));
  } catch {
    // Not JSON, or nested too deep to write again: as received.
    return printable(body);
  }
}

const indent = (text: string, spaces: number): string =>
  text.replaceAll('\n', `\n${' '.repeat(spaces)}`);

/** Every field of an entry, one a line, then its last error and its body in full. */
export function entryDetails(entry: InboxEntry, colours: Paint, now: number): string[] {
  const when = (date: Date | undefined): string => {
    if (date === undefined) return '-';
    const ms = now - date.getTime();
    return `${date.toISOString()} (${ms >= 0 ? `${formatAge(ms)} ago` : `in ${formatAge(-ms)}`})`;
  };
  const fields: [string, string][] = [
    ['id', oneLine(entry.id)],
    ['status', statusPaint(colours, entry.status)(entry.status)],
    ['attempts', String(entry.attempts)],
    ['request', entry.requestId === undefined ? '-' : String(entry.requestId)],
    ['event type', entry.eventType === undefined ? '-' : oneLine(entry.eventType)],
    ['idempotency key', oneLine(entry.idempotencyKey)],
    ['received at', when(entry.receivedAt)],
    ['next attempt at', when(entry.nextAttemptAt)],
    ['last error', entry.lastError === undefined ? '-' : indent(printable(entry.lastError), 17)],
  ];
  return [
    ...fields.map(([name, value]) => `${colours.dim(name.padEnd(16))} ${value}`),
    colours.dim('body'),
    bodyText(entry.body),
  ];
}

/** The counts by status, the total, and how long the oldest pending entry has waited. */
export function statsLines(report: InboxReport, colours: Paint): string[] {
  const total = INBOX_ENTRY_STATUSES.reduce((sum, status) => sum + report[status], 0);
  const width = String(total).length;
  const lines = INBOX_ENTRY_STATUSES.map((status) => {
    const count = report[status];
    const line = `${status.padEnd(8)} ${String(count).padStart(width)}`;
    const painted = count > 0 ? statusPaint(colours, status)(line) : line;
    if (status !== 'pending' || report.oldestPendingAt === undefined) return painted;
    const age = formatAge(report.oldestPendingAgeMs ?? 0);
    return `${painted}  ${colours.dim(`oldest received ${age} ago, ${report.oldestPendingAt.toISOString()}`)}`;
  });
  return [...lines, `${'total'.padEnd(8)} ${String(total).padStart(width)}`];
}

import { TimeoutError, withDeadline } from '../deadline.js';
import {
  InvalidJsonError,
  isWebhookError,
  StoreUnavailableError,
  type WebhookError,
} from '../errors.js';
import { bodyText } from '../payload/decode.js';
import type { WebhookEvent } from '../payload/event.js';
import type { WebhookBody } from '../payload/parse.js';
import type { InboxStore, NewInboxEntry } from './inbox-store.js';

/** The raw body as text, which the inbox keeps: bytes decoded, a parsed value serialised. */
function toText(body: WebhookBody): string {
  const text = bodyText(body);
  if (text !== undefined) return text;
  try {
    const json = JSON.stringify(body);
    if (typeof json === 'string') return json;
  } catch {
    // Too deep to write again: as if it were not JSON.
  }
  throw new InvalidJsonError('Body could not be kept as text');
}

/** Every issue the parser found, as an invalid entry's `lastError`. */
function describeInvalid(error: WebhookError): string {
  const issues = isWebhookError(error, 'invalid_payload') ? error.issues : [];
  if (issues.length === 0) return error.message;
  return issues
    .slice(0, 20)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/** A hexadecimal SHA-256 of `text`, to give an invalid body a key. */
async function digest(text: string): Promise<string> {
  const bytes = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Records a parsed notification as pending, or a body the parser refused (with its issues)
 * as invalid, and resolves once the store has it durably. A store that fails gives
 * `StoreUnavailableError`, for the sender to deliver again.
 *
 * @internal
 */
export async function recordInInbox(
  store: InboxStore,
  body: WebhookBody,
  parsed: { readonly event: WebhookEvent } | { readonly error: WebhookError },
  receivedAt: Date,
  timeoutMs: number,
): Promise<{ readonly id: string; readonly duplicate: boolean }> {
  const text = toText(body);
  let entry: NewInboxEntry;
  if ('event' in parsed) {
    const { idempotencyKey, requestId, eventType } = parsed.event;
    entry = { idempotencyKey, requestId, eventType, status: 'pending', receivedAt, body: text };
  } else {
    entry = {
      idempotencyKey: `invalid:${await digest(text)}`,
      status: 'invalid',
      receivedAt,
      lastError: describeInvalid(parsed.error),
      body: text,
    };
  }
  try {
    return await withDeadline(
      store.add(entry),
      timeoutMs,
      () => new TimeoutError('InboxStore.add', timeoutMs),
    );
  } catch (cause) {
    throw cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError(cause);
  }
}

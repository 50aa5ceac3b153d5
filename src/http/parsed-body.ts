import { InvalidJsonError, PayloadTooLargeError } from '../errors.js';
import type { WebhookBody } from '../payload/parse.js';
import { bodyAlreadyReadError, utf8ByteLength } from './body.js';

/**
 * What a body parser mounted before the middleware (`express.json()`, `express.text()`,
 * `express.raw()`, `express.urlencoded()`, body-parser in any connect-style stack) left on
 * the request.
 *
 * @internal
 */
export interface ParsedBodyState {
  /** Whether the request stream was already read to the end by someone else. */
  readonly consumed: boolean;
  /** What the parser stored, usually `req.body`. */
  readonly body: unknown;
  /**
   * The body's bytes as received, where the platform keeps them beside the parsed body
   * (`req.rawBody` on Google Cloud Functions and Firebase, in NestJS with `rawBody: true`).
   */
  readonly rawBody?: unknown;
  /** The request's `Content-Type`. */
  readonly contentType: string | undefined;
  /** The request's `Content-Length`. */
  readonly contentLength: string | undefined;
}

const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;

function within<T extends WebhookBody>(body: T, size: number, limit: number): T {
  if (size > limit) throw new PayloadTooLargeError(limit);
  return body;
}

const isFormValue = (value: unknown): boolean =>
  typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));

/**
 * A JSON text sent with a form Content-Type comes out of a form parser as one field named
 * after the whole text with an empty value: the text is read back from that. Other fields
 * from a form are not JSON (400); any other object is what a JSON parser produced.
 */
function fromForm(fields: Record<string, unknown>, isForm: boolean): string | undefined {
  const names = Object.keys(fields);
  const name = names[0];
  if (names.length === 1 && name !== undefined && fields[name] === '') {
    if (isForm || /^\s*[[{]/.test(name)) return name;
  }
  if (isForm && names.every((one) => isFormValue(fields[one]))) {
    throw new InvalidJsonError(
      `Body is not JSON: a form parser read it as ${names.length} fields (mount the webhook before express.urlencoded())`,
    );
  }
  return undefined;
}

/**
 * The size of a value a JSON parser produced, never more than the text it was parsed from;
 * `Infinity` when it cannot be measured (a structure too deep to serialise, a getter that
 * throws), so that the limit fails closed.
 */
function serializedSize(value: object): number {
  try {
    return utf8ByteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * The body a parser mounted earlier left behind, or `undefined` when the stream is still
 * unread (no parser, or one that skipped this Content-Type) and must be read by the caller.
 * The raw bytes a platform kept (`rawBody`) are preferred to the parsed value.
 * Throws {@link PayloadTooLargeError} when what the parser read is over `limit` (a parser's
 * own limit is usually larger: 100 kB for body-parser), and `InvalidOptionsError` when the
 * stream was read but nothing was left on `body`.
 *
 * @internal
 */
export function takeParsedBody(state: ParsedBodyState, limit: number): WebhookBody | undefined {
  if (!state.consumed) return undefined;
  // The bytes as sent beat anything rebuilt from a parsed value.
  const raw = state.rawBody;
  if (raw instanceof Uint8Array) return within(raw, raw.byteLength, limit);
  if (typeof raw === 'string') return within(raw, utf8ByteLength(raw), limit);
  // body-parser answers `{}` for an empty body: the declared length tells them apart.
  if (state.contentLength !== undefined && /^\s*0+\s*$/.test(state.contentLength)) return '';
  const body = state.body;
  if (body === undefined) throw bodyAlreadyReadError();
  if (body === null) return '';
  if (typeof body === 'string') return within(body, utf8ByteLength(body), limit);
  if (body instanceof ArrayBuffer) return within(body, body.byteLength, limit);
  if (ArrayBuffer.isView(body)) return within(body, body.byteLength, limit);
  if (typeof body === 'object') {
    const isForm = state.contentType !== undefined && FORM_TYPE.test(state.contentType);
    const text = fromForm(body as Record<string, unknown>, isForm);
    if (text !== undefined) return within(text, utf8ByteLength(text), limit);
    return within(body, serializedSize(body), limit);
  }
  return String(body);
}

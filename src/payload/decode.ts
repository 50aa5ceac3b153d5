import { excerpt, InvalidJsonError } from '../errors.js';

// Decoding a body to a JSON value, apart from the parser so that what only decodes (the
// adapters reading what a body parser in front refused) does not bring the schemas along.

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a body given as text or bytes (UTF-8), without a leading BOM; `undefined` for
 * any other value, such as JSON a framework already parsed.
 *
 * @throws {InvalidJsonError} for bytes that are not UTF-8.
 * @internal
 */
export function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (!(body instanceof ArrayBuffer || ArrayBuffer.isView(body))) return undefined;
  try {
    return decoder.decode(body as ArrayBuffer | ArrayBufferView);
  } catch (cause) {
    throw new InvalidJsonError('Body is not valid UTF-8', { cause });
  }
}

/**
 * Decodes a body to a JSON value: bytes as UTF-8 (a BOM tolerated), text as JSON, and any
 * other value as already parsed.
 *
 * @internal
 */
export function decodeBody(body: unknown): unknown {
  if (body === undefined) throw new InvalidJsonError('Body is empty');
  const text = bodyText(body);
  if (text === undefined) return body;
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (text.trim() === '') throw new InvalidJsonError('Body is empty');
    throw new InvalidJsonError(`Body is not valid JSON (starts with ${excerpt(text.trim())})`, {
      cause,
    });
  }
}

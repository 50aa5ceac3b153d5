import { InvalidOptionsError, PayloadTooLargeError } from '../errors.js';

/** The default body limit: 1 MiB, far above any documented notification (~300 bytes). */
export const DEFAULT_MAX_BODY_BYTES: number = 1024 * 1024;

/** The client went away before the body was complete: there is nobody to answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError' as const;

  constructor(options?: { cause?: unknown }) {
    super('The client disconnected before the body was complete', options);
  }
}

/**
 * The error for a body that something in front of the handler read and did not pass on:
 * a server mistake (500), told apart from an empty body (400) so that it can be found.
 *
 * @internal
 */
export function bodyAlreadyReadError(): InvalidOptionsError {
  return new InvalidOptionsError(
    'The request body was already read before the webhook handler, and nothing was left to use',
  );
}

/**
 * Accumulates body chunks up to a limit, the one place where every adapter's body is bounded.
 *
 * @internal
 */
export interface BodyCollector {
  /** Adds a chunk; throws {@link PayloadTooLargeError} once the limit is passed. */
  push(chunk: Uint8Array | string): void;
  /** The collected body. */
  result(): Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The number of bytes `text` takes in UTF-8 (a lone surrogate counts as the 3 bytes of the
 * replacement character `TextEncoder` writes for it), without encoding it.
 *
 * @internal
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Throws {@link PayloadTooLargeError} when a declared `Content-Length` is already over the
 * limit, so that nothing is read at all.
 *
 * @internal
 */
export function checkDeclaredLength(contentLength: string | undefined | null, limit: number): void {
  if (contentLength && /^\s*\d+\s*$/.test(contentLength) && Number(contentLength) > limit) {
    throw new PayloadTooLargeError(limit);
  }
}

/** @internal */
export function createBodyCollector(limit: number): BodyCollector {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    push(chunk) {
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
      size += bytes.byteLength;
      if (size > limit) throw new PayloadTooLargeError(limit);
      chunks.push(bytes);
    },
    result() {
      if (chunks.length === 1) return chunks[0]!;
      const body = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return body;
    },
  };
}

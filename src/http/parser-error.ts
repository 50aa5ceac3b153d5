import {
  InvalidJsonError,
  InvalidPayloadError,
  isWebhookError,
  PayloadTooLargeError,
} from '../errors.js';
import { decodeBody } from '../payload/decode.js';
import { ClientGoneError, utf8ByteLength } from './body.js';

/**
 * The error a body parser in front of an adapter failed with (body-parser, as in
 * `express.json()`, `express.text()`, `express.raw()`, `express.urlencoded()`), as the answer
 * the response contract gives for it: a body that is not what its Content-Type says or whose
 * charset is unknown is `InvalidJsonError` (400), one over the parser's own limit is
 * `PayloadTooLargeError` (413), a client that left is {@link ClientGoneError}; anything else
 * is returned as it is (the core then answers 500 without revealing it). A JSON parser's
 * refusal that carries the text it refused is answered as that text would be without the
 * parser in front (see {@link fromRefusedText}).
 *
 * @internal
 */
export function fromParserError(error: unknown, limit: number): unknown {
  if (isWebhookError(error) || error instanceof ClientGoneError) return error;
  const { type, status, body } = readParserError(error);
  switch (type) {
    case 'request.aborted':
      return new ClientGoneError({ cause: error });
    case 'entity.too.large':
    case 'parameters.too.many':
      return new PayloadTooLargeError(limit, { cause: error });
    case 'entity.parse.failed':
      if (typeof body === 'string') return fromRefusedText(body, limit, error);
      return new InvalidJsonError('Body is not valid JSON (a body parser in front refused it)', {
        cause: error,
      });
    case 'charset.unsupported':
    case 'encoding.unsupported':
    case 'request.size.invalid':
      return new InvalidJsonError('Body could not be read (a body parser in front refused it)', {
        cause: error,
      });
  }
  if (status === 413) return new PayloadTooLargeError(limit, { cause: error });
  if (status === 400) {
    return new InvalidJsonError('Body could not be read (a body parser in front refused it)', {
      cause: error,
    });
  }
  return error;
}

/**
 * The answer to a text a JSON parser in front refused (body-parser keeps the text, decoded
 * from its charset, on the error as `body`): the one the package gives that text without the
 * parser. Over `limit` it is 413; empty or not JSON, the package's own 400, from the same
 * decoding; JSON that is not an object (`null`, `123`, `"text"`, `true`: body-parser's strict
 * mode refuses what does not start with `{` or `[`) is 422, worded as the schema words any
 * value that is not an object, since none can be a notification. An object can only have
 * been refused by the parser's own options (a `reviver` that threw): 400, as it says.
 */
function fromRefusedText(text: string, limit: number, cause: unknown): unknown {
  if (utf8ByteLength(text) > limit) return new PayloadTooLargeError(limit, { cause });
  let value: unknown;
  try {
    value = decodeBody(text);
  } catch (error) {
    return error;
  }
  if (typeof value === 'object' && value !== null) {
    return new InvalidJsonError('Body was refused by a body parser in front', { cause });
  }
  return new InvalidPayloadError('Body is not a valid notification: body: Expected an object', [
    { code: 'invalid_type', expected: 'object', path: [], message: 'Expected an object' },
  ]);
}

function readParserError(error: unknown): { type: unknown; status: unknown; body: unknown } {
  if (typeof error !== 'object' || error === null) {
    return { type: undefined, status: undefined, body: undefined };
  }
  try {
    const { type, status, statusCode, body } = error as Record<string, unknown>;
    return { type, status: status ?? statusCode, body };
  } catch {
    return { type: undefined, status: undefined, body: undefined };
  }
}

import { InvalidJsonError, isWebhookError, PayloadTooLargeError } from '../errors.js';
import { ClientGoneError } from './body.js';

/**
 * The error a body parser in front of an adapter failed with (body-parser, as in
 * `express.json()`, `express.text()`, `express.raw()`, `express.urlencoded()`), as the answer
 * the response contract gives for it: a body that is not what its Content-Type says or whose
 * charset is unknown is `InvalidJsonError` (400), one over the parser's own limit is
 * `PayloadTooLargeError` (413), a client that left is {@link ClientGoneError}; anything else
 * is returned as it is (the core then answers 500 without revealing it).
 *
 * @internal
 */
export function fromParserError(error: unknown, limit: number): unknown {
  if (isWebhookError(error) || error instanceof ClientGoneError) return error;
  const { type, status } = readParserError(error);
  switch (type) {
    case 'request.aborted':
      return new ClientGoneError({ cause: error });
    case 'entity.too.large':
    case 'parameters.too.many':
      return new PayloadTooLargeError(limit, { cause: error });
    case 'entity.parse.failed':
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

function readParserError(error: unknown): { type: unknown; status: unknown } {
  if (typeof error !== 'object' || error === null) return { type: undefined, status: undefined };
  try {
    const { type, status, statusCode } = error as Record<string, unknown>;
    return { type, status: status ?? statusCode };
  } catch {
    return { type: undefined, status: undefined };
  }
}

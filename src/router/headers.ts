/**
 * Marks the header objects made by {@link normalizeHeaders}: they are passed on to handlers
 * without a copy. `Symbol.for`, so that two copies of the package (ESM and CommonJS)
 * recognize each other's.
 */
const NORMALIZED: unique symbol = Symbol.for('uanataca-webhooks.normalizedHeaders') as never;

/**
 * The prototype of every normalized header object: no string key of its own and no
 * `Object.prototype` behind it, so that a header named `constructor` or `__proto__` is just a
 * header; it carries the hidden mark once for all of them. Objects made with `new` keep the
 * fast layout V8 shares between objects of the same shape, which an object made with
 * `Object.create(null)` does not: building, freezing and reading them cost a third as much.
 */
const HEADERS_PROTOTYPE: object = Object.freeze(
  Object.create(null, { [NORMALIZED]: { value: true } }),
);

/** The constructor of normalized header objects. */
const HeaderRecord = function HeaderRecord(
  this: Record<string, string>,
) {} as unknown as new () => Record<string, string>;
HeaderRecord.prototype = HEADERS_PROTOTYPE;

/** What stands in a header value where a secret was. */
export const REDACTED = '[redacted]';

/**
 * `value` with every occurrence of each of `secrets` replaced by {@link REDACTED}, matched
 * without regard to letter case so that `%2f` and `%2F` spellings are caught alike.
 */
function redact(value: string, secrets: readonly string[]): string {
  let result = value;
  // Header values are Latin-1, whose lower case has the same length; anything else is
  // matched as it is, so that positions in `lower` stay positions in `result`.
  const folds = value.toLowerCase().length === value.length;
  let lower = folds ? value.toLowerCase() : value;
  for (const secret of secrets) {
    const needle = folds ? secret.toLowerCase() : secret;
    let at = lower.indexOf(needle);
    while (at !== -1) {
      result = result.slice(0, at) + REDACTED + result.slice(at + needle.length);
      lower = lower.slice(0, at) + REDACTED + lower.slice(at + needle.length);
      at = lower.indexOf(needle, at + REDACTED.length);
    }
  }
  return result;
}

/** A header's value as runtimes give it. */
type HeaderValue = string | readonly string[] | undefined;

/** One value as text: a number, boolean or bigint written out; `undefined` for anything else. */
function scalarText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  return typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint'
    ? String(raw)
    : undefined;
}

/**
 * A header value as text: a list joined with `, `, and the numbers, booleans and bigints a
 * JavaScript caller of `receive` may pass written out; `undefined` for `null`, `undefined` and
 * values that are not header values, such as objects (and such items of a list are left out).
 */
function headerText(raw: unknown): string | undefined {
  if (!Array.isArray(raw)) return scalarText(raw);
  const parts: string[] = [];
  for (const item of raw) {
    const text = scalarText(item);
    if (text !== undefined) parts.push(text);
  }
  return parts.join(', ');
}

/**
 * Headers as handlers see them: lower-cased names, a name given twice or a list of values
 * joined with `, `, names in `omit` (lower-case) left out, and every occurrence of one of
 * `secrets` in a value (in any letter case) replaced with {@link REDACTED}. The result is
 * frozen, and inherits nothing: a header named `constructor` or `__proto__` is just a header.
 *
 * @internal
 */
export function normalizeHeaders(
  entries: Iterable<readonly [string, HeaderValue]>,
  omit?: ReadonlySet<string>,
  secrets: readonly string[] = [],
): Readonly<Record<string, string>> {
  const result = new HeaderRecord();
  for (const [name, raw] of entries) {
    const joined = headerText(raw);
    if (joined === undefined) continue;
    const lower = name.toLowerCase();
    if (omit?.has(lower)) continue;
    const value = secrets.length === 0 ? joined : redact(joined, secrets);
    const previous = result[lower];
    result[lower] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return Object.freeze(result);
}

/**
 * Whether `headers` came from {@link normalizeHeaders}: frozen, so they can be shared as
 * they are.
 *
 * @internal
 */
export function isNormalized(headers: object): boolean {
  return (headers as { [NORMALIZED]?: unknown })[NORMALIZED] === true;
}

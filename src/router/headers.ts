/**
 * Marks, as a hidden property, the header objects made by {@link normalizeHeaders}: they are
 * passed on to handlers without a copy. `Symbol.for`, so that two copies of the package
 * (ESM and CommonJS) recognize each other's.
 */
const NORMALIZED: unique symbol = Symbol.for('uanataca-webhooks.normalizedHeaders') as never;
const HIDDEN_TRUE: PropertyDescriptor = { value: true };

/** A header's value as runtimes give it. */
type HeaderValue = string | readonly string[] | undefined;

/**
 * Headers as handlers see them: lower-cased names, a name given twice or a list of values
 * joined with `, `, names in `omit` (lower-case) left out. The result is frozen and has no
 * prototype, so a header named `constructor` or `__proto__` is just a header.
 *
 * @internal
 */
export function normalizeHeaders(
  entries: Iterable<readonly [string, HeaderValue]>,
  omit?: ReadonlySet<string>,
): Readonly<Record<string, string>> {
  const result: Record<string, string> = Object.create(null);
  for (const [name, raw] of entries) {
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    if (omit?.has(lower)) continue;
    const value = typeof raw === 'string' ? raw : raw.join(', ');
    const previous = result[lower];
    result[lower] = previous === undefined ? value : `${previous}, ${value}`;
  }
  Object.defineProperty(result, NORMALIZED, HIDDEN_TRUE);
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

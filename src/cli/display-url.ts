/** Query parameters whose values are secrets: tokens, passwords, keys. */
const SECRET_PARAM = /pass|token|secret|auth|key/i;

/** `shown` as text, each hidden value written `<name>` rather than percent-encoded. */
function serialise(shown: URL): string {
  return shown.toString().replace(/%3C([\w.-]+)%3E/gi, '<$1>');
}

/** `text` percent-decoded, or as written when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Replaces the value of every query parameter named by `secret` with `<its name>`, in place. */
function hideParams(shown: URL, secret: (name: string) => boolean): void {
  const params = [...shown.searchParams];
  if (!params.some(([name]) => secret(name))) return;
  shown.search = new URLSearchParams(
    params.map(([name, value]) => [name, secret(name) ? `<${name}>` : value]),
  ).toString();
}

/**
 * A receiver's URL as it may be shown. Its Basic credentials are removed; the value of every
 * query parameter that may hold a secret (by the rule of {@link displayStoreUrl}) is written
 * `<token>`, `<api_key>`; and its last path segment, where a receiver also reads a token, is
 * written `<token>` unless the query has a `token` parameter and the segment is not its
 * value. Whether a segment is a token cannot be told from the URL: a plain one is hidden
 * too (`/webhooks/<token>`) rather than risk printing a token.
 */
export function displayUrl(url: URL): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  const tokens = shown.searchParams.getAll('token');
  const slash = shown.pathname.lastIndexOf('/');
  const segment = shown.pathname.slice(slash + 1);
  if (segment !== '' && (tokens.length === 0 || tokens.includes(decoded(segment)))) {
    shown.pathname = `${shown.pathname.slice(0, slash + 1)}<token>`;
  }
  hideParams(shown, (name) => SECRET_PARAM.test(name));
  return serialise(shown);
}

/**
 * A database's URL as it may be shown: its user kept, its password and every query parameter
 * that may hold a secret (`password`, `token`, ...) written `<password>`, `<token>`.
 */
export function displayStoreUrl(url: URL): string {
  const shown = new URL(url);
  if (shown.password !== '') shown.password = '<password>';
  hideParams(shown, (name) => SECRET_PARAM.test(name));
  return serialise(shown);
}

/**
 * The secrets of a database's URL, as written and decoded: what {@link displayStoreUrl}
 * hides, for removing them from a driver's error message too.
 */
export function urlSecrets(url: URL): string[] {
  const values = [url.password];
  for (const [name, value] of url.searchParams) if (SECRET_PARAM.test(name)) values.push(value);
  const forms = values.flatMap((value) => {
    const text = decoded(value);
    return [value, text, encodeURIComponent(text)];
  });
  // Longest first, so that a secret inside another is not replaced first.
  return [...new Set(forms)].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every one of `secrets` replaced by `<hidden>`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) clean = clean.replaceAll(secret, '<hidden>');
  return clean;
}

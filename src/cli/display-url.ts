/** Query parameters whose values are secrets: tokens, passwords, keys. */
const SECRET_PARAM = /pass|token|secret|auth|key/i;

/** `shown` as text, each hidden value written `<name>` rather than percent-encoded. */
function serialise(shown: URL): string {
  return shown.toString().replace(/%3C([a-z_-]+)%3E/gi, '<$1>');
}

/** Replaces the value of every query parameter named by `secret` with `<its name>`. */
function hideParams(shown: URL, secret: (name: string) => boolean): void {
  for (const name of new Set(shown.searchParams.keys())) {
    if (!secret(name)) continue;
    const count = shown.searchParams.getAll(name).length;
    shown.searchParams.delete(name);
    for (let i = 0; i < count; i++) shown.searchParams.append(name, `<${name}>`);
  }
}

/** A receiver's URL as it may be shown: its `token` query parameters and Basic credentials hidden. */
export function displayUrl(url: URL): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  hideParams(shown, (name) => name === 'token');
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
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // Not percent-encoded: as written.
    }
    return [value, decoded, encodeURIComponent(decoded)];
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

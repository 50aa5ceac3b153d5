import { closestMatch } from '../closest-match.js';
import { excerpt } from '../errors.js';

/** The most zones one suggestion names. */
const MAX_SUGGESTIONS = 3;

/** The IANA zones this runtime lists, or none where it cannot list them. */
function listedTimeZones(): readonly string[] {
  try {
    // `Etc/GMT+1` is UTC-1 (POSIX signs): never what someone who wrote `GMT+1` meant.
    return Intl.supportedValuesOf('timeZone').filter((zone) => !zone.startsWith('Etc/'));
  } catch {
    // A runtime without `Intl.supportedValuesOf` (or with it refusing the key).
    return [];
  }
}

/**
 * The IANA zones `name` probably meant, from the zones this runtime lists: those that end with
 * `/<name>` (case and spaces ignored: `Madrid` and `new york` name `Europe/Madrid` and
 * `America/New_York`), otherwise the one closest to it by spelling (`Europe/Madird`, or a
 * misspelt city alone). None where the runtime cannot list its zones. Computed only for an
 * error message: it reads every zone.
 *
 * @internal
 */
export function suggestTimeZones(name: string): string[] {
  const given = name.trim().replace(/\s+/g, '_').toLowerCase();
  if (given === '') return [];
  const zones = listedTimeZones();
  const ending = zones.filter((zone) => zone.toLowerCase().endsWith(`/${given}`));
  if (ending.length > 0) return ending.slice(0, MAX_SUGGESTIONS);
  const close = closestMatch(
    given,
    zones,
    given.includes('/')
      ? (zone) => zone.toLowerCase()
      : (zone) => zone.slice(zone.lastIndexOf('/') + 1).toLowerCase(),
  );
  return close === undefined ? [] : [close];
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function alternatives(names: readonly string[]): string {
  const quoted = names.map((name) => JSON.stringify(name));
  const last = quoted.pop();
  return quoted.length === 0 ? `${last}` : `${quoted.join(', ')} or ${last}`;
}

/**
 * What to do about a time zone this runtime does not know: the zones it probably meant
 * (`Did you mean "Europe/Madrid"?`), or the form of a name.
 *
 * @internal
 */
export function timeZoneHint(name: string): string {
  const suggestions = suggestTimeZones(name);
  return suggestions.length > 0
    ? `Did you mean ${alternatives(suggestions)}?`
    : 'Expected an IANA name such as "Europe/Madrid"';
}

/**
 * The message of an unknown time zone: the name, quoted short, and {@link timeZoneHint}.
 *
 * @internal
 */
export function unknownTimeZoneMessage(name: string): string {
  return `Unknown time zone ${excerpt(name)}. ${timeZoneHint(name)}`;
}

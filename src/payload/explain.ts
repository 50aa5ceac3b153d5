import type { $ZodIssue, $ZodIssueCustom } from 'zod/v4/core';
import { detectFormat } from './schema.js';
import {
  CERTIFICATE_FIELDS,
  ENVELOPE_FIELDS,
  type Json,
  LEGACY_FIELDS,
  MAX_CERTIFICATES,
  REQUEST_FIELDS,
  type WireFields,
} from './wire-fields.js';

// What a body that failed validation gets beyond the schema's issues, so that its error says
// what to fix: the provider's spelling of a field written in another case (`eventType` for
// `event_type`), and what each format needs when a body is neither. None of it is computed for
// a valid body.

type Format = 'envelope' | 'legacy';

/** Where each format puts the field a name stands for, as a dotted path. */
type Places = { [F in Format]?: string };

/** A field name as compared across spellings: lower case, without `_`, `-` or spaces. */
const spellingKey = (name: string): string => name.toLowerCase().replace(/[-_\s]/g, '');

/** What every misspelt field's issue says. */
const SNAKE_CASE = 'the provider sends snake_case fields';

/** The longest name read as a spelling of a field: the provider's longest has 22 characters. */
const MAX_NAME_LENGTH = 32;

/** The places of the names of one object of a notification, by {@link spellingKey}. */
type Spellings = ReadonlyMap<string, Places>;

interface AllSpellings {
  readonly body: Spellings;
  readonly request: Spellings;
  readonly certificate: Spellings;
}

/** Adds the place of `name` in `format`, unless one was given for that format already. */
function addPlace(map: Map<string, Places>, name: string, format: Format, path: string): void {
  const places = map.get(spellingKey(name)) ?? {};
  places[format] ??= path;
  map.set(spellingKey(name), places);
}

/** The spellings of an object only the envelope has (`request`, a certificate). */
function envelopeSpellings(fields: WireFields): Spellings {
  const map = new Map<string, Places>();
  for (const name of Object.keys(fields)) addPlace(map, name, 'envelope', name);
  return map;
}

/** The names of the normalized event whose field the provider names otherwise. */
const EVENT_NAMES: Readonly<Record<string, Required<Places>>> = {
  requestId: { envelope: 'request.pk', legacy: 'request' },
  changedAt: { envelope: 'date', legacy: 'date' },
};

let spellings: AllSpellings | undefined;

/** The spellings of every declared field, built from the field tables on the first failure. */
function allSpellings(): AllSpellings {
  if (spellings) return spellings;
  const body = new Map<string, Places>();
  for (const name of Object.keys(ENVELOPE_FIELDS)) addPlace(body, name, 'envelope', name);
  // After the top level's, so that `date` and `previous_status` point to the top level.
  for (const name of Object.keys(REQUEST_FIELDS)) {
    addPlace(body, name, 'envelope', `request.${name}`);
  }
  for (const name of Object.keys(LEGACY_FIELDS)) addPlace(body, name, 'legacy', name);
  for (const [name, places] of Object.entries(EVENT_NAMES)) {
    addPlace(body, name, 'envelope', places.envelope);
    addPlace(body, name, 'legacy', places.legacy);
  }
  spellings = {
    body,
    request: envelopeSpellings(REQUEST_FIELDS),
    certificate: envelopeSpellings(CERTIFICATE_FIELDS),
  };
  return spellings;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path of `body`, or `undefined`. */
function valueAt(body: Json, path: string): unknown {
  let value: unknown = body;
  for (const name of path.split('.')) value = isRecord(value) ? value[name] : undefined;
  return value;
}

/** The last name of a dotted path. */
const leafOf = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/** `"a"`, or `"a" (envelope) or "b" (legacy)` when the formats put the field apart. */
function describePlaces(places: readonly (readonly [Format, string])[]): string {
  const [first, second] = places;
  if (!first) return '';
  if (!second) return JSON.stringify(first[1]);
  return `${JSON.stringify(first[1])} (${first[0]}) or ${JSON.stringify(second[1])} (${second[0]})`;
}

/** One object of a body to look for misspelt fields in. */
interface SpellingScope {
  /** The whole body, where a field's presence is checked. */
  readonly body: Json;
  /** The object whose names are read: the body, its `request` or a certificate. */
  readonly object: Json;
  /** Where `object` is in the body. */
  readonly path: readonly (string | number)[];
  /** The provider's fields of such an object. */
  readonly known: Spellings;
  /** The body's format, or `undefined` when it is neither. */
  readonly format: Format | undefined;
}

/**
 * An issue for each name of the scope's object that spells one of the provider's fields in
 * another way, where the body lacks that field: one per field at most, for the first such
 * name, so that a body of many spellings of one field cannot make thousands of issues.
 */
function spellingIssues({ body, object, path, known, format }: SpellingScope): $ZodIssueCustom[] {
  const prefix = path.map((name) => `${name}.`).join('');
  const issues: $ZodIssueCustom[] = [];
  const reported = new Set<string>();
  for (const name of Object.keys(object)) {
    if (name.length > MAX_NAME_LENGTH) continue;
    const places = known.get(spellingKey(name));
    if (!places) continue;
    const candidates: (readonly [Format, string])[] = [];
    for (const [placeFormat, place] of Object.entries(places) as [Format, string][]) {
      const full = `${prefix}${place}`;
      if (format !== undefined && placeFormat !== format) continue;
      if (!candidates.some(([, other]) => other === full)) candidates.push([placeFormat, full]);
    }
    // Not a spelling: no such field in this format, the provider's own name (in another
    // place), or a field the body has under its name too.
    if (candidates.length === 0) continue;
    if (candidates.some(([, place]) => leafOf(place) === name)) continue;
    if (candidates.some(([, place]) => valueAt(body, place) !== undefined)) continue;
    if (candidates.every(([, place]) => reported.has(place))) continue;
    for (const [, place] of candidates) reported.add(place);
    const found = `${prefix}${name}`;
    const expected = describePlaces(candidates);
    issues.push({
      code: 'custom',
      path: [...path, name],
      message: `${JSON.stringify(found)} found: ${SNAKE_CASE}; expected ${expected}`,
      params: { found, expected: candidates.map(([, place]) => place) },
    });
  }
  return issues;
}

/** The issues of the misspelt fields of `body`: top level, `request` and each certificate. */
function misspeltFields(body: Json, format: Format | undefined): $ZodIssueCustom[] {
  const known = allSpellings();
  const issues = spellingIssues({ body, object: body, path: [], known: known.body, format });
  if (isRecord(body.request)) {
    const scope = { body, object: body.request, path: ['request'], known: known.request, format };
    issues.push(...spellingIssues(scope));
  }
  if (Array.isArray(body.certificates)) {
    const count = Math.min(body.certificates.length, MAX_CERTIFICATES);
    for (let index = 0; index < count; index++) {
      const object: unknown = body.certificates[index];
      if (!isRecord(object)) continue;
      const path = ['certificates', index];
      issues.push(...spellingIssues({ body, object, path, known: known.certificate, format }));
    }
  }
  return issues;
}

/** The required fields of a field table, as dotted paths, those of `request` included. */
function requiredFields(fields: WireFields, prefix = ''): string[] {
  return Object.entries(fields).flatMap(([name, spec]) => {
    if (spec.endsWith('?')) return [];
    const path = `${prefix}${name}`;
    return spec === 'request' ? [path, ...requiredFields(REQUEST_FIELDS, `${path}.`)] : [path];
  });
}

/** What a format needs: its required fields and a time. */
function needs(fields: WireFields, times: string): string {
  const names = requiredFields(fields).map((name) => JSON.stringify(name));
  return `${names.join(', ')} and a time (${times})`;
}

/** Whether a body has none of the fields that tell the formats apart. */
function isNeitherFormat(body: Json): boolean {
  return body.request === undefined && body.event_type === undefined && body.status === undefined;
}

/** The first issue, where it is, and how many others there are. */
function describeIssues(issues: readonly $ZodIssue[]): string {
  const first = issues[0];
  if (!first) return 'Body is not a valid notification';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  // A misspelt field's message names the field.
  if (first.code === 'custom' && typeof first.params?.found === 'string') {
    return `Body is not a valid notification: ${first.message}${more}`;
  }
  const where = first.path.length > 0 ? first.path.join('.') : 'body';
  return `Body is not a valid notification: ${where}: ${first.message}${more}`;
}

/** The message and the issues of a body that failed validation. */
export interface Explanation {
  readonly message: string;
  readonly issues: readonly $ZodIssue[];
}

/**
 * The message and the issues of `value`, a body the schema refused with `issues`: an issue for
 * each field written in another case than the provider's (`"eventType" found: the provider
 * sends snake_case fields; expected "event_type"`) first, then the schema's; and the message
 * summarizes them, or says what each format needs when the body is neither. Only for a body
 * that failed: it reads every name of the body.
 *
 * @internal
 */
export function explainIssues(value: unknown, issues: readonly $ZodIssue[]): Explanation {
  let misspelt: $ZodIssueCustom[] = [];
  let neither = false;
  try {
    if (isRecord(value)) {
      neither = isNeitherFormat(value);
      misspelt = misspeltFields(value, neither ? undefined : detectFormat(value));
    }
  } catch {
    // A body that cannot be read again (a hostile getter) keeps the schema's issues alone.
  }
  const all = misspelt.length > 0 ? [...misspelt, ...issues] : issues;
  if (neither && misspelt.length === 0) {
    return {
      message: `Body is not a valid notification in either format: the envelope needs ${needs(
        ENVELOPE_FIELDS,
        '"sent_at" or "date"',
      )}; the legacy format needs ${needs(LEGACY_FIELDS, '"date" or "sent_at"')}`,
      issues: all,
    };
  }
  return { message: describeIssues(all), issues: all };
}

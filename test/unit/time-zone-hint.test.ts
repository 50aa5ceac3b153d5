import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeZone as cliTimeZone, UsageError } from '../../src/cli/args.js';
import {
  createWebhooks,
  formatSentAt,
  InvalidOptionsError,
  parseTimestamp,
  parseWebhook,
  safeParseWebhook,
} from '../../src/index.js';
import { suggestTimeZones } from '../../src/payload/time-zone-hint.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The message `parseWebhook` throws for `timeZone`. */
function messageFor(timeZone: string): string | undefined {
  const result = safeParseWebhook('{}', { timeZone });
  expect(result.error).toBeInstanceOf(InvalidOptionsError);
  return result.error?.message;
}

/** Makes the runtime list `zones` as its time zones. */
function listZones(zones: string[]): void {
  vi.spyOn(Intl, 'supportedValuesOf').mockImplementation((key) =>
    key === 'timeZone' ? zones : [],
  );
}

describe('an unknown time zone', () => {
  it('suggests the IANA zone named by a city alone', () => {
    expect(messageFor('Madrid')).toBe('Unknown time zone "Madrid". Did you mean "Europe/Madrid"?');
  });

  it.each([
    ['madrid', 'Europe/Madrid'],
    ['MADRID', 'Europe/Madrid'],
    [' Madrid ', 'Europe/Madrid'],
    ['new york', 'America/New_York'],
    ['Argentina/Salta', 'America/Argentina/Salta'],
    ['Lord_Howe', 'Australia/Lord_Howe'],
  ])('suggests the zone ending with "%s", case and spaces ignored', (name, zone) => {
    expect(suggestTimeZones(name)).toEqual([zone]);
    expect(messageFor(name)).toBe(
      `Unknown time zone ${JSON.stringify(name)}. Did you mean "${zone}"?`,
    );
  });

  it.each([
    ['Europe/Madird', 'Europe/Madrid'],
    ['Europe/Pari', 'Europe/Paris'],
    ['europe/lisbn', 'Europe/Lisbon'],
    ['Madird', 'Europe/Madrid'],
    ['Amsterdm', 'Europe/Amsterdam'],
  ])('suggests the closest zone for the misspelling %s', (name, zone) => {
    expect(messageFor(name)).toBe(
      `Unknown time zone ${JSON.stringify(name)}. Did you mean "${zone}"?`,
    );
  });

  it('names the form of a zone when nothing comes close', () => {
    expect(messageFor('Mars/Olympus')).toBe(
      'Unknown time zone "Mars/Olympus". Expected an IANA name such as "Europe/Madrid"',
    );
    expect(messageFor('')).toBe(
      'Unknown time zone "". Expected an IANA name such as "Europe/Madrid"',
    );
  });

  it('names up to three zones that end alike', () => {
    listZones([
      'America/Indiana/Indianapolis',
      'America/Indianapolis',
      'Europe/Madrid',
      'Pacific/Indianapolis',
      'Asia/Indianapolis',
    ]);
    expect(messageFor('Indianapolis')).toBe(
      'Unknown time zone "Indianapolis". Did you mean "America/Indiana/Indianapolis", "America/Indianapolis" or "Pacific/Indianapolis"?',
    );
  });

  it('never suggests an Etc/GMT zone, whose sign is the reverse of what it reads', () => {
    listZones(['Etc/GMT+1', 'Etc/GMT-1', 'Europe/Madrid']);
    expect(messageFor('GMT+1')).toBe(
      'Unknown time zone "GMT+1". Expected an IANA name such as "Europe/Madrid"',
    );
  });

  it('falls back to the form of a zone where the runtime cannot list its zones', () => {
    vi.spyOn(Intl, 'supportedValuesOf').mockImplementation(() => {
      throw new RangeError('Invalid key : timeZone');
    });
    expect(messageFor('Madrid')).toBe(
      'Unknown time zone "Madrid". Expected an IANA name such as "Europe/Madrid"',
    );
    const listed = Object.getOwnPropertyDescriptor(Intl, 'supportedValuesOf')!;
    try {
      // A runtime without Intl.supportedValuesOf at all.
      Reflect.deleteProperty(Intl, 'supportedValuesOf');
      expect(suggestTimeZones('Madrid')).toEqual([]);
      expect(messageFor('Madrid')).toBe(
        'Unknown time zone "Madrid". Expected an IANA name such as "Europe/Madrid"',
      );
    } finally {
      Object.defineProperty(Intl, 'supportedValuesOf', listed);
    }
  });

  it('quotes at most a short excerpt of the name', () => {
    const message = messageFor(`Europe/${'x'.repeat(1000)}`);
    expect(message?.length).toBeLessThan(120);
  });

  it('gives the same message wherever a zone is checked', () => {
    const expected = 'Unknown time zone "Madrid". Did you mean "Europe/Madrid"?';
    expect(() => createWebhooks({ timeZone: 'Madrid' })).toThrow(expected);
    expect(() => parseWebhook('{}', { timeZone: 'Madrid' })).toThrow(expected);
    expect(() => parseTimestamp('20250715083633', { timeZone: 'Madrid' })).toThrow(expected);
    expect(() => formatSentAt(new Date(0), { timeZone: 'Madrid' })).toThrow(expected);
  });

  it('is suggested by the command line too', () => {
    expect(() => cliTimeZone('Madrid')).toThrow(UsageError);
    expect(() => cliTimeZone('Madrid')).toThrow(
      '--time-zone "Madrid" is not an IANA time zone (did you mean Europe/Madrid?)',
    );
    expect(() => cliTimeZone('Mars/Base')).toThrow(
      '--time-zone "Mars/Base" is not an IANA time zone (e.g. Europe/Madrid)',
    );
    expect(cliTimeZone('Europe/Madrid')).toBe('Europe/Madrid');
  });
});

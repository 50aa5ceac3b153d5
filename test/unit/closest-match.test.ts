import { describe, expect, it } from 'vitest';
import { closestMatch } from '../../src/closest-match.js';

describe('closestMatch', () => {
  const words = ['VIDEOREVIEW', 'VIDEOPENDING', 'ISSUED', 'CREATED'];

  it.each([
    ['VIDEOREVIEW', 'VIDEOREVIEW'],
    ['VIDEOREVEIW', 'VIDEOREVIEW'],
    ['ISUED', 'ISSUED'],
    ['CRAETED', 'CREATED'],
    ['VIDEOPENDNG', 'VIDEOPENDING'],
  ])('finds %s close to %s', (key, meant) => {
    expect(closestMatch(key, words)).toBe(meant);
  });

  it('allows two edits, or a quarter of a long key', () => {
    expect(closestMatch('ISXXED', words)).toBe('ISSUED');
    expect(closestMatch('IXXXED', words)).toBeUndefined();
    expect(closestMatch('VIDEOXXXVIEW', words)).toBe('VIDEOREVIEW');
    expect(closestMatch('VIDXXXXXVIEW', words)).toBeUndefined();
  });

  it('takes the first of equally close candidates', () => {
    expect(closestMatch('AB', ['AC', 'AD'])).toBe('AC');
    expect(closestMatch('AB', ['AD', 'AC'])).toBe('AD');
  });

  it('compares with the text keyOf gives, and returns the candidate', () => {
    const zones = ['Europe/Madrid', 'Europe/Paris'];
    const city = (zone: string) => zone.slice(zone.indexOf('/') + 1).toLowerCase();
    expect(closestMatch('madird', zones, city)).toBe('Europe/Madrid');
  });

  it('suggests nothing for an empty or overlong key, or without candidates', () => {
    expect(closestMatch('', words)).toBeUndefined();
    expect(closestMatch(`ISSUED${'X'.repeat(100)}`, words)).toBeUndefined();
    expect(closestMatch('ISSUED', [])).toBeUndefined();
  });
});

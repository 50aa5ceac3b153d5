import { describe, expect, it } from 'vitest';
import { createPathMatcher } from '../../src/http/path.js';
import { InvalidOptionsError } from '../../src/index.js';

describe('createPathMatcher', () => {
  it('matches the path, its trailing slash and any query', () => {
    const matches = createPathMatcher('/webhooks/uanataca', undefined);
    expect(matches('/webhooks/uanataca')).toBe(true);
    expect(matches('/webhooks/uanataca/')).toBe(true);
    expect(matches('/webhooks/uanataca?token=x')).toBe(true);
    expect(matches('/webhooks/uanataca/x')).toBe(false);
    expect(matches('/webhooks/uanatacax')).toBe(false);
    expect(matches('/webhooks')).toBe(false);
  });

  it('matches one more segment only with a token', () => {
    for (const token of ['t', ['t']]) {
      const matches = createPathMatcher('/hook/', token);
      expect(matches('/hook/t')).toBe(true);
      expect(matches('/hook/t?x=1')).toBe(true);
      expect(matches('/hook/t/u')).toBe(false);
      expect(matches('/hook//')).toBe(false);
    }
    expect(createPathMatcher('/hook', []).call(null, '/hook/t')).toBe(false);
  });

  it('matches everything without a path, and only "/" for the root', () => {
    expect(createPathMatcher(undefined, undefined)('/any/thing')).toBe(true);
    expect(createPathMatcher('/', undefined)('/')).toBe(true);
    expect(createPathMatcher('/', undefined)('/x')).toBe(false);
    expect(createPathMatcher('/', 't')('/t')).toBe(true);
  });

  it('refuses a path without a leading slash', () => {
    expect(() => createPathMatcher('hook', undefined)).toThrow(InvalidOptionsError);
    expect(() => createPathMatcher('', undefined)).toThrow(InvalidOptionsError);
  });
});

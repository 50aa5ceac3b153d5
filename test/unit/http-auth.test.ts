import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuthOptions,
  type AuthRequest,
  authenticate,
  type ResolvedAuth,
  resolveAuth,
} from '../../src/http/auth.js';
import { clientAddress } from '../../src/http/trust-proxy.js';
import { ForbiddenError, InvalidOptionsError, UnauthorizedError } from '../../src/index.js';

const request = (overrides: Partial<AuthRequest> = {}): AuthRequest => ({
  url: '/hook',
  authorization: undefined,
  clientIp: '127.0.0.1',
  ...overrides,
});

/** The error `authenticate` throws, or `undefined` when the request passes. */
function verdict(auth: AuthOptions, overrides: Partial<AuthRequest> = {}): string | undefined {
  try {
    authenticate(resolveAuth(auth), request(overrides));
    return undefined;
  } catch (error) {
    if (error instanceof UnauthorizedError) return 'unauthorized';
    if (error instanceof ForbiddenError) return 'forbidden';
    throw error;
  }
}

const basic = (credentials: string, encoding: BufferEncoding = 'utf8'): string =>
  `Basic ${Buffer.from(credentials, encoding).toString('base64')}`;

describe('resolveAuth', () => {
  it('accepts no options, and then checks nothing', () => {
    const auth = resolveAuth(undefined);
    expect(auth.tokens).toEqual([]);
    expect(auth.basic).toEqual([]);
    expect(auth.challenge).toBeUndefined();
    expect(auth.allowIps).toBeUndefined();
    expect(auth.trustProxy('127.0.0.1', 0)).toBe(false);
    expect(auth.tokenParam).toBe('token');
    expect(() => authenticate(auth, request({ clientIp: undefined }))).not.toThrow();
  });

  it.each<[string, AuthOptions]>([
    ['an empty token', { token: '' }],
    ['an empty token in a list', { token: ['ok', ''] }],
    ['a token that is not a string', { token: 42 as never }],
    ['Basic credentials without a password', { basic: { username: 'u' } as never }],
    ['Basic credentials that are not an object', { basic: ['u:p'] as never }],
    ['a username with ":"', { basic: { username: 'a:b', password: 'p' } }],
    ['a negative hop count', { trustProxy: -1 }],
    ['a fractional hop count', { trustProxy: 1.5 }],
    ['an allow-list entry that is not an address', { allowIps: ['10.0.0.0/8', 'example.com'] }],
    ['an allow-list entry that is not a string', { allowIps: [42 as never] }],
    ['a proxy list entry with a bad prefix', { trustProxy: ['10.0.0.0/33'] }],
    // Fail closed: a token key without a token is a missing secret, not "no token check".
    ['a token key holding undefined (an unset variable)', { token: undefined }],
    ['an empty token list', { token: [] }],
    ['a token list of unset variables', { token: [undefined, undefined] }],
    ['a basic key holding undefined', { basic: undefined }],
    ['an empty Basic list', { basic: [] }],
  ])('refuses %s', (_what, options) => {
    expect(() => resolveAuth(options)).toThrow(InvalidOptionsError);
  });

  it('names the realm of the Basic challenge, without quotes that would break it', () => {
    const credentials = { username: 'u', password: 'p' };
    expect(resolveAuth({ basic: credentials }).challenge).toBe(
      'Basic realm="uanataca-webhooks", charset="UTF-8"',
    );
    expect(resolveAuth({ basic: credentials, realm: 'RA "139" \\ prod' }).challenge).toBe(
      'Basic realm="RA 139  prod", charset="UTF-8"',
    );
    expect(resolveAuth({ token: 't', realm: 'x' }).challenge).toBeUndefined();
  });
});

describe('authenticate: token rotation with unset variables', () => {
  it('skips undefined entries of a token list', () => {
    const options: AuthOptions = { token: ['current', undefined] };
    expect(resolveAuth(options).tokens).toHaveLength(1);
    expect(verdict(options, { url: '/hook?token=current' })).toBeUndefined();
    expect(verdict(options, { url: '/hook' })).toBe('unauthorized');
    expect(verdict(options, { url: '/hook?token=undefined' })).toBe('unauthorized');
  });
});

describe('authenticate: token', () => {
  const token = 'tok-7f3c9a';

  it.each([
    [`/hook?token=${token}`, undefined],
    [`/hook?a=1&token=${token}&b=2`, undefined],
    [`/hook?token=wrong&token=${token}`, undefined],
    [`/hook/${token}`, undefined],
    [`/hook/${token}?token=wrong`, undefined],
    [`/${token}`, undefined],
    ['/hook', 'unauthorized'],
    ['/hook?token=', 'unauthorized'],
    ['/hook?token=tok-7f3c9', 'unauthorized'],
    ['/hook?token=tok-7f3c9a0', 'unauthorized'],
    ['/hook?token=TOK-7F3C9A', 'unauthorized'],
    ['/hook?Token=tok-7f3c9a', 'unauthorized'],
    [`/hook/${token}/`, 'unauthorized'],
    [`/${token}/hook`, 'unauthorized'],
    [`/hook#token=${token}`, 'unauthorized'],
  ])('%s -> %s', (url, expected) => {
    expect(verdict({ token }, { url })).toBe(expected);
  });

  it('decodes the query and the path segment', () => {
    const special = 'a b/c+d&é';
    expect(verdict({ token: special }, { url: `/hook?token=${encodeURIComponent(special)}` })).toBe(
      undefined,
    );
    expect(verdict({ token: special }, { url: `/hook/${encodeURIComponent(special)}` })).toBe(
      undefined,
    );
    expect(verdict({ token: 'a b' }, { url: '/hook?token=a+b' })).toBe(undefined);
  });

  it('treats undecodable input as no token, without throwing', () => {
    expect(verdict({ token: 't' }, { url: '/hook/%E0%A4%A' })).toBe('unauthorized');
    expect(verdict({ token: 't' }, { url: '/hook?token=%E0%A4%A' })).toBe('unauthorized');
    expect(verdict({ token: '%zz' }, { url: '/hook/%zz' })).toBe('unauthorized');
  });

  it('reads a custom tokenParam only', () => {
    expect(verdict({ token, tokenParam: 'key' }, { url: `/hook?key=${token}` })).toBe(undefined);
    expect(verdict({ token, tokenParam: 'key' }, { url: `/hook?token=${token}` })).toBe(
      'unauthorized',
    );
  });

  it('accepts each token of a rotation', () => {
    const auth = { token: ['tok-old', 'tok-new'] };
    expect(verdict(auth, { url: '/hook?token=tok-old' })).toBe(undefined);
    expect(verdict(auth, { url: '/hook/tok-new' })).toBe(undefined);
    expect(verdict(auth, { url: '/hook?token=tok-older' })).toBe('unauthorized');
  });

  it('accepts exactly the configured token, whatever the guess', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }),
        (secret, guess) => {
          const url = `/hook?token=${encodeURIComponent(guess)}`;
          expect(verdict({ token: secret }, { url })).toBe(
            guess === secret ? undefined : 'unauthorized',
          );
        },
      ),
    );
  });
});

/**
 * Wraps the secrets so that every byte read is counted: a comparison that stops at the first
 * difference reads fewer bytes for an early mismatch, which is what a timing attack measures.
 */
function countingReads(auth: ResolvedAuth): { auth: ResolvedAuth; reads: () => number } {
  let reads = 0;
  const count = (bytes: Uint8Array): Uint8Array =>
    new Proxy(bytes, {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return {
    auth: {
      ...auth,
      tokens: auth.tokens.map(count),
      basic: auth.basic.map(({ username, password }) => ({
        username: count(username),
        password: count(password),
      })),
    },
    reads: () => reads,
  };
}

describe('authenticate: comparisons in constant time', () => {
  function readsFor(options: AuthOptions, overrides: Partial<AuthRequest>): number {
    const { auth, reads } = countingReads(resolveAuth(options));
    try {
      authenticate(auth, request(overrides));
    } catch {
      // Only the work done matters here.
    }
    return reads();
  }

  it('reads every byte of the token, wherever the guess goes wrong', () => {
    const token = 'tok-0123456789abcdef';
    const guesses = ['', 'x', 'Xok-0123456789abcdef', 'tok-0123456789abcdeX', token, `${token}00`];
    const counts = guesses.map((guess) => readsFor({ token }, { url: `/hook?token=${guess}` }));
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThanOrEqual(token.length);
  });

  it('compares a guess with every token of a rotation, even after a match', () => {
    const tokens = ['tok-first-secret', 'tok-second-secret'];
    const first = readsFor({ token: tokens }, { url: `/hook?token=${tokens[0]}` });
    const none = readsFor({ token: tokens }, { url: '/hook?token=nope' });
    expect(first).toBe(none);
    expect(first).toBeGreaterThanOrEqual(tokens[0]!.length + tokens[1]!.length);
  });

  it('compares both the user name and the password of every credential', () => {
    const options = {
      basic: [
        { username: 'first', password: 'pw-one' },
        { username: 'second', password: 'pw-two' },
      ],
    };
    const counts = [
      basic('first:pw-one'),
      basic('second:pw-two'),
      basic('first:wrong'),
      basic('nobody:pw-one'),
      'Basic %%%',
      undefined,
    ].map((authorization) => readsFor(options, { authorization }));
    expect(new Set(counts).size).toBe(1);
  });
});

describe('authenticate: Basic', () => {
  const one = { basic: { username: 'ra-139', password: 's3cret' } };

  it.each([
    [basic('ra-139:s3cret'), undefined],
    [`basic ${Buffer.from('ra-139:s3cret').toString('base64')}`, undefined],
    [`BASIC   ${Buffer.from('ra-139:s3cret').toString('base64')}  `, undefined],
    [`Basic\t${Buffer.from('ra-139:s3cret').toString('base64')}`, undefined],
    // Without padding, and in the URL-safe alphabet.
    [`Basic ${Buffer.from('ra-139:s3cret').toString('base64').replace(/=+$/, '')}`, undefined],
    [undefined, 'unauthorized'],
    ['', 'unauthorized'],
    ['Basic', 'unauthorized'],
    ['Basic ', 'unauthorized'],
    ['Bearer s3cret', 'unauthorized'],
    ['Basic !!!!', 'unauthorized'],
    ['Basic a', 'unauthorized'],
    ['Basic cmEtMTM5czNjcmV0', 'unauthorized'],
    [basic('ra-139:s3cre'), 'unauthorized'],
    [basic('ra-139:s3cret '), 'unauthorized'],
    [basic('ra-13:s3cret'), 'unauthorized'],
    [basic(':s3cret'), 'unauthorized'],
    [basic('ra-139'), 'unauthorized'],
    [`${basic('ra-139:s3cret')} ${basic('ra-139:s3cret')}`, 'unauthorized'],
    [`Basic ${'A'.repeat(5000)}`, 'unauthorized'],
  ])('%j -> %s', (authorization, expected) => {
    expect(verdict(one, { authorization })).toBe(expected);
  });

  it('accepts a URL-safe base64 encoding', () => {
    const credentials = { username: 'u', password: '??>>' };
    const urlSafe = `Basic ${Buffer.from('u:??>>').toString('base64url')}`;
    expect(urlSafe).toMatch(/[-_]/);
    expect(verdict({ basic: credentials }, { authorization: urlSafe })).toBe(undefined);
  });

  it('splits at the first colon, so passwords may contain colons', () => {
    const auth = { basic: { username: 'u', password: 'a:b::c:' } };
    expect(verdict(auth, { authorization: basic('u:a:b::c:') })).toBe(undefined);
    expect(verdict(auth, { authorization: basic('u:a:b') })).toBe('unauthorized');
  });

  it('accepts an empty password when that is what is configured', () => {
    const auth = { basic: { username: 'u', password: '' } };
    expect(verdict(auth, { authorization: basic('u:') })).toBe(undefined);
    expect(verdict(auth, { authorization: basic('u') })).toBe('unauthorized');
    expect(verdict(auth, { authorization: undefined })).toBe('unauthorized');
  });

  it('reads UTF-8 credentials', () => {
    const auth = { basic: { username: 'jörg', password: 'pässwörd€' } };
    expect(verdict(auth, { authorization: basic('jörg:pässwörd€') })).toBe(undefined);
    // The same text in Latin-1 is different bytes, and never matches.
    expect(verdict(auth, { authorization: basic('jörg:pässwörd', 'latin1') })).toBe('unauthorized');
  });

  it('accepts any of several credentials, never a mix of them', () => {
    const auth = {
      basic: [
        { username: 'old', password: 'pw-old' },
        { username: 'new', password: 'pw-new' },
      ],
    };
    expect(verdict(auth, { authorization: basic('old:pw-old') })).toBe(undefined);
    expect(verdict(auth, { authorization: basic('new:pw-new') })).toBe(undefined);
    expect(verdict(auth, { authorization: basic('old:pw-new') })).toBe('unauthorized');
  });

  it('round-trips any credentials', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((name) => !name.includes(':')),
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }),
        (username, password, other) => {
          const auth = { basic: { username, password } };
          expect(verdict(auth, { authorization: basic(`${username}:${password}`) })).toBe(
            undefined,
          );
          if (other !== password) {
            expect(verdict(auth, { authorization: basic(`${username}:${other}`) })).toBe(
              'unauthorized',
            );
          }
        },
      ),
    );
  });
});

describe('authenticate: combined checks', () => {
  it('refuses a disallowed address first, with 403', () => {
    const auth = { allowIps: ['10.0.0.0/8'], token: 't' };
    expect(verdict(auth, { url: '/hook?token=t', clientIp: '11.0.0.1' })).toBe('forbidden');
    expect(verdict(auth, { url: '/hook', clientIp: '11.0.0.1' })).toBe('forbidden');
    expect(verdict(auth, { url: '/hook', clientIp: '10.0.0.1' })).toBe('unauthorized');
    expect(verdict(auth, { url: '/hook?token=t', clientIp: '10.0.0.1' })).toBe(undefined);
  });

  it('refuses an unknown address when an allow-list is set', () => {
    expect(verdict({ allowIps: ['::/0'] }, { clientIp: undefined })).toBe('forbidden');
    expect(verdict({ allowIps: [] }, { clientIp: '127.0.0.1' })).toBe('forbidden');
  });

  it('needs the token and the credentials together', () => {
    const auth = { token: 't', basic: { username: 'u', password: 'p' } };
    const authorization = basic('u:p');
    expect(verdict(auth, { url: '/hook?token=t' })).toBe('unauthorized');
    expect(verdict(auth, { authorization })).toBe('unauthorized');
    expect(verdict(auth, { url: '/hook?token=t', authorization })).toBe(undefined);
  });

  it('never puts what was sent into the error', () => {
    for (const overrides of [
      { url: '/hook?token=guess-1234' },
      { url: '/hook/guess-1234' },
      { authorization: basic('user:guess-1234') },
    ]) {
      try {
        authenticate(
          resolveAuth({ token: 'secret-5678', basic: { username: 'u', password: 'secret-5678' } }),
          request(overrides),
        );
        expect.unreachable();
      } catch (error) {
        const seen = JSON.stringify({
          ...(error as object),
          message: (error as Error).message,
          stack: (error as Error).stack,
        });
        expect(seen).not.toContain('guess-1234');
        expect(seen).not.toContain('secret-5678');
      }
    }
  });
});

describe('clientAddress', () => {
  const trust = (value: AuthOptions['trustProxy']) => resolveAuth({ trustProxy: value }).trustProxy;
  const chain = '198.51.100.1, 203.0.113.7 ,10.0.0.2';

  it('uses the socket address only, with trustProxy false', () => {
    expect(clientAddress(trust(false), '127.0.0.1', chain)).toBe('127.0.0.1');
    expect(clientAddress(trust(undefined), '127.0.0.1', chain)).toBe('127.0.0.1');
    expect(clientAddress(trust(false), undefined, chain)).toBeUndefined();
  });

  it('takes the left-most address with trustProxy true', () => {
    expect(clientAddress(trust(true), '127.0.0.1', chain)).toBe('198.51.100.1');
    expect(clientAddress(trust(true), '127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
  });

  it('walks back a number of hops', () => {
    expect(clientAddress(trust(0), '127.0.0.1', chain)).toBe('127.0.0.1');
    expect(clientAddress(trust(1), '127.0.0.1', chain)).toBe('10.0.0.2');
    expect(clientAddress(trust(2), '127.0.0.1', chain)).toBe('203.0.113.7');
    expect(clientAddress(trust(3), '127.0.0.1', chain)).toBe('198.51.100.1');
    expect(clientAddress(trust(99), '127.0.0.1', chain)).toBe('198.51.100.1');
  });

  it('walks past trusted proxies given as addresses and ranges', () => {
    const proxies = trust(['127.0.0.1', '10.0.0.0/8']);
    expect(clientAddress(proxies, '127.0.0.1', chain)).toBe('203.0.113.7');
    expect(clientAddress(proxies, '::ffff:127.0.0.1', chain)).toBe('203.0.113.7');
    expect(clientAddress(proxies, '192.0.2.1', chain)).toBe('192.0.2.1');
    expect(clientAddress(proxies, '127.0.0.1', '10.1.1.1, 10.2.2.2')).toBe('10.1.1.1');
    expect(clientAddress(proxies, '127.0.0.1', 'garbage, 10.2.2.2')).toBe('garbage');
    expect(clientAddress(trust([]), '127.0.0.1', chain)).toBe('127.0.0.1');
  });

  it('ignores an empty or blank X-Forwarded-For', () => {
    for (const value of [true, 2, ['127.0.0.1']] as const) {
      expect(clientAddress(trust(value), '127.0.0.1', undefined)).toBe('127.0.0.1');
      expect(clientAddress(trust(value), '127.0.0.1', '')).toBe('127.0.0.1');
      expect(clientAddress(trust(value), '127.0.0.1', ' , ,')).toBe('127.0.0.1');
    }
  });
});

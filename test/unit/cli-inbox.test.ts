// The inbox commands' parsing, checks and formatting, in process; the commands against real
// stores, run as the built tool, are in test/integration/cli-inbox.test.ts.
import { describe, expect, it } from 'vitest';
import { duration, paint, parse, UsageError } from '../../src/cli/args.js';
import { displayStoreUrl, displayUrl, scrub, urlSecrets } from '../../src/cli/display-url.js';
import { inbox, type Terminal } from '../../src/cli/inbox.js';
import {
  entryDetails,
  entryTable,
  formatAge,
  printable,
  statsLines,
  truncate,
} from '../../src/cli/inbox-format.js';
import type { InboxEntry } from '../../src/index.js';

function terminal(): Terminal & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => void lines.push(line),
    err: (line) => void errors.push(line),
    isTerminal: false,
  };
}

const entry = (overrides: Partial<InboxEntry> = {}): InboxEntry => ({
  id: '7',
  idempotencyKey: 'e:28634:VIDEOID_UPDATED',
  requestId: 28634,
  eventType: 'VIDEOID_UPDATED',
  status: 'dead',
  attempts: 3,
  receivedAt: new Date('2025-07-15T06:36:33Z'),
  nextAttemptAt: undefined,
  lastError: 'HandlerError: A webhook handler failed (Error: the billing database refused)',
  body: '{"request":{"pk":28634}}',
  ...overrides,
});

describe('duration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('reads %s', (text, ms) => {
    expect(duration(text, 'older-than')).toBe(ms);
  });

  it.each(['7 days', '', '5', 'm', '1.5h', '-1d', '7D', '99999999999999999999d'])(
    'refuses %j',
    (text) => {
      expect(() => duration(text, 'older-than')).toThrow(UsageError);
      expect(() => duration(text, 'older-than')).toThrow('--older-than must be a duration');
    },
  );
});

describe('parse', () => {
  const options = {
    port: { type: 'string', short: 'p' },
    status: { type: 'string', multiple: true },
    quiet: { type: 'boolean', short: 'q' },
  } as const;

  it('takes a negative number after an option as its value, for its own check', () => {
    const { values, positionals } = parse(
      ['--port', '-1', '--status', '-2', '--status', 'x', '-p', '-0.5', '--', '-3'],
      options,
      true,
    );
    expect(values).toEqual({ port: '-0.5', status: ['-2', 'x'] });
    expect(positionals).toEqual(['-3']);
  });

  it.each([
    [['--port'], 'option --port needs a value'],
    [['--port', '-q'], 'option --port needs a value'],
    [['--quiet', '-1'], 'unknown option -1'],
  ])('still refuses %j', (argv, message) => {
    expect(() => parse(argv, options, false)).toThrow(UsageError);
    expect(() => parse(argv, options, false)).toThrow(message);
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 s'],
    [45_000, '45 s'],
    [12 * 60_000 + 5_000, '12 min'],
    [3 * 3_600_000, '3 h'],
    [3 * 3_600_000 + 5 * 60_000, '3 h 5 min'],
    [2 * 86_400_000, '2 d'],
    [2 * 86_400_000 + 4 * 3_600_000 + 59_000, '2 d 4 h'],
  ])('says %d ms as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });

  it('writes control characters as escapes, keeping line breaks and tabs', () => {
    expect(printable('a\x1b[31mred\u009b\x00\n\tb')).toBe('a\\u001b[31mred\\u009b\\u0000\n\tb');
  });

  it('truncates with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcd', 4)).toBe('abcd');
  });

  it('aligns a table, paints statuses on a terminal only, and cuts the last error to fit', () => {
    const entries = [
      entry(),
      entry({
        id: '12',
        status: 'pending',
        attempts: 0,
        requestId: undefined,
        eventType: undefined,
        lastError: undefined,
      }),
    ];
    const plain = entryTable(entries, paint(false), undefined);
    expect(plain[0]).toBe(
      'ID  STATUS   ATTEMPTS  REQUEST  EVENT TYPE       RECEIVED AT               LAST ERROR',
    );
    expect(plain[1]).toBe(
      '7   dead            3    28634  VIDEOID_UPDATED  2025-07-15T06:36:33.000Z  HandlerError: A webhook handler failed (Error: the billing…',
    );
    expect(plain[2]).toBe(
      '12  pending         0        -  -                2025-07-15T06:36:33.000Z',
    );
    const narrow = entryTable(entries, paint(false), 100);
    expect(narrow[1]!.length).toBeLessThanOrEqual(100);
    expect(narrow[1]).toMatch(/…$/);
    const previous = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      expect(entryTable(entries, paint(true), undefined)[1]).toContain('\x1b[31mdead   \x1b[0m');
    } finally {
      if (previous !== undefined) process.env.NO_COLOR = previous;
    }
  });

  it('never lets a body or an error move the cursor', () => {
    const hostile = entry({
      eventType: 'X\x1b[2J',
      lastError: 'bad\x1b]0;title\x07',
      body: 'not json \x1b[31m',
    });
    const text = [
      ...entryTable([hostile], paint(false), undefined),
      ...entryDetails(hostile, paint(false), Date.now()),
    ].join('\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none of them may remain
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('X\\u001b[2J');
  });

  it('shows every field of an entry and the body indented', () => {
    const lines = entryDetails(entry(), paint(false), Date.parse('2025-07-15T08:36:33Z'));
    expect(lines).toContain('received at      2025-07-15T06:36:33.000Z (2 h ago)');
    expect(lines).toContain('next attempt at  -');
    expect(lines.slice(-2)).toEqual(['body', '{\n  "request": {\n    "pk": 28634\n  }\n}']);
  });

  it('counts by status with a total and the age of the oldest pending entry', () => {
    const report = {
      pending: 2,
      running: 0,
      done: 120,
      dead: 1,
      invalid: 0,
      oldestPendingAt: new Date('2025-07-15T06:36:33Z'),
      oldestPendingAgeMs: 125 * 60_000,
    };
    expect(statsLines(report, paint(false))).toEqual([
      'pending    2  oldest received 2 h 5 min ago, 2025-07-15T06:36:33.000Z',
      'running    0',
      'done     120',
      'dead       1',
      'invalid    0',
      'total    123',
    ]);
  });
});

describe('store URLs', () => {
  it('hides the password and secret parameters, keeping the user', () => {
    expect(
      displayStoreUrl(new URL('postgres://app:s3cr%40t@db:5432/app?sslmode=require&password=x1')),
    ).toBe('postgres://app:<password>@db:5432/app?sslmode=require&password=<password>');
    expect(displayStoreUrl(new URL('redis://:s3cret@cache:6379/2'))).toBe(
      'redis://:<password>@cache:6379/2',
    );
    expect(displayStoreUrl(new URL('rediss://cache:6380'))).toBe('rediss://cache:6380');
  });

  it('removes the secrets from a message, however they are written', () => {
    const url = new URL('postgres://app:s3cr%40t@db/app?sslpassword=k3y');
    const message = 'failed for s3cr@t, s3cr%40t and k3y';
    expect(scrub(message, urlSecrets(url))).toBe('failed for <hidden>, <hidden> and <hidden>');
  });

  it('keeps hiding a receiver URL’s credentials and tokens for send', () => {
    expect(displayUrl(new URL('http://u:p%40ss@127.0.0.1:9/hook?a=1&token=abc&token=def'))).toBe(
      'http://127.0.0.1:9/hook?a=1&token=<token>&token=<token>',
    );
  });

  it.each([
    ['http://h/webhooks/s3cret', 'http://h/webhooks/<token>'],
    ['http://h/s3cret', 'http://h/<token>'],
    ['http://h/webhooks/s3cret?a=1', 'http://h/webhooks/<token>?a=1'],
    ['http://h/webhooks/s%zz', 'http://h/webhooks/<token>'],
    ['http://h/webhooks/', 'http://h/webhooks/'],
    ['http://h/', 'http://h/'],
    ['http://h/webhooks/uanataca?token=s3cret', 'http://h/webhooks/uanataca?token=<token>'],
    ['http://h/webhooks/s%40cret?token=s%40cret', 'http://h/webhooks/<token>?token=<token>'],
    [
      'http://h/in/?api_key=1&X-Api-Key=2&password=3&auth=4&secret=5&page=6',
      'http://h/in/?api_key=<api_key>&X-Api-Key=<X-Api-Key>&password=<password>&auth=<auth>&secret=<secret>&page=6',
    ],
  ])('shows %s as %s for send', (url, shown) => {
    expect(displayUrl(new URL(url))).toBe(shown);
  });
});

describe('inbox command line', () => {
  it.each([
    ['list', 'Usage: uanataca-webhooks inbox list'],
    ['show', 'Usage: uanataca-webhooks inbox show <id>'],
    ['replay', 'Usage: uanataca-webhooks inbox replay <id>'],
    ['purge', 'Usage: uanataca-webhooks inbox purge'],
    ['stats', 'Usage: uanataca-webhooks inbox stats'],
  ])('prints the help of %s, without a store', async (command, text) => {
    const io = terminal();
    expect(await inbox([command, '--help'], io)).toBe(0);
    expect(io.lines.join('\n')).toContain(text);
    expect(io.lines.join('\n')).toContain('--store <store>');
  });

  it('keeps every help line within 88 columns', async () => {
    for (const command of ['list', 'show', 'replay', 'purge', 'stats']) {
      const io = terminal();
      await inbox([command, '-h'], io);
      for (const line of io.lines.join('\n').split('\n')) {
        expect(line.length, line).toBeLessThanOrEqual(88);
      }
    }
  });

  it.each([
    [['frobnicate'], 'unknown inbox command "frobnicate"; use list, show'],
    [['--store', 'x.sqlite', 'list'], 'inbox needs its command first'],
    [['list'], 'inbox list needs --store <SQLite file | postgres:// URL | redis:// URL>'],
    [['list', '--store', ''], 'inbox list needs --store'],
    [['stats', '--store', 'mysql://db/app'], '--store mysql:// is not a store'],
    [['stats', '--store', 'constructor://x'], '--store constructor:// is not a store'],
    [['stats', '--store', 'postgres://a b'], '--store "postgres://…" is not a valid URL'],
    [['list', '--store', 'x.sqlite', '--status', 'lost'], '--status must be one of'],
    [['list', '--store', 'x.sqlite', '--status', 'dead,'], '--status must be one of'],
    [['list', '--store', 'x.sqlite', '--limit', '0'], '--limit must be a whole number'],
    [['list', '--store', 'x.sqlite', '--request', 'abc'], '--request must be a whole number'],
    [['list', '--store', 'x.sqlite', '--event-type', ' '], '--event-type cannot be empty'],
    [['list', '--store', 'x.sqlite', '--timeout', '0'], '--timeout must be a whole number'],
    [['list', '--store', 'x.sqlite', 'extra'], 'unexpected argument "extra"'],
    [['purge', '--store', 'x.sqlite', '--older-than', '7 days'], '--older-than must be a duration'],
    [['purge', '--store', 'x.sqlite'], 'inbox purge needs --status or --older-than'],
    [['purge', '--store', 'x.sqlite', '--request', '5'], 'inbox purge needs --status'],
    [['show', '--store', 'x.sqlite'], 'inbox show needs an entry <id>'],
    [['show', '1', '2', '--store', 'x.sqlite'], 'inbox show takes one <id>'],
    [['replay', '--store', 'x.sqlite'], 'inbox replay needs an entry <id>, a filter'],
    [['replay', '1', '--status', 'dead', '--store', 'x.sqlite'], 'an <id> or filters, not both'],
    [['replay', '1', '--all', '--store', 'x.sqlite'], 'an <id> or filters, not both'],
    [['replay', '1', '--store', 'x.sqlite', '--time-zone', 'Mars/Base'], 'not an IANA time zone'],
    [['stats', '--store', 'x.sqlite', '--prefix', 'a:'], '--prefix and --redis-client are for'],
    [['stats', '--store', 'x.sqlite', '--schema', 'a'], 'are for a PostgreSQL store'],
    [['stats', '--store', 'redis://h', '--table-prefix', 'a_'], 'are for a PostgreSQL store'],
    [['stats', '--store', 'postgres://h/db', '--prefix', 'a:'], 'are for a Redis store'],
    [['stats', '--store', 'postgres://h/db', '--table-prefix', 'A-'], '--table-prefix must be'],
    [['stats', '--store', 'postgres://h/db', '--schema', 'Web Hooks'], '--schema must be'],
    [['stats', '--store', 'redis://h', '--redis-client', 'x'], '--redis-client must be ioredis'],
    [['stats', '--store', 'x.sqlite', '--bogus'], 'unknown option --bogus'],
  ])('refuses %j before opening any store', async (args, message) => {
    const io = terminal();
    const refused = inbox(args, io);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(message);
    expect(io.lines).toEqual([]);
  });

  it('never repeats a password given in the URL in a usage error', async () => {
    const io = terminal();
    const refused = inbox(['stats', '--store', 'postgres://u:s3cret@h/db', '--prefix', 'x'], io);
    await expect(refused).rejects.toThrow(UsageError);
    await refused.catch((error: Error) => expect(error.message).not.toContain('s3cret'));
  });
});

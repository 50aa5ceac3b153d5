import { BlockList, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hostOf,
  ipInRange,
  ipMatches,
  parseHostAddress,
  parseIp,
  parseIpRange,
} from '../../src/http/ip.js';

/** The 16 bytes as 32 hex digits, for readable comparisons. */
const hex = (bytes: Uint8Array | undefined): string | undefined =>
  bytes && Buffer.from(bytes).toString('hex');

/** The 8 groups of an address written out in full, which Node's parsers read as well. */
const fullForm = (bytes: Uint8Array): string =>
  Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16)).join(
    ':',
  );

const V4_PREFIX = '00000000000000000000ffff';

describe('parseIp: IPv4', () => {
  it.each([
    ['0.0.0.0', `${V4_PREFIX}00000000`],
    ['1.2.3.4', `${V4_PREFIX}01020304`],
    ['127.0.0.1', `${V4_PREFIX}7f000001`],
    ['255.255.255.255', `${V4_PREFIX}ffffffff`],
    [' 10.0.0.1 ', `${V4_PREFIX}0a000001`],
  ])('reads %j as the IPv4-mapped %s', (text, expected) => {
    expect(hex(parseIp(text))).toBe(expected);
  });

  it.each([
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.-4',
    '1..2.3',
    'a.b.c.d',
    '1.2.3.4/8',
    '1.2.3.4:80',
    '0x7f.0.0.1',
    '1234.1.1.1',
    '',
    ' ',
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('agrees with node:net on which IPv4 spellings are addresses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended()), (text) => {
        expect(parseIp(text) !== undefined).toBe(isIPv4(text));
      }),
    );
  });
});

describe('parseIp: IPv6', () => {
  it.each([
    ['::', '0'.repeat(32)],
    ['::1', `${'0'.repeat(31)}1`],
    ['1::', `0001${'0'.repeat(28)}`],
    ['2001:db8::1', `20010db8${'0'.repeat(23)}1`],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', `20010db8${'0'.repeat(23)}1`],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1::8', `0001${'0'.repeat(24)}0008`],
    ['[::1]', `${'0'.repeat(31)}1`],
  ])('reads %j', (text, expected) => {
    expect(hex(parseIp(text))).toBe(expected);
  });

  it.each([
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':::',
    '::1::',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4::5:6:7:8',
    '12345::',
    'g::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '[::1',
    '::1]',
    `${'0:'.repeat(40)}1`,
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('reads an embedded IPv4 tail into the last 32 bits', () => {
    expect(hex(parseIp('::ffff:1.2.3.4'))).toBe(hex(parseIp('1.2.3.4')));
    expect(hex(parseIp('::ffff:0102:0304'))).toBe(hex(parseIp('1.2.3.4')));
    expect(hex(parseIp('::FFFF:1.2.3.4'))).toBe(hex(parseIp('1.2.3.4')));
    expect(hex(parseIp('64:ff9b::1.2.3.4'))).toBe(`0064ff9b${'0'.repeat(16)}01020304`);
    expect(hex(parseIp('1:2:3:4:5:6:1.2.3.4'))).toBe('00010002000300040005000601020304');
    expect(hex(parseIp('1::6:1.2.3.4'))).toBe(`0001${'0'.repeat(16)}000601020304`);
    // IPv4-compatible (deprecated), which is not the IPv4 address itself.
    expect(hex(parseIp('::1.2.3.4'))).toBe(`${'0'.repeat(24)}01020304`);
  });

  it.each([
    '1:2:3:4:5:6:7:1.2.3.4',
    '::ffff:1.2.3',
    '::ffff:1.2.3.4.5',
    '::ffff:256.2.3.4',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '::ffff:01.2.3.4',
  ])('refuses the IPv4 tail in %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('drops zone ids', () => {
    expect(hex(parseIp('fe80::1%eth0'))).toBe(hex(parseIp('fe80::1')));
    expect(hex(parseIp('[fe80::1%25en0]'))).toBe(hex(parseIp('fe80::1')));
    expect(parseIp('%eth0')).toBeUndefined();
  });

  it('reads every address node:net reads, to the same bytes', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const bytes = parseIp(text);
        expect(bytes).toBeDefined();
        const list = new BlockList();
        list.addAddress(text, 'ipv6');
        expect(list.check(fullForm(bytes!), 'ipv6')).toBe(true);
      }),
    );
  });

  it('agrees with node:net on damaged addresses', () => {
    const damaged = fc
      .tuple(fc.ipV6(), fc.nat(40), fc.constantFrom(':', '::', '.', '1', 'g', ''))
      .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at));
    fc.assert(
      fc.property(damaged, (text) => {
        expect(parseIp(text) !== undefined).toBe(isIPv6(text) || isIPv4(text));
      }),
    );
  });
});

describe('parseIpRange', () => {
  it('reads addresses as single-address ranges', () => {
    expect(parseIpRange('10.0.0.1')).toEqual({ bytes: parseIp('10.0.0.1'), prefix: 128 });
    expect(parseIpRange('::1')).toEqual({ bytes: parseIp('::1'), prefix: 128 });
  });

  it('counts IPv4 prefixes over the IPv4-mapped bytes', () => {
    expect(parseIpRange('10.0.0.0/8')?.prefix).toBe(104);
    expect(parseIpRange('0.0.0.0/0')?.prefix).toBe(96);
    expect(parseIpRange('10.0.0.1/32')?.prefix).toBe(128);
    expect(parseIpRange('::/0')?.prefix).toBe(0);
    expect(parseIpRange('2001:db8::/128')?.prefix).toBe(128);
    expect(parseIpRange('::ffff:10.0.0.0/104')?.prefix).toBe(104);
  });

  it.each([
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/a',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0.0.0/1000',
    '/8',
    'example.com/8',
    '',
  ])('refuses %j', (text) => {
    expect(parseIpRange(text)).toBeUndefined();
  });
});

describe('ipInRange and ipMatches', () => {
  const inRange = (address: string, range: string): boolean =>
    ipInRange(parseIp(address)!, parseIpRange(range)!);

  it.each([
    ['10.0.0.0/8', '10.0.0.0', '10.255.255.255', '9.255.255.255', '11.0.0.0'],
    ['192.168.1.128/25', '192.168.1.128', '192.168.1.255', '192.168.1.127', '192.168.2.0'],
    ['172.16.0.0/12', '172.16.0.0', '172.31.255.255', '172.15.255.255', '172.32.0.0'],
    ['203.0.113.7/32', '203.0.113.7', '203.0.113.7', '203.0.113.6', '203.0.113.8'],
    ['198.51.100.0/31', '198.51.100.0', '198.51.100.1', '198.51.99.255', '198.51.100.2'],
    // The address after ::ffff:255.255.255.255 is outside the IPv4-mapped block.
    ['128.0.0.0/1', '128.0.0.0', '255.255.255.255', '127.255.255.255', '::1:0:0:0'],
    [
      '2001:db8::/32',
      '2001:db8::',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::',
    ],
    ['::2/127', '::2', '::3', '::1', '::4'],
    ['::1/128', '::1', '::1', '::', '::2'],
    ['fe80::/10', 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe7f::', 'fec0::'],
  ])('%s holds %s and %s but not %s or %s', (range, first, last, before, after) => {
    expect(inRange(first, range)).toBe(true);
    expect(inRange(last, range)).toBe(true);
    expect(inRange(before, range)).toBe(false);
    expect(inRange(after, range)).toBe(false);
  });

  it('matches IPv4 ranges with IPv4-mapped addresses and the reverse', () => {
    expect(inRange('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inRange('10.1.2.3', '::ffff:10.0.0.0/104')).toBe(true);
    expect(inRange('10.1.2.3', '::ffff:0:0/96')).toBe(true);
    expect(inRange('::ffff:11.1.2.3', '10.0.0.0/8')).toBe(false);
  });

  it('keeps 0.0.0.0/0 to IPv4 while ::/0 holds everything', () => {
    for (const v4 of ['0.0.0.0', '127.0.0.1', '255.255.255.255']) {
      expect(inRange(v4, '0.0.0.0/0')).toBe(true);
      expect(inRange(v4, '::/0')).toBe(true);
    }
    for (const v6 of ['::', '::1', '2001:db8::1', 'ffff::']) {
      expect(inRange(v6, '0.0.0.0/0')).toBe(false);
      expect(inRange(v6, '::/0')).toBe(true);
    }
  });

  it('agrees with node:net BlockList on random ranges', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), fc.constant('ipv4')),
          fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), fc.constant('ipv6')),
        ),
        ([network, prefix, address, family]) => {
          const list = new BlockList();
          list.addSubnet(network, prefix, family as 'ipv4' | 'ipv6');
          const ours = ipMatches(address, [parseIpRange(`${network}/${prefix}`)!]);
          expect(ours).toBe(list.check(address, family as 'ipv4' | 'ipv6'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with BlockList near the edges of random ranges', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        (network, prefix, up) => {
          const range = parseIpRange(`${network}/${prefix}`)!;
          // The last address of the range, and one past it (or the first, and one before it).
          const bytes = Buffer.from(range.bytes.subarray(12));
          let value = bytes.readUInt32BE(0);
          const size = 2 ** (32 - prefix);
          value = value - (value % size) + (up ? size - 1 : 0);
          const edge = value >>> 0;
          const beyond = up ? edge + 1 : edge - 1;
          const text = (n: number): string =>
            [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
          expect(ipMatches(text(edge), [range])).toBe(true);
          if (beyond >= 0 && beyond <= 0xffffffff) {
            expect(ipMatches(text(beyond), [range])).toBe(false);
          }
        },
      ),
    );
  });

  it('never matches a missing or unreadable address', () => {
    const all = [parseIpRange('::/0')!];
    expect(ipMatches(undefined, all)).toBe(false);
    expect(ipMatches('', all)).toBe(false);
    expect(ipMatches('unknown', all)).toBe(false);
    expect(ipMatches('203.0.113.7:', all)).toBe(false);
    expect(ipMatches('[203.0.113.7]x', all)).toBe(false);
    expect(ipMatches('::1', [])).toBe(false);
  });
});

describe('hostOf and parseHostAddress: addresses as proxies write them', () => {
  it.each([
    ['203.0.113.5:1234', '203.0.113.5'],
    [' 203.0.113.5:1 ', '203.0.113.5'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[::ffff:10.0.0.1]:80', '::ffff:10.0.0.1'],
    ['203.0.113.5', '203.0.113.5'],
    ['2001:db8::1', '2001:db8::1'],
    ['unknown', 'unknown'],
  ])('reads %j as %j', (text, host) => {
    expect(hostOf(text)).toBe(host);
  });

  it('parses an address with a port as the address', () => {
    expect(hex(parseHostAddress('203.0.113.5:1234'))).toBe(hex(parseIp('203.0.113.5')));
    expect(hex(parseHostAddress('[2001:db8::1]:443'))).toBe(hex(parseIp('2001:db8::1')));
    expect(parseHostAddress('203.0.113.5:123456')).toBeUndefined();
    expect(parseHostAddress('2001:db8::1:443x')).toBeUndefined();
    expect(parseHostAddress('[garbage]:443')).toBeUndefined();
  });

  it('matches an allow-list whatever port the entry carries', () => {
    const ranges = [parseIpRange('203.0.113.0/24')!, parseIpRange('2001:db8::/32')!];
    expect(ipMatches('203.0.113.5:1234', ranges)).toBe(true);
    expect(ipMatches('[2001:db8::1]:443', ranges)).toBe(true);
    expect(ipMatches('198.51.100.1:1234', ranges)).toBe(false);
  });
});

describe('parseIpRange: IPv4 netmasks', () => {
  it.each([
    ['10.0.0.0/255.0.0.0', '10.0.0.0/8'],
    ['192.168.1.0/255.255.255.0', '192.168.1.0/24'],
    ['172.16.0.0/255.240.0.0', '172.16.0.0/12'],
    ['0.0.0.0/0.0.0.0', '0.0.0.0/0'],
    ['203.0.113.7/255.255.255.255', '203.0.113.7/32'],
  ])('reads %s as %s', (mask, prefix) => {
    expect(parseIpRange(mask)).toEqual(parseIpRange(prefix));
  });

  it.each(['10.0.0.0/255.0.255.0', '10.0.0.0/256.0.0.0', '::1/255.0.0.0'])('refuses %s', (mask) => {
    expect(parseIpRange(mask)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { clientAddress, compileTrustProxy, type TrustProxy } from '../../src/http/trust-proxy.js';
import { InvalidOptionsError } from '../../src/index.js';

const CHAIN = '198.51.100.1, 203.0.113.7 ,10.0.0.2';
/** The client address `setting` finds behind a socket peer and an X-Forwarded-For header. */
const client = (setting: unknown, socket: string | undefined, forwarded = CHAIN) =>
  clientAddress(compileTrustProxy(setting), socket, forwarded);

describe("compileTrustProxy: what Express's trust proxy setting accepts", () => {
  it.each<[string, unknown, string | undefined]>([
    ['false', false, '127.0.0.1'],
    ['undefined', undefined, '127.0.0.1'],
    ['true', true, '198.51.100.1'],
    ['a hop count', 1, '10.0.0.2'],
    ['a hop count past the chain', 99, '198.51.100.1'],
    ['no hops', 0, '127.0.0.1'],
    ['an address', '127.0.0.1', '10.0.0.2'],
    ['a comma-separated string', '127.0.0.1, 10.0.0.0/8', '203.0.113.7'],
    ['a list', ['127.0.0.1', '10.0.0.0/8'], '203.0.113.7'],
    ['a netmask', ['127.0.0.1', '10.0.0.0/255.0.0.0'], '203.0.113.7'],
    ['loopback', 'loopback', '10.0.0.2'],
    ['loopback and uniquelocal', 'loopback, uniquelocal', '203.0.113.7'],
    ['named sets in a list, any case', ['LoopBack', 'uniquelocal'], '203.0.113.7'],
    ['linklocal, which the peer is not in', 'linklocal', '127.0.0.1'],
    ['a function', (address: string) => address === '127.0.0.1', '10.0.0.2'],
    ['a function of the hop', (_: string, hop: number) => hop < 2, '203.0.113.7'],
  ])('reads %s', (_, setting, expected) => {
    expect(client(setting, '127.0.0.1')).toBe(expected);
  });

  it.each<[string, string, string]>([
    ["'true'", 'true', '198.51.100.1'],
    ["'TRUE'", ' TRUE ', '198.51.100.1'],
    ["'false'", 'false', '127.0.0.1'],
    ["'1'", '1', '10.0.0.2'],
    ["'2'", '2', '203.0.113.7'],
    ["'0'", '0', '127.0.0.1'],
  ])('reads %s as an environment variable would give it', (_, setting, expected) => {
    expect(client(setting, '127.0.0.1')).toBe(expected);
  });

  it('trusts the IPv6 loopback and IPv4-mapped addresses as loopback', () => {
    expect(client('loopback', '::1')).toBe('10.0.0.2');
    expect(client('loopback', '::ffff:127.0.0.1')).toBe('10.0.0.2');
  });

  it('reads entries with ports, and hands on the address without its port', () => {
    const forwarded = '[2001:db8::1]:443, 203.0.113.5:1234';
    expect(client(1, '127.0.0.1', forwarded)).toBe('203.0.113.5');
    expect(client(2, '127.0.0.1', forwarded)).toBe('2001:db8::1');
    expect(client(['127.0.0.1', '203.0.113.0/24'], '127.0.0.1', forwarded)).toBe('2001:db8::1');
    expect(client(true, '127.0.0.1', forwarded)).toBe('2001:db8::1');
  });

  it('trusts nothing more once a function throws', () => {
    const setting = (address: string) => {
      if (address === '10.0.0.2') throw new Error('boom');
      return true;
    };
    expect(client(setting, '127.0.0.1')).toBe('10.0.0.2');
  });

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['a blank string', '  '],
    ['a word that is no named set', 'localhost'],
    ['a list with a bad entry', ['127.0.0.1', 'proxy.example']],
    ['a string list with a bad entry', '127.0.0.1, nope'],
    ['a bad prefix', '10.0.0.0/33'],
    ['a negative hop count', -1],
    ['a fractional hop count', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['an object', { hops: 1 }],
    ['a list with a number', [1]],
  ])('refuses %s at creation with InvalidOptionsError', (_, setting) => {
    expect(() => compileTrustProxy(setting as TrustProxy)).toThrow(InvalidOptionsError);
  });
});

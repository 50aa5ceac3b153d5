/**
 * IPv4 and IPv6 addresses and CIDR ranges, held as 16 bytes (IPv4 as IPv4-mapped IPv6, so
 * that `::ffff:10.0.0.1` from a dual-stack socket matches `10.0.0.0/8`).
 */

/** A parsed CIDR range: 16 address bytes and a prefix length over them (0-128). */
export interface IpRange {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string, into: Uint8Array, at: number): boolean {
  const m = IPV4.exec(text);
  if (!m) return false;
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    const value = Number(part);
    // Leading zeros are rejected: some stacks read them as octal.
    if (value > 255 || (part.length > 1 && part[0] === '0')) return false;
    into[at + i] = value;
  }
  return true;
}

function parseGroups(text: string, into: Uint8Array, at: number, max: number): number {
  if (text === '') return 0;
  const groups = text.split(':');
  if (groups.length > max) return -1;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (!HEX_GROUP.test(group)) return -1;
    const value = Number.parseInt(group, 16);
    into[at + i * 2] = value >> 8;
    into[at + i * 2 + 1] = value & 0xff;
  }
  return groups.length;
}

/**
 * Parses an IPv4 or IPv6 address (zone ids such as `%eth0` and brackets are dropped) into 16
 * bytes, or `undefined` when it is not an address.
 */
export function parseIp(input: string): Uint8Array | undefined {
  let text = input.trim();
  if (text.length > 64) return undefined;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const bytes = new Uint8Array(16);
  if (!text.includes(':')) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseIpv4(text, bytes, 12) ? bytes : undefined;
  }
  // An embedded IPv4 tail (::ffff:1.2.3.4) takes the last two groups.
  let groupsAvailable = 8;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!parseIpv4(tail, bytes, 12)) return undefined;
    text = text.slice(0, lastColon + 1);
    // Keep "::" intact when the IPv4 tail follows it directly.
    text = text.endsWith('::') ? text : text.slice(0, -1);
    groupsAvailable = 6;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    return parseGroups(text, bytes, 0, groupsAvailable) === groupsAvailable ? bytes : undefined;
  }
  const head = new Uint8Array(16);
  const headCount = parseGroups(halves[0]!, head, 0, groupsAvailable - 1);
  if (headCount < 0) return undefined;
  const rest = new Uint8Array(16);
  const restCount = parseGroups(halves[1]!, rest, 0, groupsAvailable - 1 - headCount);
  if (restCount < 0) return undefined;
  bytes.set(head.subarray(0, headCount * 2), 0);
  bytes.set(rest.subarray(0, restCount * 2), (groupsAvailable - restCount) * 2);
  return bytes;
}

const WITH_PORT = /^(?:\[([^\]]{1,64})\](?::\d{1,5})?|(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5})$/;

/**
 * The address part of an address as proxies write it in `X-Forwarded-For`: a plain address,
 * or one with a port (`203.0.113.5:1234`, `[2001:db8::1]:443`, as Azure App Service and others
 * write them), trimmed and without the port or brackets; otherwise the text itself, trimmed.
 */
export function hostOf(input: string): string {
  const text = input.trim();
  const port = WITH_PORT.exec(text);
  return port === null ? text : (port[1] ?? port[2]!);
}

/** Parses an address with or without a port (see {@link hostOf}); `undefined` when it is none. */
export function parseHostAddress(input: string): Uint8Array | undefined {
  return parseIp(hostOf(input));
}

/** The prefix length of a contiguous IPv4 netmask such as `255.255.240.0`, or -1. */
function netmaskPrefix(text: string): number {
  const mask = new Uint8Array(16);
  if (!parseIpv4(text, mask, 12)) return -1;
  const value = ((mask[12]! << 24) | (mask[13]! << 16) | (mask[14]! << 8) | mask[15]!) >>> 0;
  const inverted = ~value >>> 0;
  // A contiguous mask is ones then zeros: its inverse plus one is a power of two.
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return 32 - Math.log2(inverted + 1);
}

/**
 * Parses `address`, `address/prefix` or, for IPv4, `address/netmask`
 * (`10.0.0.0/255.0.0.0`); `undefined` when it is none of these.
 */
export function parseIpRange(input: string): IpRange | undefined {
  const slash = input.indexOf('/');
  const address = slash === -1 ? input : input.slice(0, slash);
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const isV4 = !address.includes(':');
  const max = isV4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const text = input.slice(slash + 1).trim();
    if (isV4 && text.includes('.')) {
      prefix = netmaskPrefix(text);
      if (prefix < 0) return undefined;
    } else {
      if (!/^\d{1,3}$/.test(text)) return undefined;
      prefix = Number(text);
      if (prefix > max) return undefined;
    }
  }
  return { bytes, prefix: isV4 ? prefix + 96 : prefix };
}

/** Whether the 16-byte address lies in `range`. */
export function ipInRange(address: Uint8Array, range: IpRange): boolean {
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Whether `address` (text, with or without a port) lies in any of `ranges`; unparsable
 * addresses never match.
 */
export function ipMatches(address: string | undefined, ranges: readonly IpRange[]): boolean {
  if (address === undefined) return false;
  const bytes = parseHostAddress(address);
  return bytes !== undefined && ranges.some((range) => ipInRange(bytes, range));
}

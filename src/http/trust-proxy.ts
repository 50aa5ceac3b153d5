import { excerpt, InvalidOptionsError } from '../errors.js';
import { callSafely } from '../safe-call.js';
import { hostOf, type IpRange, ipMatches, parseIpRange } from './ip.js';

/**
 * Which proxies' `X-Forwarded-For` entries are believed: the values Express's
 * `trust proxy` setting accepts, so that a setting can be carried over as it is.
 *
 * - `false`: none; the client is the socket's peer.
 * - `true`: all; the client is the left-most entry (only behind a chain you control end to
 *   end).
 * - a number: that many hops, counted from the socket's peer.
 * - addresses and CIDR ranges (`'10.0.0.0/8'`, `'10.0.0.0/255.0.0.0'`, `'fc00::/7'`), as a
 *   list or a comma-separated string, and the named sets `'loopback'` (`127.0.0.1/8`,
 *   `::1/128`), `'linklocal'` (`169.254.0.0/16`, `fe80::/10`) and `'uniquelocal'`
 *   (`10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`): the header is walked from
 *   the right past the trusted addresses.
 * - a function `(address, hop) => boolean`, called for each address from the socket's peer
 *   (hop 0) on; the first one it does not trust is the client. One that throws trusts nothing
 *   more.
 *
 * Strings as read from an environment variable work too: `'true'`, `'false'` and a whole
 * number (`'1'`) mean the boolean or the hop count.
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

/** The compiled setting: whether the address at `hop` (0 = the socket's peer) is a trusted proxy. */
export type TrustPredicate = (address: string | undefined, hop: number) => boolean;

const NAMED_SETS: Readonly<Record<string, readonly string[]>> = {
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  loopback: ['127.0.0.1/8', '::1/128'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const TRUST_NONE: TrustPredicate = () => false;
const TRUST_ALL: TrustPredicate = () => true;

function invalid(detail: string): InvalidOptionsError {
  return new InvalidOptionsError(
    `auth.trustProxy ${detail}: use a boolean, a hop count, addresses or CIDR ranges (a list or a comma-separated string), 'loopback', 'linklocal', 'uniquelocal' or a function`,
  );
}

function hops(count: number): TrustPredicate {
  if (!Number.isSafeInteger(count) || count < 0) throw invalid(`is ${count}`);
  return count === 0 ? TRUST_NONE : (_address, hop) => hop < count;
}

function ranges(entries: readonly unknown[]): TrustPredicate {
  const parsed: IpRange[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') throw invalid(`has an entry of type ${typeof entry}`);
    const name = entry.trim();
    for (const one of NAMED_SETS[name.toLowerCase()] ?? [name]) {
      const range = parseIpRange(one);
      if (range === undefined) throw invalid(`has ${excerpt(entry)}, not an address or range`);
      parsed.push(range);
    }
  }
  return parsed.length === 0 ? TRUST_NONE : (address) => ipMatches(address, parsed);
}

/** A user's function: only `true` trusts; a throw or anything else (a promise) does not. */
function guarded(trust: (address: string, hop: number) => unknown): TrustPredicate {
  return (address, hop) => address !== undefined && callSafely(trust, address, hop) === true;
}

/**
 * Compiles a {@link TrustProxy} setting, refusing with `InvalidOptionsError` anything it
 * cannot read (so a typo fails when the adapter is created, never on a request).
 *
 * @internal
 */
export function compileTrustProxy(value: unknown): TrustPredicate {
  if (value === undefined || value === false) return TRUST_NONE;
  if (value === true) return TRUST_ALL;
  if (typeof value === 'number') return hops(value);
  if (typeof value === 'function') {
    return guarded(value as (address: string, hop: number) => boolean);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^true$/i.test(text)) return TRUST_ALL;
    if (/^false$/i.test(text)) return TRUST_NONE;
    if (/^\d{1,9}$/.test(text)) return hops(Number(text));
    if (text === '') throw invalid('is an empty string');
    return ranges(text.split(','));
  }
  if (Array.isArray(value)) return ranges(value);
  throw invalid(`is of type ${value === null ? 'null' : typeof value}`);
}

/**
 * The client address: the socket's peer, or an entry of `X-Forwarded-For` as far as `trust`
 * allows (the first address, walking from the socket's peer towards the left of the header,
 * that is not a trusted proxy). An entry's port, if any, is dropped.
 *
 * @internal
 */
export function clientAddress(
  trust: TrustPredicate,
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
): string | undefined {
  if (trust === TRUST_NONE || !forwardedFor) return socketAddress;
  const forwarded = forwardedFor
    .split(',')
    .map(hostOf)
    .filter((part) => part !== '');
  // Nearest first: the socket's peer, then the proxies' entries from right to left.
  const chain = [socketAddress, ...forwarded.reverse()];
  let hop = 0;
  while (hop < chain.length - 1 && trust(chain[hop], hop)) hop++;
  return chain[hop];
}

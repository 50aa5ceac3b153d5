import { excerpt, ForbiddenError, InvalidOptionsError, UnauthorizedError } from '../errors.js';
import { type IpRange, ipMatches, parseIpRange } from './ip.js';
import { compileTrustProxy, type TrustPredicate, type TrustProxy } from './trust-proxy.js';

/** HTTP Basic credentials, as in `https://user:pass@host/path`. */
export interface BasicCredentials {
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
}

/**
 * How a receiver authenticates notifications. The provider signs nothing, so anyone who
 * learns the URL can forge one; every check configured here must pass (they combine with AND).
 */
export interface AuthOptions {
  /**
   * A secret token, or several during a rotation, expected in the query parameter
   * `tokenParam` or as the last segment of the URL path. Compared in constant time.
   *
   * Fails closed: a `token` key that is present but holds no token (`undefined`, as from an
   * unset environment variable, or an empty list) throws `InvalidOptionsError` instead of
   * turning the check off. In a list, `undefined` entries are skipped, so that
   * `[process.env.TOKEN, process.env.PREVIOUS_TOKEN]` works outside a rotation.
   *
   * @example
   * ```ts
   * // The provider is given https://example.com/webhooks/uanataca?token=7f3c…
   * auth: { token: process.env.WEBHOOK_TOKEN }
   * ```
   */
  token?: string | readonly (string | undefined)[] | undefined;
  /**
   * Name of the query parameter that carries the token.
   *
   * @default 'token'
   */
  tokenParam?: string | undefined;
  /**
   * HTTP Basic credentials, or several during a rotation; a URL such as
   * `https://user:pass@host/path` given to the provider arrives as Basic credentials.
   */
  basic?: BasicCredentials | readonly BasicCredentials[] | undefined;
  /**
   * The realm named in the `WWW-Authenticate` challenge.
   *
   * @default 'uanataca-webhooks'
   */
  realm?: string | undefined;
  /**
   * Client addresses allowed to deliver: IPv4 and IPv6 addresses and CIDR ranges
   * (`'203.0.113.0/24'`, `'2001:db8::/32'`), as a list or a comma-separated string (as read
   * from an environment variable). IPv4-mapped IPv6 addresses match IPv4 ranges. The client
   * address is the socket's peer unless `trustProxy` says otherwise.
   *
   * @example
   * ```ts
   * auth: { allowIps: ['203.0.113.0/24', '2001:db8::/32'] }
   * auth: { allowIps: process.env.WEBHOOK_ALLOW_IPS } // "203.0.113.0/24, 2001:db8::/32"
   * ```
   */
  allowIps?: string | readonly string[] | undefined;
  /**
   * Which proxies' `X-Forwarded-For` entries are believed when finding the client address:
   * what Express's `trust proxy` setting accepts (see {@link TrustProxy}). Entries with a
   * port (`203.0.113.5:1234`, `[2001:db8::1]:443`) are read. Anything else is refused when
   * the adapter is created.
   *
   * @default false (the socket's peer; `X-Forwarded-For` is ignored)
   * @example
   * ```ts
   * auth: { allowIps: ['203.0.113.0/24'], trustProxy: 1 }           // one reverse proxy
   * auth: { allowIps: ['203.0.113.0/24'], trustProxy: 'loopback' }  // a proxy on this host
   * auth: { allowIps: ['203.0.113.0/24'], trustProxy: process.env.TRUST_PROXY }
   * ```
   */
  trustProxy?: TrustProxy | undefined;
}

/** Checked and parsed {@link AuthOptions}. */
export interface ResolvedAuth {
  /** Whether nothing is checked though `auth` was not `false`: anyone may deliver. */
  readonly open: boolean;
  readonly tokens: readonly Uint8Array[];
  /**
   * Every form in which a configured secret can appear in a header (tokens raw and
   * percent-encoded, Basic passwords and credentials in base64), longest first: they are
   * redacted from the headers handed on.
   */
  readonly secrets: readonly string[];
  readonly tokenParam: string;
  readonly basic: readonly { username: Uint8Array; password: Uint8Array }[];
  readonly challenge: string | undefined;
  readonly allowIps: readonly IpRange[] | undefined;
  readonly trustProxy: TrustPredicate;
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: false });

function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function parseAllowIps(value: unknown): IpRange[] {
  const entries = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(entries)) {
    throw new InvalidOptionsError(
      'auth.allowIps must be a list of IP addresses and CIDR ranges, or a comma-separated string of them',
    );
  }
  return entries.map((entry: unknown) => {
    const range = typeof entry === 'string' ? parseIpRange(entry.trim()) : undefined;
    if (!range) {
      throw new InvalidOptionsError(
        `auth.allowIps has ${typeof entry === 'string' ? excerpt(entry) : `an entry of type ${typeof entry}`}, not an IP address or CIDR range`,
      );
    }
    return range;
  });
}

/**
 * How a secret may be written in a URL or a header: as it is, percent-encoded as
 * `encodeURIComponent` writes it, as `URLSearchParams` and HTML forms write it (a space as `+`,
 * and `!'()~` encoded too), and with every character but letters, digits, `-`, `.` and `_`
 * encoded. Letter case is ignored when redacting, so `%2f` and `%2F` are both caught.
 */
function writtenForms(secret: string): string[] {
  const component = encodeURIComponent(secret);
  const strict = component.replace(
    /[!'()*~]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return [
    secret,
    component,
    component.replace(/%20/g, '+'),
    new URLSearchParams({ s: secret }).toString().slice(2),
    strict,
    strict.replace(/%20/g, '+'),
  ];
}

/** The forms of the configured secrets that {@link ResolvedAuth.secrets} lists. */
function secretForms(tokens: readonly string[], basic: readonly BasicCredentials[]): string[] {
  const forms = new Set<string>();
  for (const token of tokens) for (const form of writtenForms(token)) forms.add(form);
  for (const { username, password } of basic) {
    if (password !== '') for (const form of writtenForms(password)) forms.add(form);
    const pair = encoder.encode(`${username}:${password}`);
    forms.add(btoa(String.fromCharCode(...pair)));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * Validates auth options once, when a handler is created.
 *
 * @internal
 */
export function resolveAuth(options: AuthOptions | false | undefined): ResolvedAuth {
  if (options === false) return { ...resolveAuth({}), open: false };
  if (options === undefined) return resolveAuth({});
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError('auth must be an object (or false for no authentication)');
  }
  const given = list(options.token).filter((token) => token !== undefined);
  if (Object.hasOwn(options, 'token') && given.length === 0) {
    throw new InvalidOptionsError(
      'auth.token is set but holds no token (an unset environment variable?): refusing to accept unauthenticated notifications',
    );
  }
  if (Object.hasOwn(options, 'basic') && list(options.basic).length === 0) {
    throw new InvalidOptionsError('auth.basic is set but holds no credentials');
  }
  const tokens = given.map((token) => {
    if (typeof token !== 'string' || token.length === 0) {
      throw new InvalidOptionsError('auth.token must be a non-empty string or a list of them');
    }
    return encoder.encode(token);
  });
  const basic = list(options.basic).map((credentials) => {
    if (typeof credentials?.username !== 'string' || typeof credentials.password !== 'string') {
      throw new InvalidOptionsError('auth.basic needs a username and a password string');
    }
    if (credentials.username.includes(':')) {
      throw new InvalidOptionsError('auth.basic username cannot contain ":"');
    }
    return {
      username: encoder.encode(credentials.username),
      password: encoder.encode(credentials.password),
    };
  });
  const realm = options.realm ?? 'uanataca-webhooks';
  const tokenParam = options.tokenParam ?? 'token';
  // A control character in a header value makes the runtime refuse the whole answer.
  if (typeof realm !== 'string' || /[^\t\x20-\x7e\x80-\xff]/.test(realm)) {
    throw new InvalidOptionsError('auth.realm must be a string of printable characters');
  }
  if (typeof tokenParam !== 'string' || tokenParam === '') {
    throw new InvalidOptionsError('auth.tokenParam must be a non-empty string');
  }
  const allowIps = options.allowIps === undefined ? undefined : parseAllowIps(options.allowIps);
  return {
    open: tokens.length === 0 && basic.length === 0 && allowIps === undefined,
    tokens,
    secrets: secretForms(given as string[], list(options.basic)),
    tokenParam,
    basic,
    challenge:
      basic.length > 0
        ? `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`
        : undefined,
    allowIps,
    trustProxy: compileTrustProxy(options.trustProxy),
  };
}

/**
 * Compares two byte strings in time that depends only on the length of the expected one, so
 * that the time taken does not reveal how much of a guess was right.
 */
function safeEqual(actual: Uint8Array, expected: Uint8Array): boolean {
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (actual[i] ?? 0) ^ expected[i]!;
  return diff === 0;
}

/** Whether any of `candidates` equals any of `secrets`, checking every pair. */
function matchesAny(candidates: readonly Uint8Array[], secrets: readonly Uint8Array[]): boolean {
  let ok = false;
  for (const candidate of candidates) {
    for (const secret of secrets) ok = safeEqual(candidate, secret) || ok;
  }
  return ok;
}

/** Decodes a `Basic` Authorization header; `undefined` when absent or malformed. */
function readBasic(header: string | undefined): [Uint8Array, Uint8Array] | undefined {
  const match = header ? /^\s*basic\s+([A-Za-z0-9+/=_-]{1,4096})\s*$/i.exec(header) : null;
  if (!match) return undefined;
  let binary: string;
  try {
    binary = atob(match[1]!.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const text = utf8.decode(bytes);
  const colon = text.indexOf(':');
  if (colon === -1) return undefined;
  return [encoder.encode(text.slice(0, colon)), encoder.encode(text.slice(colon + 1))];
}

/** The request facts authentication looks at. */
export interface AuthRequest {
  /** The request target: path and query, as received. */
  readonly url: string;
  /** The `Authorization` header. */
  readonly authorization: string | undefined;
  /** The client address after `trustProxy` was applied. */
  readonly clientIp: string | undefined;
}

function tokenCandidates(url: string, param: string): Uint8Array[] {
  const candidates: Uint8Array[] = [];
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  if (question !== -1) {
    try {
      for (const value of new URLSearchParams(url.slice(question + 1)).getAll(param)) {
        candidates.push(encoder.encode(value));
      }
    } catch {
      // An undecodable query carries no token.
    }
  }
  const segment = path.slice(path.lastIndexOf('/') + 1);
  if (segment !== '') {
    try {
      candidates.push(encoder.encode(decodeURIComponent(segment)));
    } catch {
      // An undecodable segment is not a token.
    }
  }
  return candidates;
}

/**
 * Throws {@link ForbiddenError} or {@link UnauthorizedError} unless the request passes every
 * configured check.
 *
 * @internal
 */
export function authenticate(auth: ResolvedAuth, request: AuthRequest): void {
  if (auth.allowIps && !ipMatches(request.clientIp, auth.allowIps)) {
    throw new ForbiddenError();
  }
  if (auth.tokens.length > 0) {
    const candidates = tokenCandidates(request.url, auth.tokenParam);
    if (!matchesAny(candidates, auth.tokens))
      throw new UnauthorizedError('Missing or invalid token');
  }
  if (auth.basic.length > 0) {
    const given = readBasic(request.authorization);
    let ok = false;
    for (const { username, password } of auth.basic) {
      const user = safeEqual(given?.[0] ?? new Uint8Array(), username);
      const pass = safeEqual(given?.[1] ?? new Uint8Array(), password);
      ok = (user && pass && given !== undefined) || ok;
    }
    if (!ok) throw new UnauthorizedError('Missing or invalid credentials');
  }
}

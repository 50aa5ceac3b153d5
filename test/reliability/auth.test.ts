import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import type { AdapterOptions } from '../../src/http/handle.js';
import { createWebhooks, type HandlerContext } from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  type Answer,
  expectContractAnswer,
  fromResponse,
  post,
  startServer,
  type TestServer,
} from './support.js';

/**
 * Forged and almost-right credentials, rotations, allow-list edges and spoofed
 * X-Forwarded-For, over a real node:http server and through the Fetch handler.
 */

const TOKEN = 'tok-S3cr3t_2025.x';
const encoder = new TextEncoder();

/** A different notification each time, so that deduplication never hides a handler run. */
let serial = 0;
function notification(): string {
  serial += 1;
  return JSON.stringify(createTestPayload({ status: 'VIDEOREVIEW', requestId: 900_000 + serial }));
}

interface Sent {
  path?: string;
  headers?: Record<string, string | string[]>;
  /** The loopback address the request comes from. */
  from?: 4 | 6;
}

/** One adapter on one transport, with the handler contexts it produced. */
interface Target {
  readonly name: string;
  use(options: AdapterOptions): HandlerContext[];
  send(request: Sent): Promise<Answer>;
}

function router(): { webhooks: ReturnType<typeof createWebhooks>; contexts: HandlerContext[] } {
  const contexts: HandlerContext[] = [];
  const webhooks = createWebhooks();
  webhooks.on('*', (_event, context) => void contexts.push(context));
  return { webhooks, contexts };
}

function nodeTarget(servers: () => Record<4 | 6, TestServer>): Target {
  return {
    name: 'node:http createNodeMiddleware',
    use(options) {
      const { webhooks, contexts } = router();
      const middleware = createNodeMiddleware(webhooks, { ...options, path: '/hook' });
      for (const server of Object.values(servers())) server.use(middleware);
      return contexts;
    },
    send({ path = '/hook', headers = {}, from = 4 }) {
      return post(servers()[from], encoder.encode(notification()), { path, headers });
    },
  };
}

function fetchTarget(): Target {
  let handler: (request: Request, env: { address: string }) => Promise<Response>;
  return {
    name: 'createFetchHandler with plain Request objects',
    use(options) {
      const { webhooks, contexts } = router();
      handler = createFetchHandler(webhooks, {
        ...options,
        getClientIp: (_request, env) => (env as { address: string }).address,
      });
      return contexts;
    },
    async send({ path = '/hook', headers = {}, from = 4 }) {
      const list = new Headers({ 'content-type': 'application/json' });
      for (const [name, value] of Object.entries(headers)) {
        for (const one of Array.isArray(value) ? value : [value]) list.append(name, one);
      }
      const host = from === 6 ? '[::1]' : '127.0.0.1';
      const request = new Request(`http://${host}${path}`, {
        method: 'POST',
        headers: list,
        body: notification(),
      });
      return fromResponse(await handler(request, { address: from === 6 ? '::1' : '127.0.0.1' }));
    },
  };
}

const basic = (user: string, password: string, encoding: BufferEncoding = 'utf8'): string =>
  `Basic ${Buffer.from(`${user}:${password}`, encoding).toString('base64')}`;

/** The secret with one character changed, at every position. */
const oneOff = (secret: string): string[] =>
  [...secret].map(
    (char, i) =>
      secret.slice(0, i) + String.fromCharCode(char.charCodeAt(0) ^ 1) + secret.slice(i + 1),
  );

/** Near misses: one character off anywhere, prefixes, suffixes, other cases, padding. */
function almostRight(secret: string): string[] {
  const swapCase = [...secret]
    .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
    .join('');
  return [
    ...oneOff(secret),
    secret.slice(0, -1),
    secret.slice(1),
    secret.slice(0, 1),
    `${secret}x`,
    `x${secret}`,
    `${secret} `,
    ` ${secret}`,
    `${secret}\u0000`,
    `${secret}${secret}`,
    secret.toUpperCase(),
    secret.toLowerCase(),
    swapCase,
    // A look-alike: the first letter in its full-width form.
    secret.replace(/[A-Za-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    '',
  ].filter((guess) => guess !== secret);
}

const servers = {} as Record<4 | 6, TestServer>;
beforeAll(async () => {
  servers[4] = await startServer(async () => false, '127.0.0.1');
  servers[6] = await startServer(async () => false, '::1');
});
afterAll(() => Promise.all(Object.values(servers).map((server) => server.close())));

for (const target of [nodeTarget(() => servers), fetchTarget()]) {
  describe(target.name, () => {
    const refused = async (
      request: Sent,
      status: 401 | 403,
      contexts: HandlerContext[],
      basicAuth = false,
    ): Promise<void> => {
      const before = contexts.length;
      const answer = await target.send(request);
      expectContractAnswer(answer, { basic: basicAuth });
      expect(answer.status, JSON.stringify(request)).toBe(status);
      expect(contexts).toHaveLength(before);
    };
    const accepted = async (request: Sent, contexts: HandlerContext[]): Promise<HandlerContext> => {
      const answer = await target.send(request);
      expect(answer.text, JSON.stringify(request)).toBe('{"ok":true}');
      return contexts.at(-1)!;
    };

    describe('tokens', () => {
      it('refuses a missing, wrong or almost-right token, in the query and in the path', async () => {
        const contexts = target.use({ auth: { token: TOKEN } });
        await refused({}, 401, contexts);
        await refused({ path: '/hook?token' }, 401, contexts);
        await refused({ path: `/hook?tokens=${TOKEN}` }, 401, contexts);
        await refused({ path: `/hook?Token=${TOKEN}` }, 401, contexts);
        await refused({ path: `/hook?x=1#token=${TOKEN}` }, 401, contexts);
        for (const guess of almostRight(TOKEN)) {
          await refused({ path: `/hook?token=${encodeURIComponent(guess)}` }, 401, contexts);
          if (guess !== '') {
            await refused({ path: `/hook/${encodeURIComponent(guess)}` }, 401, contexts);
          }
        }
        // The token is read as decoded text: %-encoding every byte is the same token.
        const encoded = [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
        await accepted({ path: `/hook?token=${encoded}` }, contexts);
        await accepted({ path: `/hook/${encoded}` }, contexts);
        await accepted({ path: `/hook?token=${TOKEN}` }, contexts);
        await accepted({ path: `/hook/${TOKEN}` }, contexts);
        await accepted({ path: `/hook/${TOKEN}?token=wrong` }, contexts);
        expect(contexts).toHaveLength(5);
      });

      it('accepts the old and the new token during a rotation, and refuses the old one after it', async () => {
        const where = (token: string): Sent[] => [
          { path: `/hook?token=${token}` },
          { path: `/hook/${token}` },
        ];
        const [OLD, NEW] = ['tok-old-0001', 'tok-new-0002'];
        let contexts = target.use({ auth: { token: OLD } });
        for (const sent of where(OLD)) await accepted(sent, contexts);
        for (const sent of where(NEW)) await refused(sent, 401, contexts);
        contexts = target.use({ auth: { token: [OLD, NEW] } });
        for (const sent of [...where(OLD), ...where(NEW)]) await accepted(sent, contexts);
        for (const guess of [...almostRight(OLD), ...almostRight(NEW)].filter(Boolean)) {
          await refused({ path: `/hook?token=${encodeURIComponent(guess)}` }, 401, contexts);
        }
        contexts = target.use({ auth: { token: [NEW] } });
        for (const sent of where(OLD)) await refused(sent, 401, contexts);
        for (const sent of where(NEW)) await accepted(sent, contexts);
      });
    });

    describe('Basic credentials', () => {
      const USER = 'uanataca-ra';
      const PASSWORD = 'p4ss:wörd-Ünïcode';

      it('refuses missing, wrong and almost-right credentials, with a challenge', async () => {
        const contexts = target.use({ auth: { basic: { username: USER, password: PASSWORD } } });
        const forged = [
          undefined,
          '',
          'Basic',
          'Basic ',
          `Bearer ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
          `Digest ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
          basic(USER, ''),
          basic('', PASSWORD),
          basic(PASSWORD, USER),
          basic(USER.toUpperCase(), PASSWORD),
          `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}`,
          basic(USER, `${PASSWORD}:`),
          basic(`${USER}:`, PASSWORD),
          // The challenge announces UTF-8: Latin-1 bytes are another password.
          basic(USER, PASSWORD, 'latin1'),
          `${basic(USER, PASSWORD)}!`,
          `Basic ${'A'.repeat(5_000)}`,
          ...almostRight(PASSWORD).map((guess) => basic(USER, guess)),
          ...almostRight(USER).map((guess) => basic(guess, PASSWORD)),
        ];
        for (const authorization of forged) {
          const headers: Record<string, string> = authorization ? { authorization } : {};
          await refused({ headers }, 401, contexts, true);
        }
        await accepted({ headers: { authorization: basic(USER, PASSWORD) } }, contexts);
        // The scheme name is case-insensitive, and surrounding blanks are tolerated.
        const token = basic(USER, PASSWORD).slice('Basic '.length);
        await accepted({ headers: { authorization: `basic ${token}` } }, contexts);
        await accepted({ headers: { authorization: `BASIC   ${token} ` } }, contexts);
        expect(contexts).toHaveLength(3);
        // Credentials never reach the handlers.
        for (const context of contexts) expect(context.headers).not.toHaveProperty('authorization');
      });

      it('accepts old and new credentials during a rotation, never a mix, and the old ones not after', async () => {
        const OLD = { username: USER, password: 'old-pass' };
        const NEW = { username: USER, password: 'new-pass' };
        const send = (credentials: { username: string; password: string }): Sent => ({
          headers: { authorization: basic(credentials.username, credentials.password) },
        });
        let contexts = target.use({ auth: { basic: OLD } });
        await accepted(send(OLD), contexts);
        await refused(send(NEW), 401, contexts, true);
        contexts = target.use({
          auth: { basic: [OLD, { username: 'other-ra', password: NEW.password }] },
        });
        await accepted(send(OLD), contexts);
        await accepted(send({ username: 'other-ra', password: NEW.password }), contexts);
        await refused(send({ username: 'other-ra', password: OLD.password }), 401, contexts, true);
        await refused(send(NEW), 401, contexts, true);
        contexts = target.use({ auth: { basic: [NEW] } });
        await refused(send(OLD), 401, contexts, true);
        await accepted(send(NEW), contexts);
      });
    });

    describe('allow-lists at the edges of their ranges', () => {
      /** [range, address, allowed]: first and last address in, the neighbours out. */
      const EDGES: [string, string, boolean][] = [
        ['198.51.100.0/24', '198.51.100.0', true],
        ['198.51.100.0/24', '198.51.100.255', true],
        ['198.51.100.0/24', '198.51.99.255', false],
        ['198.51.100.0/24', '198.51.101.0', false],
        ['10.0.0.64/26', '10.0.0.64', true],
        ['10.0.0.64/26', '10.0.0.127', true],
        ['10.0.0.64/26', '10.0.0.63', false],
        ['10.0.0.64/26', '10.0.0.128', false],
        ['192.0.2.1', '192.0.2.1', true],
        ['192.0.2.1', '192.0.2.0', false],
        ['192.0.2.1', '192.0.2.2', false],
        ['0.0.0.0/0', '255.255.255.255', true],
        ['0.0.0.0/0', '2001:db8::1', false],
        ['2001:db8:0:1::/64', '2001:db8:0:1::', true],
        ['2001:db8:0:1::/64', '2001:db8:0:1:ffff:ffff:ffff:ffff', true],
        ['2001:db8:0:1::/64', '2001:db8:0:2::', false],
        ['2001:db8:0:1::/64', '2001:db8:0:0:ffff:ffff:ffff:ffff', false],
        ['2001:db8::/29', '2001:db8::', true],
        ['2001:db8::/29', '2001:dbf:ffff:ffff:ffff:ffff:ffff:ffff', true],
        ['2001:db8::/29', '2001:dc0::', false],
        ['2001:db8::/29', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
        ['2001:DB8::/32', '2001:db8:ffff::1', true],
        // IPv4-mapped IPv6 addresses against IPv4 ranges, and the reverse.
        ['198.51.100.0/24', '::ffff:198.51.100.0', true],
        ['198.51.100.0/24', '::ffff:198.51.100.255', true],
        ['198.51.100.0/24', '::FFFF:c633:64ff', true],
        ['198.51.100.0/24', '::ffff:198.51.101.0', false],
        ['198.51.100.0/24', '::ffff:198.51.99.255', false],
        ['::ffff:198.51.100.0/120', '198.51.100.255', true],
        ['::ffff:198.51.100.0/120', '198.51.101.0', false],
        ['::ffff:0:0/96', '203.0.113.9', true],
        ['::ffff:0:0/96', '::fffe:cb00:7109', false],
        ['198.51.100.0/24', '::198.51.100.1', false],
        // Spellings that are not addresses never match.
        ['198.51.100.0/24', '198.51.100.010', false],
        ['198.51.100.0/24', '198.51.100.0/24', false],
        ['198.51.100.0/24', '198.51.100.1:443x', false],
        ['198.51.100.0/24', '198.51.100.1:123456', false],
      ];

      it('lets in the first and last address of each range, and refuses the neighbours', async () => {
        for (const [range, address, allowed] of EDGES) {
          // One trusted proxy (the loopback peer) reports the address it saw.
          const contexts = target.use({ auth: { allowIps: [range], trustProxy: 1 } });
          const request: Sent = { headers: { 'x-forwarded-for': address } };
          if (allowed) expect((await accepted(request, contexts)).clientIp).toBe(address);
          else await refused(request, 403, contexts);
        }
      });

      it('checks the real peer address at the edges, over IPv4, IPv6 and IPv4-mapped', async () => {
        const cases: [string, 4 | 6, boolean][] = [
          ['127.0.0.1/32', 4, true],
          ['127.0.0.0/31', 4, true],
          ['127.0.0.2/31', 4, false],
          ['126.255.255.255', 4, false],
          ['::ffff:127.0.0.1', 4, true],
          ['::ffff:127.0.0.0/127', 4, true],
          ['::ffff:127.0.0.2/127', 4, false],
          ['::1/128', 6, true],
          ['::/127', 6, true],
          ['::2/127', 6, false],
          ['::', 6, false],
          ['127.0.0.1', 6, false],
          ['::1', 4, false],
        ];
        for (const [range, from, allowed] of cases) {
          const contexts = target.use({ auth: { allowIps: [range] } });
          if (allowed) {
            const context = await accepted({ from }, contexts);
            expect(context.clientIp).toBe(from === 6 ? '::1' : '127.0.0.1');
          } else {
            await refused({ from }, 403, contexts);
          }
        }
      });
    });

    describe('spoofed X-Forwarded-For', () => {
      const ALLOWED = '198.51.100.7';
      const spoofs: Record<string, string | string[]>[] = [
        { 'x-forwarded-for': ALLOWED },
        { 'x-forwarded-for': `${ALLOWED}, ${ALLOWED}` },
        { 'x-forwarded-for': ` ${ALLOWED} ` },
        { 'x-forwarded-for': `::ffff:${ALLOWED}` },
        { 'x-forwarded-for': [ALLOWED, ALLOWED] },
        { 'X-Forwarded-For': ALLOWED },
        { forwarded: `for=${ALLOWED}` },
        { 'x-real-ip': ALLOWED },
        { 'cf-connecting-ip': ALLOWED },
      ];

      it('ignores the header entirely when proxies are not trusted', async () => {
        for (const trustProxy of [undefined, false] as const) {
          const contexts = target.use({ auth: { allowIps: [ALLOWED], trustProxy } });
          for (const headers of spoofs) await refused({ headers }, 403, contexts);
          // Allowed by the real address, the spoofed one changes nothing the handler sees.
          const real = target.use({ auth: { allowIps: ['127.0.0.1', '::1'], trustProxy } });
          for (const headers of spoofs) {
            expect((await accepted({ headers }, real)).clientIp).toBe('127.0.0.1');
          }
        }
      });

      it('takes the address the trusted hops saw: spoofed entries on the left do not help', async () => {
        const CLIENT = '203.0.113.50';
        const garbage = ['unknown', '', 'a'.repeat(1_000), '999.1.1.1', '::zz', ALLOWED];
        const lefts = [
          [ALLOWED],
          Array<string>(50).fill(ALLOWED),
          garbage,
          [`${ALLOWED}, ${ALLOWED}`, ALLOWED],
        ];
        // One proxy (the loopback peer) appended the client it saw; the spoofer wrote the rest.
        const one = target.use({ auth: { allowIps: [ALLOWED], trustProxy: 1 } });
        for (const left of lefts) {
          await refused({ headers: { 'x-forwarded-for': [...left, CLIENT].join(', ') } }, 403, one);
          // Two header lines, the spoofer's first, are read as one list.
          await refused({ headers: { 'x-forwarded-for': [left.join(', '), CLIENT] } }, 403, one);
        }
        // Two proxies: the first appended the client, the second (the peer) the first proxy.
        const two = target.use({ auth: { allowIps: [ALLOWED], trustProxy: 2 } });
        for (const left of lefts) {
          const chain = [...left, CLIENT, '10.0.0.2'].join(', ');
          await refused({ headers: { 'x-forwarded-for': chain } }, 403, two);
        }
        // A client that is allowed gets in, and the handler sees it, whatever was spoofed.
        const allowed = target.use({ auth: { allowIps: [CLIENT], trustProxy: 1 } });
        for (const left of lefts) {
          const context = await accepted(
            { headers: { 'x-forwarded-for': [...left, CLIENT].join(', ') } },
            allowed,
          );
          expect(context.clientIp).toBe(CLIENT);
        }
        // Proxies named by address: the walk stops at the first untrusted one.
        const named = target.use({
          auth: { allowIps: [ALLOWED], trustProxy: ['127.0.0.1', '::1', '10.0.0.0/8'] },
        });
        for (const left of lefts) {
          const chain = [...left, CLIENT, '10.0.0.2', '10.0.0.3'].join(', ');
          await refused({ headers: { 'x-forwarded-for': chain } }, 403, named);
        }
      });
    });
  });
}

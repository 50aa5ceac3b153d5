import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Listener {
  child: ChildProcess;
  url: string;
  output: () => string;
  stopped: Promise<number | null>;
}

function startListener(args: string[]): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'listen', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const stopped = new Promise<number | null>((done) => child.once('exit', done));
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+?)[?,]/.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output, stopped });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`listen exited early (${code}): ${output}`)));
  });
}

/** How many arrays are nested in `value`, each holding the next; read without recursion. */
function nestedArrays(value: unknown): number {
  let depth = 0;
  let current = value;
  while (Array.isArray(current)) {
    depth += 1;
    if (current.length === 0) break;
    expect(current).toHaveLength(1);
    current = current[0];
  }
  return depth;
}

let dir: string;
const listeners: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');
  dir = mkdtempSync(join(tmpdir(), 'uanataca-webhooks-cli-'));
});

afterEach(() => {
  for (const child of listeners.splice(0)) child.kill('SIGKILL');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('uanataca-webhooks (command line)', () => {
  it.each([
    [['--help'], 'Usage: uanataca-webhooks <command>'],
    [['listen', '--help'], 'Usage: uanataca-webhooks listen'],
    [['send', '-h'], 'Usage: uanataca-webhooks send <url>'],
  ])('prints help for %j', async (args, text) => {
    const result = await run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(text);
    expect(result.stderr).toBe('');
  });

  it('prints help and fails without a command', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Commands:');
  });

  it.each([
    [['nonsense'], 'unknown command "nonsense"'],
    [['listen', '--port', 'abc'], '--port must be a whole number'],
    [['listen', '--port', '70000'], '--port must be a whole number'],
    [['listen', '--path', 'hooks'], '--path must start with "/"'],
    [['listen', '--time-zone', 'Mars/Base'], 'not an IANA time zone'],
    [['listen', '--bogus'], 'uanataca-webhooks: unknown option --bogus (see --help)'],
    [['listen', '--port'], 'uanataca-webhooks: option --port needs a value (see --help)'],
    [['listen', 'extra'], 'uanataca-webhooks: unexpected argument "extra" (see --help)'],
    [['send'], 'send needs a <url>'],
    [['send', 'not a url'], 'is not a URL'],
    [['send', 'ftp://host/x'], 'must start with http:// or https://'],
    [['send', 'http://127.0.0.1:1/', '--flow', 'nope'], 'unknown flow "nope"'],
    [['send', 'http://127.0.0.1:1/', '--flow', 'classic', '--status', 'ISSUED'], 'either --flow'],
    [['send', 'http://127.0.0.1:1/', '--concurrency', '0'], '--concurrency must be'],
    [['send', 'http://127.0.0.1:1/', '--basic', 'nocolon'], '--basic must look like user:password'],
    [
      ['send', 'http://a%zz:b@127.0.0.1:1/'],
      'the user name or password in the URL is not valid percent-encoding',
    ],
    [
      ['send', 'http://127.0.0.1:1/', '--request-id', '-1'],
      '--request-id must be a whole number from 0 to 9007199254740991, got "-1"',
    ],
    [['send', 'http://127.0.0.1:1/', '--seed', '-7'], '--seed must be a whole number from 0'],
    [['listen', '--port', '-1'], '--port must be a whole number from 0 to 65535, got "-1"'],
    [['listen', '--port', '--quiet'], 'uanataca-webhooks: option --port needs a value'],
  ])('rejects %j with one clear line and exit code 2', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\s+at /);
  });

  it('refuses a port in use with a clear line', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const result = await run(['listen', '--port', String(port)]);
    server.close();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`port ${port} is already in use`);
  });

  it('receives a shuffled flow with duplicates, writes each event once, and stops cleanly', async () => {
    const out = join(dir, 'flow.jsonl');
    const listener = await startListener([
      '--out',
      out,
      '--path',
      '/hooks',
      '--token',
      's3cret',
      '--time-zone',
      'Europe/Madrid',
    ]);
    listeners.push(listener.child);
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks$/);
    const sent = await run([
      'send',
      listener.url,
      '--token',
      's3cret',
      '--flow',
      'videoid',
      '--shuffle',
      '--seed',
      '7',
      '--duplicates',
      '--concurrency',
      '4',
      '--time-zone',
      'Europe/Madrid',
    ]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('shuffled with --seed 7');
    expect(sent.stdout).toContain('all 10 deliveries acknowledged');
    expect(sent.stdout).not.toContain('s3cret');
    listener.child.kill('SIGTERM');
    expect(await listener.stopped).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const events = lines.map((line) => JSON.parse(line));
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(5);
    expect(events.map((e) => e.status).sort()).toEqual(
      ['ENROLLREADY', 'ISSUED', 'VIDEOINCOMPLETE', 'VIDEOPENDING', 'VIDEOREVIEW'].sort(),
    );
    // Absent values are kept as null so that every line has every field.
    expect(events.find((e) => e.status === 'ISSUED')).toMatchObject({ requestId: null });
    expect(listener.output()).toMatch(/#28634\s+VIDEOID_UPDATED\s+VIDEOREVIEW\s+(apply|stale)/);
    expect(listener.output()).toContain('duplicate');
    expect(listener.output()).toContain('stopped');
  });

  it('answers 401 without the token and 404 on other paths; send exits 1', async () => {
    const listener = await startListener([
      '--out',
      join(dir, 'auth.jsonl'),
      '--token',
      'x',
      '--path',
      '/in',
    ]);
    listeners.push(listener.child);
    const unauthorized = await run(['send', listener.url, '--status', 'VIDEOREVIEW']);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stdout).toContain('-> 401');
    expect(unauthorized.stderr).toContain('1 of 1 delivery not acknowledged');
    const elsewhere = await run([
      'send',
      `${listener.url}/../other?token=x`,
      '--status',
      'CREATED',
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toContain('-> 404');
    expect(existsSync(join(dir, 'auth.jsonl'))).toBe(false);
  });

  it('sends legacy bodies, Basic credentials from the URL, and single notifications', async () => {
    const received: { headers: IncomingHttpHeaders; body: string; url: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body, url: req.url ?? '' });
        res.writeHead(200).end('{"ok":true}');
      });
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await run([
        'send',
        `http://ana:p%40ss@127.0.0.1:${port}/hook`,
        '--legacy',
        '--status',
        'videoincomplete',
        '--request-id',
        '46760',
        '--token',
        'tok',
      ]);
      expect(result.code).toBe(0);
      expect(received).toHaveLength(1);
      expect(received[0]?.url).toBe('/hook?token=tok');
      expect(received[0]?.headers.authorization).toBe(`Basic ${btoa('ana:p@ss')}`);
      expect(JSON.parse(received[0]!.body)).toMatchObject({
        status: 'VIDEOINCOMPLETE',
        request: 46760,
      });
    } finally {
      server.close();
    }
  });

  it('never prints a token written in the URL either', async () => {
    const result = await run([
      'send',
      'http://127.0.0.1:9/hook?token=s3cret-in-url',
      '--retries',
      '0',
    ]);
    expect(result.stdout).toContain('http://127.0.0.1:9/hook?token=<token>');
    expect(result.stdout + result.stderr).not.toContain('s3cret-in-url');
  });

  it('never prints a token written as the last path segment, nor a secret-looking parameter', async () => {
    const received: string[] = [];
    const server: Server = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume().on('end', () => res.writeHead(200).end('{"ok":true}'));
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    try {
      for (const [url, shown] of [
        [`${base}/hook/s3cret-in-path`, `${base}/hook/<token>`],
        [`${base}/s3cret-in-path`, `${base}/<token>`],
        [`${base}/hook/?api_key=s3cret-in-path&a=1`, `${base}/hook/?api_key=<api_key>&a=1`],
        [`${base}/hook/s3cret-in-path?token=s3cret-in-path`, `${base}/hook/<token>?token=<token>`],
      ]) {
        const result = await run(['send', url!, '--status', 'CREATED']);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`sending 1 notification to ${shown}\n`);
        expect(result.stdout + result.stderr).not.toContain('s3cret');
      }
      // What is hidden is only hidden: the receiver is posted the URL as written.
      expect(received).toEqual([
        '/hook/s3cret-in-path',
        '/s3cret-in-path',
        '/hook/?api_key=s3cret-in-path&a=1',
        '/hook/s3cret-in-path?token=s3cret-in-path',
      ]);
    } finally {
      server.close();
    }
  });

  it('labels the later copy "(again)" whatever the shuffle, counts progress and says 1 delivery', async () => {
    const listener = await startListener(['--out', join(dir, 'again.jsonl')]);
    try {
      for (const seed of ['1', '2', '3', '4']) {
        const sent = await run([
          'send',
          `${listener.url}`,
          '--flow',
          'classic',
          '--shuffle',
          '--duplicates',
          '--seed',
          seed,
        ]);
        const lines = sent.stdout.split('\n').filter((line) => / -> /.test(line));
        expect(lines).toHaveLength(6);
        for (const [index, line] of lines.entries()) {
          expect(line.startsWith(`${index + 1}/6 `)).toBe(true);
          const name = /#\d+ \S+ \S+/.exec(line)![0];
          const first = lines.findIndex((other) => other.includes(name));
          expect(line.includes('(again)')).toBe(index !== first);
        }
      }
      const single = await run(['send', `${listener.url}`, '--status', 'VIDEOREVIEW']);
      expect(single.stdout).toContain('the delivery was acknowledged');
      expect(single.stdout).not.toContain('\x1b[');
    } finally {
      listener.child.kill('SIGINT');
      await listener.stopped;
    }
  });

  it('never prints the token, even one the URL has to encode', async () => {
    const token = 'p@ss w/rd+1';
    const result = await run([
      'send',
      'http://127.0.0.1:9/hook',
      '--token',
      token,
      '--retries',
      '0',
    ]);
    expect(result.stdout).toContain('http://127.0.0.1:9/hook?token=<token>');
    for (const form of [token, encodeURIComponent(token), 'p%40ss']) {
      expect(result.stdout + result.stderr).not.toContain(form);
    }
  });

  it('reports an unreachable receiver and exits 1', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const result = await run([
      'send',
      `http://127.0.0.1:${port}/`,
      '--status',
      'CREATED',
      '--retries',
      '0',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed: ECONNREFUSED');
  });

  it('writes a body nested too deep to re-serialise, as received, and keeps every field', async () => {
    const out = join(dir, 'deep.jsonl');
    const listener = await startListener(['--out', out, '--quiet', '--time-zone', 'Europe/Madrid']);
    listeners.push(listener.child);
    const depth = 10_000;
    const deep = `{"event_type":"REQUEST_CREATED","sent_at":"20250715083633","request":{"status":"CREATED","pk":1},"certificates":[],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const fixture = readFileSync(
      new URL('../fixtures/videoid-3-videoid-updated-review.json', import.meta.url),
      'utf8',
    );
    // Line breaks between tokens and a BOM: what a sender may add, and the file must not keep.
    const normal = `\uFEFF${JSON.stringify(JSON.parse(fixture), null, 2).replace(/\n/g, '\r\n')}`;
    for (const body of [deep, normal]) {
      const answer = await fetch(listener.url, { method: 'POST', body });
      expect(answer.status, await answer.text()).toBe(200);
    }
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');

    // Spliced in as it came: the body had no line break to replace.
    expect(lines[0]!.endsWith(`,"payload":${deep}}`)).toBe(true);
    const { payload, ...fields } = JSON.parse(lines[0]!);
    const { x, ...rest } = payload;
    expect(nestedArrays(x)).toBe(depth);
    const { x: _, ...expected } = JSON.parse(deep);
    expect(rest).toEqual(expected);
    expect(fields).toMatchObject({ status: 'CREATED', requestId: 1, verdict: 'apply' });

    // The line of a body of common depth holds what it always did: the event's own fields
    // (absent ones as null), the verdict, and the wire object as `payload`.
    const event = parseWebhook(normal, { timeZone: 'Europe/Madrid' });
    const before = JSON.stringify({ ...event, verdict: 'apply' }, (_, v) => v ?? null);
    expect(JSON.parse(lines[1]!)).toEqual(JSON.parse(before));
    expect(JSON.parse(lines[1]!).payload).toEqual(JSON.parse(fixture));
  });

  it('leaves only whole lines when stopped in the middle of deliveries', async () => {
    const out = join(dir, 'interrupted.jsonl');
    const listener = await startListener(['--out', out, '--quiet']);
    listeners.push(listener.child);
    const sending = run([
      'send',
      listener.url,
      '--flow',
      'certificate-revoked',
      '--duplicates',
      '--concurrency',
      '8',
      '--request-id',
      '5',
    ]);
    setTimeout(() => listener.child.kill('SIGINT'), 50);
    await sending;
    expect(await listener.stopped).toBe(0);
    const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
    expect(text === '' || text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter(Boolean))
      expect(() => JSON.parse(line)).not.toThrow();
  });
});

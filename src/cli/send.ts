import { parseWebhook } from '../payload/parse.js';
import { normalizeEventType, normalizeStatus } from '../payload/vocabulary.js';
import {
  createTestFlow,
  createTestPayload,
  TEST_FLOWS,
  type TestFlowName,
} from '../testing/index.js';
import { integer, type Paint, paint, parse, plural, timeZone, UsageError, wrap } from './args.js';
import { displayUrl } from './display-url.js';

export const SEND_HELP: string = `Usage: uanataca-webhooks send <url> [options]

Plays the provider's part: posts realistic notifications to <url>, one flow or a single
notification, and prints each answer. Exits 1 when a delivery is not acknowledged.

Options:
  --flow <name>          A documented flow (default videoid):
                         ${wrap(TEST_FLOWS.join(', '), 56, 25)}
  --status <status>      Send one notification with this request status
  --event-type <type>    Send one notification with this event type
  --request-id <n>       The request id                               (default 28634)
  --legacy               Use the legacy flat format
  --time-zone <zone>     Zone to write timestamps in                    (default UTC)
  --shuffle              Deliver in a random order
  --duplicates           Deliver every notification twice
  --seed <n>             Seed for --shuffle, to repeat a run
  --concurrency <n>      Deliveries in flight at once                      (default 1)
  --delay <ms>           Pause between deliveries                          (default 0)
  --retries <n>          Retries of a 409 or 503 answer, after Retry-After (default 3)
  --token <secret>       Add ?token=<secret> to the URL
  --basic <user:pass>    Send HTTP Basic credentials (user:pass@ in the URL works too)
  -h, --help             Show this help`;

/**
 * A small seeded generator (mulberry32), so that a shuffled run can be repeated.
 *
 * @internal
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

interface Delivery {
  readonly label: string;
  readonly body: string;
}

/**
 * The `user:password` written in `url`, decoded; a {@link UsageError} that names the part,
 * never its text, when it is not valid percent-encoding.
 */
function urlCredentials(url: URL): string {
  try {
    return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new UsageError(
      'the user name or password in the URL is not valid percent-encoding (write % as %25)',
    );
  }
}

/** The colour of an answer: green for 2xx, yellow for what is retried, red for the rest. */
function statusColour(colours: Paint, status: number, retried: boolean): (text: string) => string {
  if (status >= 200 && status < 300) return colours.green;
  return retried ? colours.yellow : colours.red;
}

/** Runs `send`; resolves with the exit code. */
export async function send(
  argv: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
  isTerminal = false,
): Promise<number> {
  const colours = paint(isTerminal);
  const { values, positionals } = parse(
    argv,
    {
      flow: { type: 'string' },
      status: { type: 'string' },
      'event-type': { type: 'string' },
      'request-id': { type: 'string' },
      legacy: { type: 'boolean' },
      'time-zone': { type: 'string' },
      shuffle: { type: 'boolean' },
      duplicates: { type: 'boolean' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      delay: { type: 'string' },
      retries: { type: 'string' },
      token: { type: 'string' },
      basic: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(SEND_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'send needs a <url>' : 'send takes one <url>');
  }
  let url: URL;
  try {
    url = new URL(positionals[0]!);
  } catch {
    throw new UsageError(`"${positionals[0]}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('the URL must start with http:// or https://');
  }
  const single = values.status !== undefined || values['event-type'] !== undefined;
  if (single && values.flow !== undefined) {
    throw new UsageError('use either --flow or --status/--event-type, not both');
  }
  const flow = values.flow ?? 'videoid';
  if (!TEST_FLOWS.includes(flow as TestFlowName)) {
    throw new UsageError(`unknown flow "${flow}"; use one of: ${TEST_FLOWS.join(', ')}`);
  }
  const requestId = integer(values['request-id'], 'request-id', 28634, 0, Number.MAX_SAFE_INTEGER);
  const concurrency = integer(values.concurrency, 'concurrency', 1, 1, 1000);
  const delay = integer(values.delay, 'delay', 0, 0, 3_600_000);
  const retries = integer(values.retries, 'retries', 3, 0, 100);
  const seed = integer(values.seed, 'seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1);
  const zone = timeZone(values['time-zone']);
  const format = values.legacy ? 'legacy' : 'envelope';

  // Credentials in the URL become a Basic header, as the provider's HTTP client sends them.
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const basic = values.basic ?? (url.username ? urlCredentials(url) : undefined);
  if (basic !== undefined) {
    if (!basic.includes(':')) throw new UsageError('--basic must look like user:password');
    const bytes = new TextEncoder().encode(basic);
    headers.authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }
  url.username = '';
  url.password = '';
  if (values.token !== undefined) url.searchParams.set('token', values.token);

  const common = { requestId, format, timeZone: zone } as const;
  const bodies = single
    ? [
        createTestPayload({
          ...common,
          ...(values.status === undefined ? {} : { status: normalizeStatus(values.status) }),
          ...(values['event-type'] === undefined
            ? {}
            : { eventType: normalizeEventType(values['event-type']) }),
        }),
      ]
    : createTestFlow(flow as TestFlowName, common);
  const names = bodies.map((body) => {
    const event = parseWebhook(body, { timeZone: zone });
    return `${event.eventType ?? '(legacy)'} ${event.status}`;
  });
  const order = bodies.map((_, index) => index);
  const copies = values.duplicates ? order.flatMap((index) => [index, index]) : order;
  if (values.shuffle) {
    const next = seededRandom(seed);
    for (let i = copies.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copies[i], copies[j]] = [copies[j]!, copies[i]!];
    }
    out(`shuffled with --seed ${seed}`);
  }
  // Labelled in the order they go out, so that "(again)" is always the later copy.
  const sent = new Set<number>();
  const deliveries: Delivery[] = copies.map((index) => {
    const again = sent.has(index);
    sent.add(index);
    return {
      label: `#${index + 1} ${names[index]}${again ? ' (again)' : ''}`,
      body: JSON.stringify(bodies[index]),
    };
  });

  const target = url.toString();
  out(
    `sending ${plural(deliveries.length, 'notification', 'notifications')} to ${displayUrl(new URL(target))}`,
  );
  let failures = 0;
  let position = 0;
  const width = String(deliveries.length).length;
  let answered = 0;
  const deliver = async (delivery: Delivery): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      let line: string;
      let status = 0;
      let retryAfter = 1;
      try {
        const response = await fetch(target, { method: 'POST', headers, body: delivery.body });
        status = response.status;
        retryAfter = Number(response.headers.get('retry-after') ?? '1') || 1;
        line = `${status} ${(await response.text()).slice(0, 200)}`;
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        line = `failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
      }
      const retry = (status === 409 || status === 503) && attempt < retries;
      if (!retry) answered += 1;
      // How many deliveries are settled, counting this one.
      const progress = colours.dim(`${String(answered).padStart(width)}/${deliveries.length}`);
      const answer = statusColour(colours, status, retry)(line);
      out(
        `${progress} ${delivery.label} -> ${answer}${retry ? ` (retrying in ${retryAfter}s)` : ''}`,
      );
      if (!retry) {
        if (status < 200 || status > 299) failures++;
        return;
      }
      await sleep(retryAfter * 1000);
    }
  };
  const worker = async (): Promise<void> => {
    while (position < deliveries.length) {
      const delivery = deliveries[position++]!;
      await deliver(delivery);
      if (delay > 0) await sleep(delay);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker));
  if (failures > 0) {
    err(`${failures} of ${plural(deliveries.length, 'delivery', 'deliveries')} not acknowledged`);
  } else {
    out(
      deliveries.length === 1
        ? 'the delivery was acknowledged'
        : `all ${deliveries.length} deliveries acknowledged`,
    );
  }
  return failures > 0 ? 1 : 0;
}

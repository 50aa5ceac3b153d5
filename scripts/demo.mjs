// The demo: a receiver and a simulated provider on this machine, and a short story of what the
// package did with each delivery. Builds the package first when needed, quietly.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const yellow = paint(33);

/** Builds dist/ when it is missing or older than src/, printing one line instead of tsup's. */
function build() {
  const dist = join(root, 'dist', 'index.js');
  const newest = (dir) =>
    spawnSync('find', [dir, '-type', 'f', '-newer', dist], { encoding: 'utf8' }).stdout.trim();
  if (existsSync(dist) && statSync(dist).size > 0 && newest(join(root, 'src')) === '') return;
  process.stdout.write('building the package… ');
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    console.log('failed:');
    console.log(result.stdout, result.stderr);
    process.exit(1);
  }
  console.log(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

build();
const { createMemoryStateStore, createWebhooks } = await import('uanataca-webhooks');
const { createNodeMiddleware } = await import('uanataca-webhooks/node');
const { createTestFlow } = await import('uanataca-webhooks/testing');

const TOKEN = `demo-${Math.random().toString(36).slice(2, 10)}`;
const ZONE = 'Europe/Madrid';
const REQUEST_ID = 28634;

// The receiver, as your server would have it.
const store = createMemoryStateStore();
const webhooks = createWebhooks({ timeZone: ZONE, state: { store } });
let handlerRuns = 0;
webhooks.on('*', async () => {
  handlerRuns += 1;
  // Your work: a database write, a call to your CRM… 400 ms here.
  await new Promise((resolve) => setTimeout(resolve, 400));
});
const seen = new Map();
const receiver = {
  async receive(body, context) {
    const result = await webhooks.receive(body, context);
    seen.set(result.event.idempotencyKey, result);
    return result;
  },
};
const middleware = createNodeMiddleware(receiver, {
  path: '/webhooks/uanataca',
  auth: { token: TOKEN },
});
const server = createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/webhooks/uanataca`;

console.log(bold('A receiver'));
console.log(`listens on ${url}`);
console.log("as your server would: it requires a secret token in the URL, reads the provider's");
console.log(`zone-less times in ${ZONE}, drops duplicates, and keeps each request's last status`);
console.log('(the state option) to judge every notification against it.\n');

// The provider's part: one VideoID request, delivered the way an unreliable network might.
const [pending, incomplete, review, approved, issued] = createTestFlow('videoid', {
  requestId: REQUEST_ID,
  timeZone: ZONE,
  start: new Date('2025-07-15T07:45:00Z'),
});
const label = (body) =>
  `${body.request.status.padEnd(15)} ${dim(`${body.event_type} at ${body.sent_at.slice(8, 10)}:${body.sent_at.slice(10, 12)}`)}`;

console.log(bold('A simulated provider'));
console.log(
  `sends the five notifications of VideoID request ${REQUEST_ID}, out of order and some twice:\n`,
);

const MEANING = {
  apply: 'it moves the request forward: apply it',
  stale: 'older than the status already applied: nothing to apply',
  duplicate: 'the same status again',
  unexpected: 'a transition the provider does not document',
};

let step = 0;
let deliveries = 0;
async function deliver(body, note = '') {
  step += 1;
  deliveries += 1;
  const number = step;
  const response = await fetch(`${url}?token=${TOKEN}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  const result = [...seen.values()].find(
    (one) => one.event.status === body.request.status && one.event.eventType === body.event_type,
  );
  let story;
  if (response.status === 409) {
    story =
      yellow('409 in flight') +
      dim(
        ' — its twin is being handled right now; the provider retries later and gets "duplicate"',
      );
  } else if (answer.duplicate) {
    story = `${green('200 duplicate')} ${dim('— handled before: no handler ran')}`;
  } else if (result?.transition !== undefined) {
    story = `${green('200 handled')}   ${bold(result.transition)}: ${dim(MEANING[result.transition])}`;
  } else {
    story = `${green('200 handled')}   ${bold('untracked')}: ${dim('the ISSUED template carries no request id, so no state to judge it by')}`;
  }
  console.log(`  ${String(number).padStart(2)}. ${label(body)}${note}`);
  console.log(`      → ${story}`);
}

await deliver(review);
await deliver(pending);
await deliver(review, dim('  (again)'));
await deliver(approved);
await deliver(incomplete);
console.log(dim('\n  and two copies of the last one at the same moment:'));
await Promise.all([
  deliver(issued),
  new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
    deliver(issued, dim('  (the same, 20 ms later)')),
  ),
]);

server.close();
const stored = await store.get(REQUEST_ID);
console.log(`\n${bold('What happened')}`);
console.log(
  `${deliveries} deliveries of 5 notifications: your handlers ran ${handlerRuns} times, once per notification.`,
);
console.log(
  `Request ${REQUEST_ID}'s stored status is ${stored?.status}, the newest one that carried its id.\n`,
);
console.log(dim('The same with the command-line tool, in two terminals:'));
console.log(dim(`  npx uanataca-webhooks listen --time-zone ${ZONE} --token s3cret`));
console.log(
  dim(
    `  npx uanataca-webhooks send http://127.0.0.1:8080/ --token s3cret --time-zone ${ZONE} --flow videoid --shuffle --duplicates`,
  ),
);

// The main job: start a receiver, play a VideoID flow at it the way the provider might
// (shuffled, every notification twice, several at once), show what arrived, and stop.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'uanataca-webhooks-demo-'));
const out = join(dir, 'events.jsonl');
const token = `demo-${Math.random().toString(36).slice(2)}`;

const listener = spawn(
  process.execPath,
  [
    cli,
    'listen',
    '--port',
    '0',
    '--path',
    '/webhooks/uanataca',
    '--out',
    out,
    '--token',
    token,
    '--time-zone',
    'Europe/Madrid',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  let text = '';
  listener.stdout.on('data', (chunk) => {
    process.stdout.write(`[listen] ${chunk}`);
    text += chunk;
    const match = /listening on (http:\/\/\S+?)[?,]/.exec(text);
    if (match) resolve(match[1]);
  });
  listener.once('exit', (code) => reject(new Error(`listen exited with ${code}`)));
});

const code = await new Promise((resolve) => {
  const sender = spawn(
    process.execPath,
    [
      cli,
      'send',
      url,
      '--token',
      token,
      '--flow',
      'videoid',
      '--shuffle',
      '--duplicates',
      '--concurrency',
      '3',
      '--time-zone',
      'Europe/Madrid',
    ],
    { stdio: 'inherit' },
  );
  sender.once('exit', (exitCode) => resolve(exitCode ?? 1));
});

listener.kill('SIGINT');
await new Promise((resolve) => listener.once('exit', resolve));

const events = readFileSync(out, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
console.log(`\n${events.length} distinct notifications written to events.jsonl:`);
for (const event of events) {
  console.log(
    `  ${event.occurredAt}  ${event.eventType.padEnd(18)} ${event.status.padEnd(16)} request ${event.requestId ?? '-'}  (${event.verdict ?? 'untracked: no request id'})`,
  );
}
rmSync(dir, { recursive: true, force: true });
process.exitCode = code;

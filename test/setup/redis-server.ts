// Makes sure a redis-server binary is there for the Redis integration tests, so that the
// README's test command works on a fresh Debian machine. Without root or apt-get it does
// nothing, and those tests fail with an explanation.
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';

const has = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

export default function setup(): void {
  if (process.env.REDIS_SERVER || has('redis-server')) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write(
    "test setup: installing redis-server from Debian's packages (apt-get) for the Redis tests…\n",
  );
  const quiet: SpawnSyncOptions = { stdio: ['ignore', 'ignore', 'inherit'], env };
  spawnSync('apt-get', ['update', '-qq'], quiet);
  const installed = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], quiet);
  process.stderr.write(
    installed.status === 0
      ? 'test setup: redis-server installed\n'
      : 'test setup: installing redis-server failed; the Redis tests will say what to do\n',
  );
}

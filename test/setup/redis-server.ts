// Makes sure a redis-server binary is there for the Redis integration tests, so that the
// README's test command works on a fresh Debian machine. Without root or apt-get it does
// nothing, and those tests fail with an explanation.
import { spawnSync } from 'node:child_process';

const has = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

export default function setup(): void {
  if (process.env.REDIS_SERVER || has('redis-server')) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env });
}

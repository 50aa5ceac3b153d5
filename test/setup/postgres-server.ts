// Makes sure PostgreSQL's server binaries are there for the PostgreSQL integration tests, so
// that the README's test command works on a fresh Debian machine. Without root or apt-get it
// does nothing, and those tests fail with an explanation.
import { spawnSync } from 'node:child_process';
import { findPostgresBin } from '../integration/support/postgres-server.js';

const has = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

export default function setup(): void {
  if (findPostgresBin() !== undefined) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) return;
  console.log("installing postgresql from Debian's packages for the PostgreSQL tests…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env });
}

// Installs the runtimes the smoke tests run the built package on: Node 22 and 24, Bun and
// Deno, all from npm, into .cache/runtimes. They stay out of the project's dependencies
// because the Node packages put a `node` binary in node_modules/.bin that would shadow the
// system Node for every npm script.
//
// Prints the absolute paths of the four executables as JSON. Idempotent: when everything is
// in place it only checks the files, so it is fast.
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, '.cache', 'runtimes');
const modules = join(prefix, 'node_modules');
const stampFile = join(prefix, 'installed.json');

const platform = `${process.platform}-${process.arch}`;
const SPECS = [`node22@npm:node-${platform}@22`, `node24@npm:node-${platform}@24`, 'bun', 'deno'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable among `candidates`, or `undefined`. */
function firstExecutable(candidates) {
  return candidates.find((path) => isExecutable(path));
}

/** Packages under a scope whose names start with `start`, e.g. @oven/bun-linux-x64*. */
function scoped(scope, start) {
  const dir = join(modules, scope);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(start))
    .sort()
    .map((name) => join(dir, name));
}

function locate() {
  const [os, arch] = [process.platform, process.arch];
  const bunArch = arch === 'arm64' ? 'aarch64' : arch;
  return {
    node22: firstExecutable([join(modules, 'node22', 'bin', 'node')]),
    node24: firstExecutable([join(modules, 'node24', 'bin', 'node')]),
    // The platform package holds the binary; bun's own install script (skipped here) would
    // move it to bun/bin/bun.exe.
    bun: firstExecutable([
      ...scoped('@oven', `bun-${os}-${bunArch}`).map((dir) => join(dir, 'bin', 'bun')),
      join(modules, 'bun', 'bin', 'bun.exe'),
    ]),
    deno: firstExecutable([
      ...scoped('@deno', `${os}-${arch}`).map((dir) => join(dir, 'deno')),
      join(modules, 'deno', 'deno'),
    ]),
  };
}

function complete(found) {
  return Object.values(found).every((path) => path !== undefined);
}

function stampMatches() {
  try {
    return JSON.stringify(JSON.parse(readFileSync(stampFile, 'utf8'))) === JSON.stringify(SPECS);
  } catch {
    return false;
  }
}

export function installRuntimes() {
  let found = locate();
  if (complete(found) && stampMatches()) return found;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // Said on stderr as it happens: stdout carries the paths for the caller.
  process.stderr.write(
    `install-runtimes: downloading Node 22 and 24, Bun and Deno from the npm registry into ${prefix} (about 570 MB, once) for the runtime tests…\n`,
  );
  const started = Date.now();
  execFileSync(
    npm,
    [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      // The binaries ship inside the platform packages; their install scripts only move them.
      '--ignore-scripts',
      '--prefix',
      prefix,
      ...SPECS,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  found = locate();
  if (!complete(found)) {
    const missing = Object.keys(found).filter((name) => found[name] === undefined);
    throw new Error(
      `install-runtimes: ${missing.join(', ')} not found under ${modules} after npm install (platform ${platform})`,
    );
  }
  writeFileSync(stampFile, `${JSON.stringify(SPECS)}\n`);
  process.stderr.write(
    `install-runtimes: done in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(installRuntimes())}\n`);
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist');

/** Whether the module at `url` is the script node was started with. */
export function isMain(url) {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url;
}

/** Stops with a clear message when the package was not built. */
export function requireDist() {
  if (!existsSync(join(dist, 'index.js'))) {
    console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which does).');
    process.exit(1);
  }
}

/** Imports a built entry point of the package, such as `index` or `node`. */
export function importDist(entry) {
  return import(pathToFileURL(join(dist, `${entry}.js`)).href);
}

/** The provider's notification fixtures, as the text a receiver gets. */
export function fixtureBodies() {
  const dir = join(root, 'test', 'fixtures');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Reads a positive integer setting from the environment. */
export function setting(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The round order: rotated every round so that no contender always runs first. */
export function roundOrder(items, round) {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function machine() {
  let cpu;
  try {
    cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1];
  } catch {
    // Not Linux: os.cpus() names the model too.
  }
  return {
    cpu: cpu ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    os: `${type()} ${release()}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

/** Prints rows as a Markdown table. */
export function printTable(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  console.log(line(headers));
  console.log(line(headers.map(() => '---')));
  for (const row of rows) console.log(line(row));
}

export function verdict(ok) {
  return ok ? 'met' : 'MISSED';
}

// The packed package, unpacked into node_modules as npm installs it, used by a CommonJS
// project compiled with TypeScript's classic resolution (`"moduleResolution": "node"`), which
// finds the subpath entries' types through `typesVersions` only. The project sits in the
// repository's .cache folder, so that zod, type-fest and the peers resolve from the
// repository's node_modules, with no network; scripts/check-tarball.mjs runs the same project
// with everything installed by npm.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIC_CONSUMER_OK, checkClassicConsumer } from '../../scripts/classic-consumer.mjs';
import { entrySpecifiers, readPackage } from '../../scripts/package-entries.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const project = join(root, '.cache', 'classic-resolution');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let packDir: string;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.cjs'))) {
    throw new Error(
      'dist/ is missing: the packed package is the built one, run `npm run build` first',
    );
  }
  packDir = mkdtempSync(join(tmpdir(), 'uanataca-webhooks-pack-'));
  const [packed] = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--pack-destination', packDir], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string }[];
  rmSync(project, { recursive: true, force: true });
  const installed = join(project, 'node_modules', 'uanataca-webhooks');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', [
    '-xzf',
    join(packDir, packed!.filename),
    '-C',
    installed,
    '--strip-components=1',
  ]);
}, 60_000);

afterAll(() => {
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe('a CommonJS project with classic (node10) resolution', () => {
  it('type-checks against every entry, misspelt options rejected, and runs on the CommonJS build', () => {
    const specifiers = entrySpecifiers(readPackage());
    const output = checkClassicConsumer(project, {
      tsc: join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      specifiers,
      // Fast, like the examples' type-check; scripts/check-tarball.mjs checks the declarations.
      skipLibCheck: true,
    });
    expect(output).toContain(`${CLASSIC_CONSUMER_OK}: ${specifiers.length} entries`);
  }, 120_000);
});

// @opentelemetry/api is an optional peer of uanataca-webhooks/opentelemetry alone: the core and
// the other entries must load where it is not installed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'dist');

/** Every bare module that `dist/<file>` and the chunks it loads import. */
async function packagesImported(file: string): Promise<string[]> {
  const path = join(dist, file);
  if (!existsSync(path)) {
    throw new Error(
      `dist/${file} is missing: this test checks the built package, run \`npm run build\` first`,
    );
  }
  const result = await build({
    entryPoints: [path],
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  return [...new Set(imports.filter((one) => one.external).map((one) => one.path))];
}

interface Conditions {
  readonly import?: { readonly default?: string };
  readonly require?: { readonly default?: string };
}

/** The files of every entry point but `./opentelemetry`, in both formats, from `exports`. */
const others: string[] = Object.entries(
  (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, Conditions | string>;
    }
  ).exports,
)
  .filter(([entry, target]) => entry !== './opentelemetry' && typeof target === 'object')
  .flatMap(([, target]) => [
    (target as Conditions).import?.default,
    (target as Conditions).require?.default,
  ])
  .filter((file): file is string => file !== undefined)
  .map((file) => relative('./dist', file));

describe('@opentelemetry/api stays out of the core', () => {
  it.each(others)('dist/%s imports no @opentelemetry package', async (file) => {
    const imported = await packagesImported(file);
    expect(imported.filter((name) => name.startsWith('@opentelemetry/'))).toEqual([]);
  });

  it.each(['opentelemetry.js', 'opentelemetry.cjs'])(
    'dist/%s imports @opentelemetry/api and nothing else of OpenTelemetry',
    async (file) => {
      const imported = await packagesImported(file);
      expect(imported.filter((name) => name.startsWith('@opentelemetry/'))).toEqual([
        '@opentelemetry/api',
      ]);
    },
  );

  it('no source file outside src/opentelemetry/ imports it', () => {
    const src = join(root, 'src');
    const offending = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.startsWith('opentelemetry'))
      .filter((file) => /from\s+['"]@opentelemetry\//.test(readFileSync(join(src, file), 'utf8')))
      .map((file) => relative(root, join(src, file)));
    expect(offending).toEqual([]);
  });
});

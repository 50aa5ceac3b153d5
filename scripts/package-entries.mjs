// The package's entry points, as package.json's `exports` declares them, and the
// `typesVersions` map derived from them. TypeScript's classic resolution
// (`"moduleResolution": "node"`, called node10) ignores `exports`: without the map, a project
// compiled that way finds no types for `uanataca-webhooks/express` and the other subpaths.
//
// `node scripts/package-entries.mjs` writes the map into package.json; run it after adding an
// entry to `exports`. test/unit/package-entries.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageJson = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');

/** This package's package.json, parsed. */
export function readPackage() {
  return JSON.parse(readFileSync(packageJson, 'utf8'));
}

/** The subpath entries, `exports` keys without their `./` (`node`, `express`…). */
export function subpathEntries(pkg) {
  return Object.keys(pkg.exports)
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => key.slice(2));
}

/** What a program imports: the package's name, then the name of each subpath entry. */
export function entrySpecifiers(pkg) {
  return [pkg.name, ...subpathEntries(pkg).map((entry) => `${pkg.name}/${entry}`)];
}

/**
 * The `typesVersions` map that node10 resolution reads: each subpath entry to the
 * declarations its `require` condition names, the types of the CommonJS build such a project
 * runs (the root entry has them already, in `types`).
 */
export function typesVersionsFor(pkg) {
  const paths = {};
  for (const entry of subpathEntries(pkg)) {
    const types = pkg.exports[`./${entry}`]?.require?.types;
    if (typeof types !== 'string') {
      throw new Error(`package.json: exports["./${entry}"] has no require.types`);
    }
    paths[entry] = [types];
  }
  return { '*': paths };
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const pkg = readPackage();
  const typesVersions = typesVersionsFor(pkg);
  // In place when present, otherwise right after `types`.
  const present = 'typesVersions' in pkg;
  const updated = {};
  for (const [key, value] of Object.entries(pkg)) {
    if (key === 'typesVersions') updated[key] = typesVersions;
    else updated[key] = value;
    if (key === 'types' && !present) updated.typesVersions = typesVersions;
  }
  updated.typesVersions ??= typesVersions;
  writeFileSync(packageJson, `${JSON.stringify(updated, null, 2)}\n`);
  console.log(`package.json: typesVersions maps ${Object.keys(typesVersions['*']).join(', ')}`);
}

// TypeScript's classic resolution (`"moduleResolution": "node"`) ignores `exports`, so each
// subpath entry needs a `typesVersions` line too; these tests keep the two in step.
import { describe, expect, it } from 'vitest';
import { readPackage, subpathEntries, typesVersionsFor } from '../../scripts/package-entries.mjs';

const pkg = readPackage();
const FIX = 'run `node scripts/package-entries.mjs` to write the typesVersions map';

describe('types for classic (node10) resolution', () => {
  it('the root entry names the types of its CommonJS build in `types`', () => {
    expect(pkg.exports['.']).toMatchObject({ require: { types: pkg.types } });
  });

  it.each(subpathEntries(pkg))('exports["./%s"] has its typesVersions line', (entry) => {
    const expected = typesVersionsFor(pkg)['*'][entry];
    expect(
      pkg.typesVersions?.['*']?.[entry],
      `package.json: typesVersions["*"]["${entry}"] should be ${JSON.stringify(expected)}; ${FIX}`,
    ).toEqual(expected);
  });

  it('typesVersions maps the subpath entries and nothing else', () => {
    expect(pkg.typesVersions, FIX).toEqual(typesVersionsFor(pkg));
  });
});

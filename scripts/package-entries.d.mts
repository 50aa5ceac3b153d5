/** The fields of package.json these helpers read. */
export interface PackageJson {
  name: string;
  types?: string;
  exports: Record<string, unknown>;
  typesVersions?: Record<string, Record<string, string[]>>;
  [field: string]: unknown;
}
/** This package's package.json, parsed. */
export function readPackage(): PackageJson;
/** The subpath entries, `exports` keys without their `./` (`node`, `express`…). */
export function subpathEntries(pkg: PackageJson): string[];
/** What a program imports: the package's name, then the name of each subpath entry. */
export function entrySpecifiers(pkg: PackageJson): string[];
/** The `typesVersions` map node10 resolution reads, derived from `exports`. */
export function typesVersionsFor(pkg: PackageJson): { '*': Record<string, string[]> };

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every regular expression of the package, found in its source (literals and `new RegExp`
 * with a literal pattern), run against long adversarial inputs: a pattern open to
 * catastrophic backtracking would take seconds or more on them, not milliseconds.
 */

const SRC = join(import.meta.dirname, '..', '..', 'src');
const N = 100_000;
/** Well under a second, even on a slow, busy machine; a safe pattern needs a few ms. */
const BUDGET_MS = 250;

interface Found {
  where: string;
  regex: RegExp;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function regexesIn(file: string): Found[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Found[] = [];
  const visit = (node: ts.Node): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const where = `${relative(SRC, file)}:${line}`;
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText();
      const end = literal.lastIndexOf('/');
      found.push({ where, regex: new RegExp(literal.slice(1, end), literal.slice(end + 1)) });
    }
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'RegExp'
    ) {
      const [pattern, flags] = node.arguments ?? [];
      if (!pattern || !ts.isStringLiteralLike(pattern)) {
        throw new Error(`${where}: a RegExp built from a non-literal pattern cannot be checked`);
      }
      const flagText = flags && ts.isStringLiteralLike(flags) ? flags.text : '';
      found.push({ where, regex: new RegExp(pattern.text, flagText) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const FOUND = sourceFiles(SRC).flatMap(regexesIn);

/** Long runs of what patterns repeat, each spoiled at the end so that no match is found. */
const INPUTS: [string, string][] = [
  ['digits then "!"', `${'1'.repeat(N)}!`],
  ['zeros then "x"', `${'0'.repeat(N)}x`],
  ['spaces then "!"', `${' '.repeat(N)}!`],
  ['tabs and newlines then "x"', `${'\t\n'.repeat(N / 2)}x`],
  ['"a" then "!"', `${'a'.repeat(N)}!`],
  ['"A" then "!"', `${'A'.repeat(N)}!`],
  ['hex digits then "g"', `${'f0'.repeat(N / 2)}g`],
  ['separators then "!"', `${'_- '.repeat(N / 3)}!`],
  ['space-digit pairs then "!"', `${' 1'.repeat(N / 2)}!`],
  ['digit groups then "!"', `${'1.'.repeat(N / 2)}!`],
  ['colons then "x"', `${':'.repeat(N)}x`],
  ['hex groups then "::x"', `${'ffff:'.repeat(N / 5)}::x`],
  ['base64 after "Basic " then "!"', `Basic ${'A'.repeat(N)}!`],
  ['"basic" then spaces then "!"', `basic${' '.repeat(N)}!`],
  ['a form type then spaces then "!"', `application/x-www-form-urlencoded${' '.repeat(N)}!`],
  ['an ISO date then a long fraction', `2025-03-01T10:15:00.${'1'.repeat(N)}x`],
  ['an ISO date then a long offset', `2025-03-01T10:15:00+${'0'.repeat(N)}`],
  ['a compact date then digits', `20250301 10:15:${'0'.repeat(N)}`],
  ['brackets then "x"', `${'[{'.repeat(N / 2)}x`],
  ['quotes and backslashes', '"\\'.repeat(N / 2)],
  ['non-ASCII then "!"', `${'é\u00a0\u2028'.repeat(N / 3)}!`],
];

/** How long `run` takes, in milliseconds. */
function time(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe('regular expressions of the package', () => {
  it('are all found in the source', () => {
    const files = new Set(FOUND.map((found) => found.where.replace(/:\d+$/, '')));
    // The extraction works: the files known to hold patterns are among those it found.
    for (const file of ['http/auth.ts', 'http/ip.ts', 'http/body.ts', 'payload/timestamp.ts']) {
      expect(files).toContain(file);
    }
    expect(FOUND.length).toBeGreaterThanOrEqual(15);
  });

  for (const { where, regex } of FOUND) {
    it(`${where} ${regex} runs in linear time on 100,000-character inputs`, () => {
      const slow: string[] = [];
      const global = new RegExp(
        regex.source,
        regex.flags.includes('g') ? regex.flags : `${regex.flags}g`,
      );
      for (const [what, input] of INPUTS) {
        // As the package uses it (test, exec), and searched for at every position
        // (replace, split), which is where unanchored patterns backtrack the most.
        const once = time(() => new RegExp(regex.source, regex.flags).exec(input));
        const everywhere = time(() => input.replace(global, ''));
        if (once > BUDGET_MS || everywhere > BUDGET_MS) {
          slow.push(`${what}: ${Math.round(once)} ms once, ${Math.round(everywhere)} ms global`);
        }
      }
      expect(slow).toEqual([]);
    });
  }
});

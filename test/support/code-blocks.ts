import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository. */
  readonly file: string;
  /** The line of the opening fence. */
  readonly line: number;
  /** The fence's language (`ts`, `js`, `sh`…). */
  readonly language: string;
  readonly code: string;
}

/** The Markdown files whose code blocks the tests check: the README and every page of docs/. */
export function documentationFiles(root: string): string[] {
  const docs = join(root, 'docs');
  let pages: string[] = [];
  try {
    pages = readdirSync(docs)
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(docs, name));
  } catch {
    // No docs folder.
  }
  return [join(root, 'README.md'), ...pages];
}

/** Every fenced code block of `file`. */
export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\w[\w-]*)\s*$/.exec(lines[index]!);
    if (open === null) continue;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !/^```\s*$/.test(lines[index]!); index++) {
      body.push(lines[index]!);
    }
    blocks.push({
      file: relative(root, file),
      line: start + 1,
      language: open[1]!,
      code: `${body.join('\n')}\n`,
    });
  }
  return blocks;
}

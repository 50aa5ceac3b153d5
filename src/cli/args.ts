import { type ParseArgsConfig, parseArgs } from 'node:util';
import { suggestTimeZones } from '../payload/time-zone-hint.js';

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError' as const;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs`'s error, said in one line without its advice about `--`. */
function usageMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(message ?? '')?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''} (see --help)`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // Quoted as `--port <value>`, or `-p, --port <value>` when it has a short name.
      return `option ${/--[^\s,]+/.exec(quoted ?? '')?.[0] ?? ''} needs a value (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted === undefined ? '' : `"${quoted}" `}(see --help)`;
    default:
      return (message ?? String(error)).split('\n')[0] ?? String(error);
  }
}

/** A token that reads as a negative number (`-1`, `-0.5`, `-1d`): no option is named so. */
const NEGATIVE = /^-\d/;

/**
 * `argv` with every negative number that follows an option taking a value joined to it
 * (`--port -1` becomes `--port=-1`): `parseArgs` would refuse it as a missing value, when
 * it is a value, for the option's own check to say what it expects.
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...joined, ...argv.slice(i)];
    const next = argv[i + 1];
    const name = arg.startsWith('--')
      ? arg.slice(2)
      : /^-[^-]$/.test(arg)
        ? Object.keys(options).find((key) => options[key]!.short === arg[1])
        : undefined;
    if (
      name !== undefined &&
      Object.hasOwn(options, name) &&
      options[name]!.type === 'string' &&
      next !== undefined &&
      NEGATIVE.test(next)
    ) {
      joined.push(`--${name}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Parses `argv` with `node:util` and turns its errors into {@link UsageError}s. A negative
 * number after an option that takes a value is that value, and meets the option's check.
 */
export function parse<T extends Options>(
  argv: readonly string[],
  options: T,
  allowPositionals: boolean,
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>> {
  try {
    const args = joinNegativeValues(argv, options);
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(usageMessage(error));
  }
}

/** Reads a whole number option within bounds. */
export function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Reads a duration option: a number and a unit, `s`, `m`, `h`, `d` or `w` (`30s`, `15m`,
 * `12h`, `7d`), or several (`1h30m`); resolves milliseconds.
 */
export function duration(value: string, name: string): number {
  // Digits bounded, so that no input makes either expression slow.
  const parts = /^(?:\d{1,15}[smhdw]){1,8}$/.test(value) ? value.match(/\d{1,15}[smhdw]/g) : null;
  const ms = (parts ?? []).reduce(
    (total, part) => total + Number(part.slice(0, -1)) * UNIT_MS[part.slice(-1)]!,
    0,
  );
  if (parts === null || !Number.isSafeInteger(ms)) {
    throw new UsageError(
      `--${name} must be a duration such as 30s, 15m, 12h or 7d, got "${value}"`,
    );
  }
  return ms;
}

/** Checks an IANA time zone option. */
export function timeZone(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    const meant = suggestTimeZones(value);
    const hint = meant.length > 0 ? `did you mean ${meant.join(' or ')}?` : 'e.g. Europe/Madrid';
    throw new UsageError(`--time-zone "${value}" is not an IANA time zone (${hint})`);
  }
  return value;
}

/** Colours for a terminal; none when the output is not one, or `NO_COLOR` is set. */
export interface Paint {
  readonly green: (text: string) => string;
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly dim: (text: string) => string;
}

/** The colours for an output that `isTerminal` says is a terminal, unless NO_COLOR is set. */
export function paint(isTerminal: boolean): Paint {
  const on = isTerminal && !process.env.NO_COLOR;
  const code =
    (open: number) =>
    (text: string): string =>
      on ? `\x1b[${open}m${text}\x1b[0m` : text;
  return { green: code(32), red: code(31), yellow: code(33), dim: code(2) };
}

/** `count` and the noun, singular or plural: "1 delivery", "2 deliveries". */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * `text` wrapped to lines of at most `width` characters, each after the first indented by
 * `indent` spaces: a help column that does not break the table.
 */
export function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

import { createInboxControl, type InboxControl, type ReplaySummary } from '../inbox/control.js';
import {
  INBOX_ENTRY_STATUSES,
  type InboxEntry,
  type InboxEntryStatus,
  type InboxFilter,
} from '../inbox/inbox-store.js';
import { type ParseOptions, safeParseWebhook } from '../payload/parse.js';
import { integer, type Paint, paint, parse, plural, timeZone, UsageError } from './args.js';
import { entryDetails, entryJson, entryTable, oneLine, statsLines } from './inbox-format.js';
import {
  INBOX_HELP,
  LIST_HELP,
  PURGE_HELP,
  REPLAY_HELP,
  SHOW_HELP,
  STATS_HELP,
} from './inbox-help.js';
import { FILTER_OPTIONS, filterOf, STORE_OPTIONS, targetOf } from './inbox-options.js';
import type { OpenStore, StoreTarget } from './open-store.js';

/** Where a command writes: its output, its errors, and what the output is. */
export interface Terminal {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Whether the output is a terminal (colours, and a table cut to its width). */
  readonly isTerminal: boolean;
  /** The width of that terminal, when known. */
  readonly columns?: number | undefined;
}

/**
 * A command, checked, waiting for the store: where it is, how invalid entries are read again,
 * and what to do with it; resolves the exit code.
 */
interface Plan {
  readonly target: StoreTarget;
  readonly parse?: ParseOptions;
  run(control: InboxControl): Promise<number>;
}

/** Checks a command's arguments: its {@link Plan}, or the text of its `--help`. */
type Command = (argv: readonly string[], io: Terminal, colours: Paint) => Plan | string;

const PAGE = 500;

/** The statuses of the entries whose handling is over: what a purge without `--status` deletes. */
const SETTLED: readonly InboxEntryStatus[] = INBOX_ENTRY_STATUSES.filter(
  (status) => status !== 'pending' && status !== 'running',
);

/** Every entry matching `filter`, page by page, to `each`. */
async function forEachMatching(
  control: InboxControl,
  filter: InboxFilter,
  each: (entry: InboxEntry) => void,
): Promise<void> {
  for (let before: string | undefined; ; ) {
    const page = await control.list({ ...filter, limit: PAGE, before });
    for (const entry of page) each(entry);
    if (page.length < PAGE) return;
    before = page[page.length - 1]!.id;
  }
}

/** "2 dead, 1 done": the counts that are not zero, in the order of an entry's life. */
function byStatus(counts: Partial<Record<InboxEntryStatus, number>>): string {
  return INBOX_ENTRY_STATUSES.filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => `${counts[status]} ${status}`)
    .join(', ');
}

function list(argv: readonly string[], io: Terminal, colours: Paint): Plan | string {
  const { values } = parse(
    argv,
    {
      ...STORE_OPTIONS,
      ...FILTER_OPTIONS,
      limit: { type: 'string' },
      before: { type: 'string' },
      json: { type: 'boolean' },
    },
    false,
  );
  if (values.help) return LIST_HELP;
  const target = targetOf(values, 'list');
  const { filter, given } = filterOf(values, Date.now());
  const limit = integer(values.limit, 'limit', 20, 1, 10_000);
  const before = values.before;
  return {
    target,
    async run(control) {
      const entries = await control.list({ ...filter, limit, before });
      if (values.json) {
        for (const entry of entries) io.out(JSON.stringify(entryJson(entry)));
        return 0;
      }
      if (entries.length === 0) {
        io.out(given || before !== undefined ? 'no entries match' : 'the inbox is empty');
        return 0;
      }
      for (const line of entryTable(entries, colours, io.isTerminal ? io.columns : undefined)) {
        io.out(line);
      }
      if (entries.length === limit) {
        const last = oneLine(entries[entries.length - 1]!.id);
        io.out(colours.dim(`${limit} shown; older entries with --before ${last}`));
      }
      return 0;
    },
  };
}

function show(argv: readonly string[], io: Terminal, colours: Paint): Plan | string {
  const { values, positionals } = parse(
    argv,
    { ...STORE_OPTIONS, json: { type: 'boolean' } },
    true,
  );
  if (values.help) return SHOW_HELP;
  const target = targetOf(values, 'show');
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'inbox show needs an entry <id>' : 'inbox show takes one <id>',
    );
  }
  const id = positionals[0]!;
  return {
    target,
    async run(control) {
      const entry = await control.get(id);
      if (entry === undefined) {
        io.err(`uanataca-webhooks: no entry ${oneLine(id)} in ${target.label}`);
        return 1;
      }
      if (values.json) io.out(JSON.stringify(entryJson(entry)));
      else for (const line of entryDetails(entry, colours, Date.now())) io.out(line);
      return 0;
    },
  };
}

/** What replaying one entry did, said in a sentence, and whether that is a failure. */
function replayedOne(id: string, summary: ReplaySummary): { line: string; failed: boolean } {
  const shown = oneLine(id);
  if (summary.replayed > 0) {
    return { line: `entry ${shown} is pending again, queued to be handled`, failed: false };
  }
  if (summary.duplicate > 0) {
    return {
      line: `entry ${shown} now reads as a notification already in the inbox: marked done`,
      failed: false,
    };
  }
  if (summary.busy > 0) {
    return { line: `entry ${shown} is pending or running already: left as it is`, failed: false };
  }
  if (summary.invalid > 0) {
    return {
      line: `entry ${shown} is still not a valid notification: left as it is`,
      failed: true,
    };
  }
  return { line: `no entry ${shown}`, failed: true };
}

/** What replaying a filter did: how many were queued again, then the others. */
function replayedMany(summary: ReplaySummary): string[] {
  const lines = [`${plural(summary.replayed, 'entry', 'entries')} queued again`];
  const { duplicate, busy, invalid } = summary;
  if (duplicate > 0) {
    const reads = duplicate === 1 ? 'invalid entry now reads' : 'invalid entries now read';
    lines.push(`${duplicate} ${reads} as a notification already in the inbox: marked done`);
  }
  if (busy > 0) {
    const them =
      busy === 1
        ? 'entry was pending or running: left as it is'
        : 'entries were pending or running: left as they are';
    lines.push(`${busy} ${them}`);
  }
  if (invalid > 0) {
    const them =
      invalid === 1
        ? 'invalid entry is still not valid: left as it is'
        : 'invalid entries are still not valid: left as they are';
    lines.push(`${invalid} ${them}`);
  }
  return lines;
}

/**
 * What replaying `idOrFilter` would do, without doing it: entries that would be queued again
 * (an invalid one only when this version's parser reads it), and those that would be left.
 * A duplicate cannot be told apart without replaying: it counts as queued again.
 */
async function previewReplay(
  control: InboxControl,
  idOrFilter: string | InboxFilter,
  parseOptions: ParseOptions,
): Promise<{ counts: ReplaySummary; lines: string[] }> {
  const counts = { replayed: 0, duplicate: 0, busy: 0, invalid: 0, missing: 0 };
  const replayable: Partial<Record<InboxEntryStatus, number>> = {};
  const tally = (entry: InboxEntry): void => {
    if (entry.status === 'pending' || entry.status === 'running') counts.busy += 1;
    else if (entry.status === 'invalid' && !safeParseWebhook(entry.body, parseOptions).success) {
      counts.invalid += 1;
    } else {
      counts.replayed += 1;
      replayable[entry.status] = (replayable[entry.status] ?? 0) + 1;
    }
  };
  if (typeof idOrFilter !== 'string') await forEachMatching(control, idOrFilter, tally);
  else {
    const entry = await control.get(idOrFilter);
    if (entry === undefined) counts.missing += 1;
    else tally(entry);
  }
  const detail = byStatus(replayable);
  const left = [
    counts.busy > 0 ? `${counts.busy} pending or running` : '',
    counts.invalid > 0 ? `${counts.invalid} still invalid` : '',
    counts.missing > 0 ? `${counts.missing} missing` : '',
  ].filter(Boolean);
  const lines = [
    `would queue again ${plural(counts.replayed, 'entry', 'entries')}${detail === '' ? '' : ` (${detail})`}; nothing changed`,
    ...(left.length === 0 ? [] : [`would leave as they are: ${left.join(', ')}`]),
  ];
  return { counts, lines };
}

function replay(argv: readonly string[], io: Terminal): Plan | string {
  const { values, positionals } = parse(
    argv,
    {
      ...STORE_OPTIONS,
      ...FILTER_OPTIONS,
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'time-zone': { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return REPLAY_HELP;
  const target = targetOf(values, 'replay');
  const { filter, given } = filterOf(values, Date.now());
  if (positionals.length > 1) throw new UsageError('inbox replay takes one <id>');
  const id = positionals[0];
  if (id !== undefined && (given || values.all)) {
    throw new UsageError('inbox replay takes an <id> or filters, not both');
  }
  if (id === undefined && !given && !values.all) {
    throw new UsageError(
      'inbox replay needs an entry <id>, a filter (such as --status dead) or --all (see --help)',
    );
  }
  const zone = timeZone(values['time-zone']);
  const parseOptions = zone === undefined ? {} : { timeZone: zone };
  return {
    target,
    parse: parseOptions,
    async run(control) {
      if (values['dry-run']) {
        const preview = await previewReplay(control, id ?? filter, parseOptions);
        if (values.json) io.out(JSON.stringify({ ...preview.counts, dryRun: true }));
        else for (const line of preview.lines) io.out(line);
        return id !== undefined && preview.counts.replayed === 0 ? 1 : 0;
      }
      const summary = await control.replay(id ?? filter);
      if (values.json) io.out(JSON.stringify(summary));
      if (id === undefined) {
        if (!values.json) for (const line of replayedMany(summary)) io.out(line);
        return 0;
      }
      const { line, failed } = replayedOne(id, summary);
      if (failed) io.err(`uanataca-webhooks: ${line}`);
      else if (!values.json) io.out(line);
      return failed ? 1 : 0;
    },
  };
}

function purge(argv: readonly string[], io: Terminal): Plan | string {
  const { values } = parse(
    argv,
    {
      ...STORE_OPTIONS,
      ...FILTER_OPTIONS,
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    false,
  );
  if (values.help) return PURGE_HELP;
  const target = targetOf(values, 'purge');
  const { filter } = filterOf(values, Date.now());
  if (filter.status === undefined) {
    if (filter.receivedBefore === undefined && !values.all) {
      throw new UsageError(
        'inbox purge needs --status or --older-than (such as --status done --older-than 7d), or --all',
      );
    }
    // Pending notifications were never handled: deleted only when --status names them.
    filter.status = SETTLED;
  }
  return {
    target,
    async run(control) {
      if (values['dry-run']) {
        const counts: Partial<Record<InboxEntryStatus, number>> = {};
        let total = 0;
        await forEachMatching(control, filter, (entry) => {
          if (entry.status === 'running') return;
          counts[entry.status] = (counts[entry.status] ?? 0) + 1;
          total += 1;
        });
        if (values.json) io.out(JSON.stringify({ purged: total, dryRun: true }));
        else {
          const detail = byStatus(counts);
          io.out(
            `would purge ${plural(total, 'entry', 'entries')}${detail === '' ? '' : ` (${detail})`}; nothing deleted`,
          );
        }
        return 0;
      }
      const purged = await control.purge(filter);
      io.out(
        values.json ? JSON.stringify({ purged }) : `purged ${plural(purged, 'entry', 'entries')}`,
      );
      return 0;
    },
  };
}

function stats(argv: readonly string[], io: Terminal, colours: Paint): Plan | string {
  const { values } = parse(argv, { ...STORE_OPTIONS, json: { type: 'boolean' } }, false);
  if (values.help) return STATS_HELP;
  const target = targetOf(values, 'stats');
  return {
    target,
    async run(control) {
      const report = await control.stats();
      if (values.json) {
        io.out(
          JSON.stringify({
            ...report,
            oldestPendingAt: report.oldestPendingAt?.toISOString() ?? null,
            oldestPendingAgeMs: report.oldestPendingAgeMs ?? null,
          }),
        );
        return 0;
      }
      io.out(colours.dim(`${target.label} (${target.where})`));
      for (const line of statsLines(report, colours)) io.out(line);
      return 0;
    },
  };
}

const COMMANDS: Readonly<Record<string, Command>> = { list, show, replay, purge, stats };

/**
 * Runs `inbox <command>`; resolves with the exit code. The store is opened once the command
 * line is checked, and closed before it resolves, whatever happened.
 */
export async function inbox(argv: readonly string[], io: Terminal): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.out(INBOX_HELP);
    return command === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(
      command.startsWith('-')
        ? `inbox needs its command first: list, show, replay, purge or stats (see --help)`
        : `unknown inbox command "${command}"; use list, show, replay, purge or stats (see --help)`,
    );
  }
  const plan = COMMANDS[command]!(rest, io, paint(io.isTerminal));
  if (typeof plan === 'string') {
    io.out(plan);
    return 0;
  }
  const opened: OpenStore = await plan.target.open();
  try {
    return await plan.run(createInboxControl(opened.store, plan.parse));
  } catch (error) {
    throw opened.explain(error);
  } finally {
    await opened.close().catch(() => {});
  }
}

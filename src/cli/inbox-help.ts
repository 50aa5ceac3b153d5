const STORE = `Store:
  --store <store>        The receiver's inbox: a SQLite file, a postgres:// URL or a
                         redis:// URL (required)
  --schema <name>        PostgreSQL: the schema of its table     (default: search_path)
  --table-prefix <p>     PostgreSQL: its table prefix     (default uanataca_webhooks_)
  --prefix <p>           Redis: its key prefix          (default {uanataca-webhooks}:)
  --redis-client <name>  Redis: the client, ioredis or redis (default: ioredis if there)
  --timeout <ms>         Deadline to connect and of each operation    (default 10000)`;

const FILTERS = `Filters:
  --status <status>      pending, running, done, dead or invalid (repeat it, or
                         separate several with commas)
  --request <id>         Entries of this request id
  --event-type <type>    Entries of this event type
  --older-than <age>     Received more than <age> ago: 30s, 15m, 12h, 7d, 1h30m
  --newer-than <age>     Received less than <age> ago`;

export const INBOX_HELP: string = `Usage: uanataca-webhooks inbox <command> --store <store> [options]

Reads and manages a receiver's durable inbox, in the store it records into: the same
operations as webhooks.inbox.

Commands:
  list                   Entries, newest first, as a table (--json: JSON Lines)
  show <id>              One entry in full: every field, its last error and its body
  replay <id>            Make an entry pending again, for the receiver to handle again
  replay <filters>       The same for every dead, done or invalid entry matching
  purge <filters>        Delete the done, dead and invalid entries matching (pending
                         ones only with --status pending; never a running one)
  stats                  Counts by status, and the age of the oldest pending entry

${STORE}

${FILTERS}

Examples:
  uanataca-webhooks inbox stats --store uanataca-webhooks-inbox.sqlite
  uanataca-webhooks inbox list --store postgres://app@db/app --status dead
  uanataca-webhooks inbox replay --store redis://cache:6379 --status dead
  uanataca-webhooks inbox purge --store inbox.sqlite --status done --older-than 7d

A password in a store's URL is never printed.
Run "uanataca-webhooks inbox <command> --help" for the options of a command.`;

export const LIST_HELP: string = `Usage: uanataca-webhooks inbox list --store <store> [filters] [options]

Prints the entries matching the filters, newest first: id, status, attempts, request,
event type, when it was received (ISO 8601) and the start of its last error.

Options:
  --limit <n>            Entries to print                                (default 20)
  --before <id>          Entries older than entry <id>: the next page
  --json                 One JSON object per entry and line, with every field and the
                         body, for scripts
  -h, --help             Show this help

${FILTERS}

${STORE}`;

export const SHOW_HELP: string = `Usage: uanataca-webhooks inbox show <id> --store <store> [options]

Prints one entry in full: every field, its whole last error and its body (indented when
it is JSON). Exits 1 when there is no such entry.

Options:
  --json                 The entry as one JSON object, the body as received
  -h, --help             Show this help

${STORE}`;

export const REPLAY_HELP: string = `Usage: uanataca-webhooks inbox replay <id> --store <store> [options]
       uanataca-webhooks inbox replay --store <store> <filters> | --all [options]

Makes entries pending again, due now, their attempts counted from zero, and prints how
many: a worker of the receiver then handles them again. A dead or done entry is replayed
as it is; an invalid one is read again with this version's parser, and replayed when it
now reads as a notification. Pending and running entries are left as they are. Without
an <id>, give a filter (such as --status dead) or --all. Exits 1 when the one entry
asked for is missing or still invalid.

Options:
  --all                  Every dead, done and invalid entry
  --dry-run              Count what would be replayed, and change nothing
  --time-zone <zone>     The zone invalid entries' timestamps are read in: the
                         receiver's timeZone option                     (default UTC)
  --json                 The counts as one JSON object
  -h, --help             Show this help

${FILTERS}

${STORE}`;

export const PURGE_HELP: string = `Usage: uanataca-webhooks inbox purge --store <store> <filters> | --all [options]

Deletes the entries matching the filters (never a running one) and prints how many. It
needs --status or --older-than. Without --status it deletes only the entries whose
handling is over: done, dead and invalid ones. A pending notification was never handled:
it is deleted only when --status pending names it. --all stands for every done, dead and
invalid entry (with other filters, every one matching them). Done entries are what makes
a late redelivery a duplicate: keep them as long as redeliveries may come.

Options:
  --all                  Every done, dead and invalid entry
  --dry-run              Count what would be deleted, and delete nothing
  --json                 The count as one JSON object
  -h, --help             Show this help

${FILTERS}

${STORE}

Example:
  uanataca-webhooks inbox purge --store inbox.sqlite --status done --older-than 7d`;

export const STATS_HELP: string = `Usage: uanataca-webhooks inbox stats --store <store> [options]

Prints how many entries there are of each status, and how long ago the oldest pending
one was received.

Options:
  --json                 The counts as one JSON object
  -h, --help             Show this help

${STORE}`;

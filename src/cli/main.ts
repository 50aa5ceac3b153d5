import { UsageError } from './args.js';
import { inbox } from './inbox.js';
import { INBOX_HELP } from './inbox-help.js';
import { LISTEN_HELP, listen } from './listen.js';
import { SEND_HELP, send } from './send.js';

const HELP = `Usage: uanataca-webhooks <command> [options]

Commands:
  listen        Run a receiver that validates, deduplicates and logs notifications
  send <url>    Post realistic notifications to a receiver, as the provider would
  inbox <cmd>   Read and manage a receiver's durable inbox in its SQLite, PostgreSQL or
                Redis store: list, show, replay, purge, stats

Run "uanataca-webhooks <command> --help" for the options of a command.`;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'listen': {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      return listen(rest, out, err, stop.signal);
    }
    case 'send':
      return send(rest, out, err, process.stdout.isTTY === true);
    case 'inbox':
      // A reader that stopped reading (| head) ends the listing, not with a stack trace.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        process.exit(process.exitCode ?? 0);
      });
      return inbox(rest, {
        out,
        err,
        isTerminal: process.stdout.isTTY === true,
        columns: process.stdout.columns,
      });
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      out(`${HELP}\n\n${LISTEN_HELP}\n\n${SEND_HELP}\n\n${INBOX_HELP}`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"; use listen, send or inbox (see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      err(`uanataca-webhooks: ${error.message}`);
      process.exitCode = 2;
    } else {
      err(`uanataca-webhooks: ${(error as Error)?.message ?? String(error)}`);
      process.exitCode = 1;
    }
  },
);

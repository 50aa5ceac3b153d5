/** The line the compiled program prints once every check passed. */
export const CLASSIC_CONSUMER_OK: string;
/** The project's files, by path relative to its folder. */
export function classicConsumerFiles(options: {
  specifiers: readonly string[];
  skipLibCheck: boolean;
}): Record<string, string>;
/**
 * Writes the project into `dir`, where the package and its peers resolve from `node_modules`
 * (its own or an ancestor's), compiles it with `tsc` (a type error fails this step and emits
 * nothing) and runs the CommonJS output. Returns what the program printed; throws with the
 * tools' output when a step fails.
 */
export function checkClassicConsumer(
  dir: string,
  options: { tsc: string; specifiers: readonly string[]; skipLibCheck: boolean },
): string;

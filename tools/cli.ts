/**
 * The command line of the host tools that had none of their own (build, bench, autobahn), on
 * node:util parseArgs as the others (flash, sink, start): `--name value` and `--name=value`,
 * `-h`/`--help` for the usage, and an unknown flag is an error that says so.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine {
  values: { [name: string]: string | boolean | undefined };
  positionals: string[];
}

/**
 * Parses `argv` against `options` (plus --help). Returns null when help was asked for, after
 * printing `usage` with `print`; throws an Error naming the bad argument and pointing at --help.
 */
export function parseCommandLine(argv: string[], options: Options, usage: string, print: (text: string) => void, positionals = false): CommandLine | null {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new Error(`${(error as Error).message} (see --help)`);
  }
  if (parsed.values.help) {
    print(usage);
    return null;
  }
  return { values: parsed.values as CommandLine['values'], positionals: parsed.positionals };
}

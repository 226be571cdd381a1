/**
 * Command lines of the host tools, all on node:util parseArgs: `--name value` and
 * `--name=value`, `-h`/`--help` for the usage, and an unknown flag is an error that says so.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { says, validate, z } from './config-schema';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine {
  values: { [name: string]: string | boolean | undefined };
  positionals: string[];
}

/**
 * node:util parseArgs in strict mode, its values typed by `options`: an unknown flag, a missing
 * value or (unless `positionals`) a stray argument throws, pointing at --help.
 */
export function parseStrict<const T extends Options>(argv: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new Error(`${(error as Error).message} (see --help)`);
  }
}

/**
 * Parses `argv` against `options` (plus --help). Returns null when help was asked for, after
 * printing `usage` with `print`; throws an Error naming the bad argument and pointing at --help.
 */
export function parseCommandLine(argv: string[], options: Options, usage: string, print: (text: string) => void, positionals = false): CommandLine | null {
  const parsed = parseStrict(argv, { ...options, help: { type: 'boolean', short: 'h' } }, positionals);
  if (parsed.values.help) {
    print(usage);
    return null;
  }
  return { values: parsed.values as CommandLine['values'], positionals: parsed.positionals };
}

/**
 * Checks parsed flags against the command's schema (keyed by flag name); returns them typed.
 * @throws Error naming the flag, what it must be and what it got: `--port must be a whole number from 0 to 65535, got "eighty"`.
 */
export function checkFlags<S extends z.ZodType>(schema: S, values: { [name: string]: unknown }): z.output<S> {
  const result = validate(schema, values);
  if (result.ok) return result.value;
  const { path, rule, got } = result.problem;
  throw new Error(`--${path} ${rule}${got === undefined ? '' : `, got ${got}`}`);
}

/** A flag holding a whole number from `min` to `max` (as typed: digits only), `fallback` when absent. */
export function wholeFlag(min: number, max: number, fallback: number) {
  const rule = says(`must be a whole number from ${min} to ${max}`);
  return z
    .string(rule)
    .regex(/^\d+$/, rule)
    .refine((text) => Number(text) >= min && Number(text) <= max, rule)
    .transform(Number)
    .default(fallback);
}

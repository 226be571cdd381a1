/**
 * `npm run bench [-- --quick] [--bin PATH] [--compare FILE] [section…]`: performance benches,
 * printed as one report.
 *
 * Each section lives in its own file and exports a BenchSection; list it in SECTIONS. Naming
 * sections on the command line (e.g. `npm run bench -- host`) runs only those. Options with a
 * value (`--bin PATH` or `--bin=PATH`, see VALUE_FLAGS) reach the sections as `context.flags`.
 */
import { parseCommandLine } from '../cli';
import { hostCodecSection } from './host-codec';
import { interpreterSection } from './interpreter';
import type { BenchContext, BenchSection } from './report';

export const SECTIONS: BenchSection[] = [hostCodecSection, interpreterSection];

/** Options that take a value: `--bin PATH` (an Espruino interpreter), `--compare FILE` (a module to compare with). */
export const VALUE_FLAGS = ['bin', 'compare'];

export const BENCH_USAGE = `usage: npm run bench -- [options] [section…]   (sections: host, interpreter; default all)

  --quick          fewer rounds
  --bin PATH       the Espruino interpreter (default: ESPRUINO_BIN)
  --compare FILE   a module to compare with (e.g. Espruino's ws module, minified)
  -h, --help       this text`;

/** Splits the command line into section names, `--quick`, and valued flags; null for --help. */
export function parseBenchArgs(
  args: string[],
  print: (text: string) => void = console.log,
): { names: string[]; quick: boolean; flags: Record<string, string> } | null {
  const line = parseCommandLine(args, { quick: { type: 'boolean' }, bin: { type: 'string' }, compare: { type: 'string' } }, BENCH_USAGE, print, true);
  if (line === null) return null;
  const flags: Record<string, string> = {};
  for (const name of VALUE_FLAGS) {
    const value = line.values[name];
    if (value === '') throw new Error(`--${name} needs a value`);
    if (typeof value === 'string') flags[name] = value;
  }
  return { names: line.positionals, quick: line.values.quick === true, flags };
}

export async function runBench(args: string[], log: (line: string) => void): Promise<void> {
  const parsed = parseBenchArgs(args, log);
  if (parsed === null) return;
  const { names, quick, flags } = parsed;
  const unknown = names.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  const context: BenchContext = { quick, log, flags };
  for (const section of SECTIONS) {
    if (names.length > 0 && !names.includes(section.name)) continue;
    const started = performance.now();
    log(`== ${section.title}${quick ? ' (quick)' : ''} ==`);
    await section.run(context);
    log(`(${section.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    log('');
  }
}

if (process.argv[1] && /tools[\\/]bench[\\/]index\.ts$/.test(process.argv[1])) {
  runBench(process.argv.slice(2), (line) => console.log(line)).catch((error: Error) => {
    console.error(`bench: ${error.stack || error.message}`);
    process.exit(1);
  });
}

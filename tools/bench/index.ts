/**
 * `npm run bench [-- --quick] [--bin PATH] [--compare FILE] [section…]`: performance benches,
 * printed as one report.
 *
 * Each section lives in its own file and exports a BenchSection; list it in SECTIONS. Naming
 * sections on the command line (e.g. `npm run bench -- host`) runs only those. Options with a
 * value (`--bin PATH` or `--bin=PATH`, see VALUE_FLAGS) reach the sections as `context.flags`.
 */
import { hostCodecSection } from './host-codec';
import { interpreterSection } from './interpreter';
import type { BenchContext, BenchSection } from './report';

export const SECTIONS: BenchSection[] = [hostCodecSection, interpreterSection];

/** Options that take a value: `--bin PATH` (an Espruino interpreter), `--compare FILE` (a module to compare with). */
export const VALUE_FLAGS = ['bin', 'compare'];

/** Splits the command line into section names, `--quick`, and valued flags. */
export function parseBenchArgs(args: string[]): { names: string[]; quick: boolean; flags: Record<string, string> } {
  const names: string[] = [];
  const flags: Record<string, string> = {};
  let quick = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq > 0 ? eq : undefined);
      if (!VALUE_FLAGS.includes(name)) throw new Error(`unknown option ${arg}; known: --quick, ${VALUE_FLAGS.map((f) => `--${f}`).join(', ')}`);
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new Error(`--${name} needs a value`);
      flags[name] = value;
    } else names.push(arg);
  }
  return { names, quick, flags };
}

export async function runBench(args: string[], log: (line: string) => void): Promise<void> {
  const { names, quick, flags } = parseBenchArgs(args);
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

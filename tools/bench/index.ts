/**
 * `npm run bench [-- --quick] [section…]`: performance benches, printed as one report.
 *
 * Each section lives in its own file and exports a BenchSection; list it in SECTIONS. Naming
 * sections on the command line (e.g. `npm run bench -- host`) runs only those.
 */
import { hostCodecSection } from './host-codec';
import type { BenchContext, BenchSection } from './report';

export const SECTIONS: BenchSection[] = [hostCodecSection];

export async function runBench(args: string[], log: (line: string) => void): Promise<void> {
  const quick = args.includes('--quick');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  const context: BenchContext = { quick, log };
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

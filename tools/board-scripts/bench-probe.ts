/**
 * The interpreter bench's first run in an interpreter (probeScript in
 * tools/bench/interpreter-harness.ts): prints `IBENCH probe total=… blocksize=… free=…`, the
 * pool of an otherwise empty program.
 */
import type { EspruinoGlobal } from './espruino.ts';

declare const global: EspruinoGlobal;
declare function quit(): void;

var m = global.process.memory();
console.log('IBENCH probe total=' + m.total + ' blocksize=' + m.blocksize + ' free=' + m.free);
setTimeout(quit, 1);

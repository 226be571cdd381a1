/**
 * The interpreter bench's smallest measurement (residentScript in tools/bench/interpreter-harness.ts):
 * requires the module in Storage file BENCH.module and prints `IBENCH resident vars=… free=…`,
 * the JsVars in use after require minus before (both garbage collected). Small enough to run
 * where the echo harness does not fit beside the module. The host puts `var BENCH={…};` in front.
 */
import type { EspruinoGlobal } from './espruino.ts';

declare const BENCH: { module: string };
declare const global: EspruinoGlobal;
declare function quit(): void;
declare function require(name: string): unknown;

var PROCESS = global.process;
var U0 = PROCESS.memory().usage;
var M = require(BENCH.module);
var R = PROCESS.memory().usage - U0;
void M; // held in a variable while measured, as the echo harness holds it
console.log('IBENCH resident vars=' + R + ' free=' + PROCESS.memory().free);
setTimeout(quit, 1);

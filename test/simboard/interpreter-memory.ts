/**
 * Measures what a program holds in a real Espruino interpreter (a Linux build with an ESP32-like
 * or ESP8266-like pool), for the calibration of the simulated board's memory model: the figures
 * recorded in fixtures/memory-calibration.ts come from here, and memory-real.test.ts re-measures
 * them when ESPRUINO_BIN / ESPRUINO8266_BIN are set.
 *
 * Code goes where a board keeps it: a module or `.bootcde` is written to the interpreter's
 * Storage (its `espruino.flash`, one run per chunk) and then required or booted. These builds
 * define SPIFLASH_BASE, so a Storage file is read as a flash string and the functions parsed
 * from it keep their code in flash, one variable each, as on an ESP32 or ESP8266, where Storage
 * is memory-mapped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runEspruino } from '../../tools/espruino-process.ts';
import { CALIBRATION_PROGRAM } from './fixtures/memory-calibration.ts';

/** A JavaScript string literal of `bytes` (each char one byte), safe to write as latin1. */
export function byteLiteral(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    const ch = bytes[i]!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A scratch folder for one interpreter's Storage; removed by the returned function. */
export function scratch(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'simboard-interp-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A probe's answer, printed at the start of a line or after the console's prompt (not its echo). */
const RESULT = /(?:^|>)RESULT (.*?)\r?$/;

const crashed = (output: string): boolean => /OUT OF MEMORY|ASSERT|Segmentation/.test(output);

/** Writes `text` (UTF-8 on the board: its bytes) to Storage file `name` in `dir`'s interpreter, a chunk per run. */
export async function writeStorage(bin: string, dir: string, name: string, text: string, chunk = 1500): Promise<void> {
  const bytes = Buffer.from(text, 'utf8').toString('latin1');
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    const part = byteLiteral(bytes.slice(offset, offset + chunk));
    const args = offset === 0 ? `${part},0,${bytes.length}` : `${part},${offset}`;
    const script = `print(require('Storage').write(${JSON.stringify(name)},${args})?'WROTE':'FAILED');quit();\n`;
    const run = await runEspruino(bin, Buffer.from(script, 'latin1'), { cwd: dir, timeoutMs: 60_000, crashed });
    if (!run.output.includes('WROTE')) throw new Error(`writing ${name} at ${offset} failed:\n${run.output.slice(-500)}`);
  }
  const check = await runEspruino(bin, `var f=require('Storage').read(${JSON.stringify(name)});print('LEN '+(f?f.length:-1));quit();\n`, {
    cwd: dir,
    timeoutMs: 60_000,
    crashed,
  });
  const length = Number(/LEN (-?\d+)/.exec(check.output)?.[1]);
  if (length !== bytes.length) throw new Error(`${name} in Storage is ${length} bytes, not ${bytes.length}`);
}

/** Runs `script` as a file in `dir` until it prints `RESULT …` (returned) or fails (its output thrown). */
export async function runForResult(bin: string, dir: string, script: string, timeoutMs = 120_000): Promise<string> {
  let result: string | undefined;
  const run = await runEspruino(bin, script, {
    cwd: dir,
    timeoutMs,
    crashed: (output) => crashed(output) || /(?:^|\n|>)RESULT [^\n]*\n/.test(output),
    onLine: (line) => {
      const found = RESULT.exec(line);
      if (found) result = found[1];
    },
  });
  result ??= resultIn(run.output);
  if (result === undefined) throw new Error(`no RESULT line (exit ${run.code}${run.timedOut ? ', timed out' : ''}):\n${run.output.slice(-1500)}`);
  return result;
}

/** The RESULT line in a whole (cleaned) output, if any. */
function resultIn(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const found = RESULT.exec(line);
    if (found) return found[1];
  }
  return undefined;
}

/**
 * Boots the interpreter in `dir` as a board boots (its `.bootcde` from Storage, then the
 * console), waits until `ready` says so of the output, types `probe` (one line) at the console
 * and returns the `RESULT …` line it prints, or `OUT OF MEMORY` when the boot ran out.
 */
export async function bootForResult(bin: string, dir: string, ready: (output: string) => boolean, probe: string, timeoutMs = 120_000): Promise<string> {
  let result: string | undefined;
  let typed = false;
  let booted = false;
  const run = await runEspruino(bin, '', {
    cwd: dir,
    args: [],
    timeoutMs,
    crashed: (output) => /OUT OF MEMORY/.test(output) || result !== undefined,
    onLine: (line) => {
      const found = RESULT.exec(line);
      if (found) result = found[1];
    },
    started: (child, output) => {
      const poll = setInterval(() => {
        if (child.exitCode !== null || child.signalCode !== null) return clearInterval(poll);
        if (!booted && ready(output())) {
          booted = true;
          return;
        }
        // One poll after it is ready, so that what ready() saw has settled.
        if (booted && !typed) {
          typed = true;
          clearInterval(poll);
          child.stdin!.write(`${probe}\n`);
        }
      }, 1000);
    },
  });
  result ??= resultIn(run.output);
  if (/OUT OF MEMORY/.test(run.output) && result === undefined) return 'OUT OF MEMORY';
  if (result === undefined) throw new Error(`no RESULT line (exit ${run.code}${run.timedOut ? ', timed out' : ''}):\n${run.output.slice(-1500)}`);
  return result;
}

/** The line typed or run to read the pool: `RESULT <vars in use>`. */
export const USAGE_PROBE = 'print("RESULT "+process.memory().usage)';

/** The script that requires the wsclient module from Storage, opens `url` and reads the pool once it is open. */
export function moduleScript(url: string): string {
  return (
    `var WS=require("wsclient").WebSocket;var ws=new WS(${JSON.stringify(url)});` +
    `ws.onopen=function(){setTimeout(function(){${USAGE_PROBE};ws.close();},500);};\n`
  );
}

/** The firmware's FLASH_CONFIG line, as `npm run flash` puts it before the firmware. */
export function firmwarePrelude(server: string, deviceId: string): string {
  return `var FLASH_CONFIG = ${JSON.stringify({ server, deviceId, app: { sampleInterval: 1000 } })};\n`;
}

/** Vars in use (or 'OUT OF MEMORY') with the wsclient module required from Storage, and one connection open to `url` if given. */
export async function measureModule(bin: string, module: string, url: string | undefined): Promise<number | 'OUT OF MEMORY'> {
  const { dir, remove } = scratch();
  try {
    await writeStorage(bin, dir, 'wsclient', module);
    const result = await runForResult(bin, dir, url === undefined ? REQUIRE_SCRIPT : moduleScript(url)).catch((error: Error) => {
      if (/OUT OF MEMORY/.test(error.message)) return 'OUT OF MEMORY';
      throw error;
    });
    return result === 'OUT OF MEMORY' ? result : Number(result);
  } finally {
    remove();
  }
}

/**
 * Vars in use (or 'OUT OF MEMORY') with `firmware` (FLASH_CONFIG line included) booted from
 * Storage as `.bootcde`, read at the console once `ready()` (polled every second) says so.
 */
export async function measureFirmware(bin: string, firmware: string, ready: (output: string) => boolean): Promise<number | 'OUT OF MEMORY'> {
  const { dir, remove } = scratch();
  try {
    await writeStorage(bin, dir, '.bootcde', firmware);
    const result = await bootForResult(bin, dir, ready, USAGE_PROBE);
    return result === 'OUT OF MEMORY' ? result : Number(result);
  } finally {
    remove();
  }
}

/** The script that requires the wsclient module from Storage and reads the pool (no connection). */
export const REQUIRE_SCRIPT = `var WS=require("wsclient").WebSocket;${USAGE_PROBE};\n`;

/** CALIBRATION_PROGRAM as the interpreter runs it for the fixture: its CAL line printed as RESULT, then quit(). */
export function calibrationScript(): string {
  return `${CALIBRATION_PROGRAM.replace("print('CAL ' +", "print('RESULT ' +")}quit();\n`;
}

/**
 * Runs one script in an Espruino Linux build (`bin`), for the real-interpreter tests and the
 * interpreter bench. The interpreter works in a scratch folder (it may create espruino.flash
 * there). Its console reads stdin and spins at 100% CPU on a closed or /dev/null stdin, so
 * stdin is a pipe kept open until the process ends. The child (only it, by its PID) is killed
 * at the timeout, and half a second after the output shows a crash (an internal assert, an
 * aborted top level, running out of memory), after which nothing useful follows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface EspruinoRun {
  /** Everything printed, read as latin1, without carriage returns and the console's `ESC [J`. */
  output: string;
  /** Exit code; null when killed. */
  code: number | null;
  timedOut: boolean;
}

export interface EspruinoRunOptions {
  timeoutMs: number;
  /** Each complete output line as it arrives, with the running child (e.g. to read its CPU time). */
  onLine?: ((line: string, child: ChildProcess) => void) | undefined;
  /** Whether the output so far shows a crash that ends the run. */
  crashed: (output: string) => boolean;
  /** Called once the child runs: e.g. to type at its console. */
  started?: ((child: ChildProcess, output: () => string) => void) | undefined;
  /**
   * A folder to run in, kept afterwards (default: a scratch folder, removed): runs that share
   * one share its espruino.flash, i.e. the interpreter's Storage.
   */
  cwd?: string | undefined;
  /**
   * The interpreter's arguments instead of `script.js` (still written to the scratch folder),
   * e.g. `['--telnet']` for an interactive interpreter with a telnet console on port 2323.
   */
  args?: string[] | undefined;
}

/** Runs `script` (bytes, or a string written as UTF-8) in the interpreter `bin`. */
export function runEspruino(bin: string, script: string | Buffer, options: EspruinoRunOptions): Promise<EspruinoRun> {
  const dir = options.cwd ?? mkdtempSync(path.join(tmpdir(), 'espruino-run-'));
  const cleanUp = (): void => {
    if (options.cwd === undefined) rmSync(dir, { recursive: true, force: true });
  };
  writeFileSync(path.join(dir, 'script.js'), script);
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(bin, options.args ?? ['script.js'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    let timedOut = false;
    let dying = false;
    const kill = (): void => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    };
    const collect = (data: Buffer): void => {
      const text = data.toString('latin1');
      output += text;
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (options.onLine) options.onLine(line, child);
      }
      if (!dying && options.crashed(output)) {
        dying = true;
        setTimeout(kill, 500);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    if (options.started) options.started(child, () => output);
    child.on('error', (error) => {
      clearTimeout(timer);
      cleanUp();
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin!.end();
      cleanUp();
      resolve({ output: output.replace(/\r/g, '').replace(/\x1b\[J/g, ''), code, timedOut });
    });
  });
}

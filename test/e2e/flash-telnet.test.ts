/**
 * `npm run flash` to a real Espruino over its telnet console, end to end: the Espruino Linux
 * builds (ESPRUINO_BIN: ESP32-like memory, ESPRUINO8266_BIN: ESP8266-like) run with `--telnet`,
 * which listens on 127.0.0.1:2323 as a board listens on port 23; the tool builds the firmware,
 * uploads it there (storage and RAM mode) and checks what the board did; the sink receives
 * the readings. Each test prints what the tool reported and what the sink received.
 *
 * The interpreter's telnet port is fixed at 2323, so these tests run one interpreter at a time
 * and wait (or fail, saying so) while another process holds the port.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runEspruino, type EspruinoRun } from '../../tools/espruino-process.ts';
import { main as flash } from '../../tools/flash.ts';
import { startSink, type Sink } from '../../tools/sink/index.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const TELNET = 2323;
const PORT = `tcp://127.0.0.1:${TELNET}`;
const BINS = { esp32: process.env.ESPRUINO_BIN, esp8266: process.env.ESPRUINO8266_BIN } as const;
const VARIABLE = { esp32: 'ESPRUINO_BIN', esp8266: 'ESPRUINO8266_BIN' } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts connections on 127.0.0.1:2323. */
function listening(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(TELNET, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** An interpreter with a telnet console on 2323, in a scratch folder (it writes espruino.flash there). */
class Interpreter {
  child: ChildProcess | undefined;
  run: Promise<EspruinoRun> | undefined;
  output: () => string = () => '';

  static async start(bin: string): Promise<Interpreter> {
    for (let waited = 0; await listening(); waited += 1000) {
      if (waited > 60_000) throw new Error(`127.0.0.1:${TELNET} is in use by another process for 60 s (another Espruino --telnet?); its telnet port is fixed`);
      await sleep(1000);
    }
    const interpreter = new Interpreter();
    interpreter.run = runEspruino(bin, '', {
      args: ['--telnet'],
      timeoutMs: 600_000, // a safety net; the test kills it
      crashed: () => false, // an interpreter that dies is part of what the tool must report
      started: (child, output) => {
        interpreter.child = child;
        interpreter.output = output;
      },
    });
    for (let waited = 0; !(await listening()); waited += 200) {
      if (waited > 30_000) throw new Error(`the interpreter did not open its telnet console; it printed:\n${interpreter.output()}`);
      await sleep(200);
    }
    return interpreter;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL'); // it ignores SIGTERM
    await this.run;
  }
}

interface Flashed {
  code: number;
  logs: string[];
  errors: string[];
}

/** Runs `npm run flash -- --port tcp://127.0.0.1:2323` for `board` in a scratch project. */
async function flashOverTelnet(board: 'esp32' | 'esp8266', save: 'storage' | 'ram', server: string, deviceId: string): Promise<Flashed> {
  const root = mkdtempSync(path.join(tmpdir(), 'flash-e2e-'));
  try {
    copyFileSync(path.join(REPO_ROOT, 'flash.config.json'), path.join(root, 'flash.config.json'));
    // Over telnet the firmware must keep its console open, or the tool could not check it.
    writeFileSync(path.join(root, 'flash.local.json'), JSON.stringify({ telnet: true, app: { sampleInterval: 500 } }));
    const logs: string[] = [];
    const errors: string[] = [];
    const env = { WIFI_SSID: 'none', WIFI_PASSWORD: 'none', WS_SERVER_URL: server, DEVICE_ID: deviceId, FLASH_SAVE: save };
    const code = await flash(['--board', board, '--port', PORT], env, {
      root,
      log: (line) => logs.push(line),
      error: (line) => errors.push(line),
      listPorts: () => [],
    });
    return { code, logs, errors };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('npm run flash over telnet to a real Espruino interpreter', function () {
  this.timeout(600_000);
  let interpreter: Interpreter | undefined;
  let sink: Sink | undefined;
  afterEach(async () => {
    await interpreter?.stop();
    await sink?.close();
    interpreter = undefined;
    sink = undefined;
  });

  /** Readings the sink has accepted from `id`. */
  const received = (id: string): number => sink!.stats().devices[id]?.received ?? 0;
  async function readings(id: string, count: number, ms: number): Promise<number> {
    for (const deadline = Date.now() + ms; received(id) < count && Date.now() < deadline; ) await sleep(200);
    return received(id);
  }
  function report(what: string, result: Flashed, id: string): void {
    const said = [...result.logs.filter((line) => line.startsWith('flash:')), ...result.errors].map((line) => `        ${line.split('\n').join('\n        ')}`);
    console.log(`      ${what}: exit ${result.code}; the sink received ${JSON.stringify(sink!.stats().devices[id] ?? 'nothing')}\n${said.join('\n')}`);
  }

  for (const board of ['esp32', 'esp8266'] as const) {
    describe(`${board} (${VARIABLE[board]})`, () => {
      before(function () {
        if (!BINS[board]) {
          console.log(`      (skipped: ${VARIABLE[board]} is not set; point it at an Espruino Linux build to run these)`);
          this.skip();
        }
      });

      it("storage mode: done exactly when the firmware streams; otherwise the failure, with the board's words", async () => {
        interpreter = await Interpreter.start(BINS[board]!);
        sink = await startSink({ host: '127.0.0.1', port: 0, log: () => {} });
        const id = `e2e-${board}-storage`;
        const result = await flashOverTelnet(board, 'storage', sink.wsUrl, id);
        const got = await readings(id, 3, result.code === 0 ? 60_000 : 10_000);
        report(`${board} storage`, result, id);
        if (result.code === 0) {
          expect(result.logs.at(-1)).to.match(
            /^flash: done, ESP\w+ \S+ at tcp:\/\/127\.0\.0\.1:2323 has the firmware in Storage \(\.bootcde\) and is running it; it reports WSCLIENT_STATUS = "started"\.$/,
          );
          expect(got, 'readings at the sink after "done"').to.be.at.least(3);
        } else {
          // E.g. the ESP8266-like interpreter, which runs out of memory at boot with this firmware.
          expect(result.errors).to.have.length(1);
          expect(result.errors[0]).to.match(/^flash: upload to tcp:\/\/127\.0\.0\.1:2323: the code was sent, but /);
          expect(result.logs.join('\n')).not.to.contain('flash: done');
          expect(got, 'readings at the sink after a reported failure').to.equal(0);
        }
        if (board === 'esp32') expect(result.code, 'the ESP32-like interpreter has the memory for the firmware').to.equal(0);
      });

      it('RAM mode: refused when it cannot fit; otherwise done exactly when the firmware streams', async () => {
        interpreter = await Interpreter.start(BINS[board]!);
        sink = await startSink({ host: '127.0.0.1', port: 0, log: () => {} });
        const id = `e2e-${board}-ram`;
        const result = await flashOverTelnet(board, 'ram', sink.wsUrl, id);
        const got = await readings(id, 3, result.code === 0 ? 60_000 : 10_000);
        report(`${board} RAM`, result, id);
        if (result.code === 0) {
          expect(result.logs.at(-1)).to.match(/is running the firmware from RAM \(lost on reset\); it reports WSCLIENT_STATUS = "started"\.$/);
          expect(got).to.be.at.least(3);
        } else {
          expect(result.errors).to.have.length(1);
          expect(result.errors[0]).to.match(
            /^flash: (refusing to upload in RAM mode: \d+ bytes of code need about \d+ variables there .* the board has \d+ of \d+ free after reset\(\)\.|upload to tcp:\/\/127\.0\.0\.1:2323: the code was sent, but )/,
          );
          expect(got).to.equal(0);
        }
      });

      it('npm run monitor: the console of the interpreter, over telnet', async () => {
        interpreter = await Interpreter.start(BINS[board]!);
        const { spawn } = await import('node:child_process');
        const monitor = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tools/monitor.ts'), '--port', PORT], {
          cwd: REPO_ROOT,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let output = '';
        monitor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
        monitor.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
        const exited = new Promise<number | null>((resolve) => monitor.on('close', resolve));
        try {
          while (!interpreter.output().includes('-> Telnet')) await sleep(100); // the console has moved to telnet
          monitor.stdin.write('print(6*7, process.env.BOARD)\n');
          while (!/42 ESP\w+/.test(output)) await sleep(100);
          monitor.stdin.end();
          expect(await exited).to.equal(0);
        } finally {
          if (monitor.pid !== undefined && monitor.exitCode === null) process.kill(monitor.pid, 'SIGKILL');
        }
        expect(output).to.match(/42 ESP(32|8266)SIM/);
      });
    });
  }
});

import net from 'node:net';
import { expect } from 'chai';
import { configPrelude, ramVarsNeeded, ramVerdict } from '../../tools/flash.ts';
import { fixtureBytes, makeProject, replayOnBoard, SETTINGS_ENV, type Project } from './fixtures/harness.ts';
import { at } from '../helpers/at.ts';

/** What the scripted board does when the uploaded code runs (at load(), or at the end of a RAM upload). */
interface Boot {
  /** Lines it prints. */
  lines: string[];
  /** The value it leaves in WSCLIENT_STATUS; unset if undefined. */
  status?: string | undefined;
}

interface Script {
  board: { BOARD: string; VERSION: string } | 'silent';
  /** process.memory()'s answer. */
  memory?: { free: number; total: number; usage: number; blocksize: number };
  boot?: Boot;
  /** load() resets the TCP connection, as Espruino's telnet console does. */
  dropOnLoad?: boolean;
  /** After load() the console stops listening (a crashed board; an app that turned telnet off). */
  goneAfterLoad?: boolean;
}

/**
 * A stand-in for an Espruino console on TCP (as on port 23 of a board), scripted per test:
 * answers each line with a prompt and the tools' queries (process.env, process.memory(),
 * WSCLIENT_STATUS) from its state, forgets its globals on reset(), "runs" the code at
 * load() or at the end of a RAM upload (script.boot), and records every byte it receives.
 */
class FakeConsole {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  received = Buffer.alloc(0);
  globals: Record<string, string> = {};
  connections = 0;

  constructor(readonly script: Script) {
    this.server = net.createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {}); // the tool may reset the connection
      let line = '';
      socket.on('data', (chunk) => {
        this.received = Buffer.concat([this.received, chunk]);
        if (script.board === 'silent') return;
        for (const char of chunk.toString('latin1')) {
          line += char;
          if (char !== '\n') continue;
          this.execute(line.replace(/^\x10/, '').trimEnd(), socket);
          line = '';
        }
      });
    });
  }

  private execute(line: string, socket: net.Socket): void {
    const answer = (value: unknown): boolean => socket.write(`< << ${JSON.stringify(value)} >> >\r\n>`);
    if (line.includes('process.env.BOARD')) answer(this.script.board);
    else if (line.includes('process.memory()')) answer(this.script.memory);
    else if (line.includes('WSCLIENT_STATUS')) answer(this.globals.WSCLIENT_STATUS ?? null);
    else if (line === 'reset();') {
      this.globals = {};
      socket.write('\r\n>');
    } else if (line === 'load()') {
      this.globals = {};
      if (this.script.goneAfterLoad) this.server.close();
      if (this.script.dropOnLoad || this.script.goneAfterLoad) {
        socket.resetAndDestroy(); // RST, as when Espruino's telnet console restarts
        this.boot(() => {});
      } else this.boot((text) => socket.write(text));
    } else {
      socket.write('\r\n>');
      if (/\}\)\(\);$/.test(line)) this.boot((text) => socket.write(text)); // the bundle's last statement ran
    }
  }

  private boot(print: (text: string) => void): void {
    const boot = this.script.boot;
    if (!boot) return;
    for (const text of boot.lines) print(`${text}\r\n`);
    if (boot.status !== undefined) this.globals.WSCLIENT_STATUS = boot.status;
    print('>');
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `tcp://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise((resolve) => this.server.close(resolve));
  }

  /** What the board would have executed: the received lines without the echo-off (\x10) markers. */
  lines(): string[] {
    return this.received
      .toString('latin1')
      .split('\n')
      .map((line) => line.replace(/^\x10/, ''));
  }
}

const ESP32 = { BOARD: 'ESP32', VERSION: '2v29' };
const STARTED: Boot = { lines: ['[wsclient] streaming to ws://192.168.1.10:8080/ws as kitchen-1'], status: 'started' };
/** What Espruino prints when the firmware runs out of memory at boot (ESP8266-like interpreter). */
const OUT_OF_MEMORY: Boot = {
  lines: ['OUT OF MEMORY    at St (:1:91)', '...t(e);let t=null;try{t=N("Wifi")}catch(u){t=null}let n=be(i.a...', '^', 'Execution Interrupted'],
};

describe('tools/flash upload (fake Espruino console over tcp://)', () => {
  let project: Project;
  let board: FakeConsole;
  beforeEach(() => {
    project = makeProject(undefined, { telnet: true }); // over tcp:// the firmware must keep telnet on
  });
  afterEach(async () => {
    project.dispose();
    await board.stop();
  });

  it('checks the board, resets it, writes .bootcde byte for byte, then load()s it', async () => {
    board = new FakeConsole({ board: ESP32, boot: STARTED });
    const port = await board.start();
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(0);
    expect(project.errors).to.deep.equal([]);
    expect(project.logs.at(-1)).to.equal(
      `flash: done, ESP32 2v29 at ${port} has the firmware in Storage (.bootcde) and is running it; it reports WSCLIENT_STATUS = "started".`,
    );

    const lines = board.lines();
    const reset = lines.indexOf('reset();');
    expect(lines.findIndex((line) => line.includes('process.env.BOARD'))).to.be.within(0, reset);
    const writes = lines.filter((line) => line.startsWith('require("Storage").write('));
    expect(lines.indexOf(at(writes, 0, 'Storage writes'))).to.be.greaterThan(reset);
    // load() is the last line of the code; the status query follows, once the board has restarted.
    const sentLines = lines.filter((line) => line !== '');
    expect(sentLines.at(-2)).to.equal('load()');
    expect(sentLines.at(-1)).to.equal('print("<","<<",JSON.stringify(typeof WSCLIENT_STATUS==="undefined"?null:WSCLIENT_STATUS),">>",">")');
    // Bytes >= 0x80 travel as single bytes over TCP too (the tools would send them as UTF-8).
    const settings = {
      wifi: { ssid: SETTINGS_ENV.WIFI_SSID, password: SETTINGS_ENV.WIFI_PASSWORD },
      server: SETTINGS_ENV.WS_SERVER_URL,
      deviceId: SETTINGS_ENV.DEVICE_ID,
      telnet: true,
    };
    expect(replayOnBoard(writes.join('\n')).files).to.deep.equal({ '.bootcde': configPrelude(settings) + fixtureBytes('firmware.js') });
  });

  it('--library-only writes Storage file "wsclient"', async () => {
    board = new FakeConsole({ board: { BOARD: 'ESP8266_4MB', VERSION: '2v29' } });
    const port = await board.start();
    expect(await project.run(['--library-only', '--board', 'esp8266', '--port', port])).to.equal(0);
    const writes = board.lines().filter((line) => line.startsWith('require("Storage").write('));
    expect(replayOnBoard(writes.join('\n')).files).to.deep.equal({ wsclient: fixtureBytes('wsclient.js') });
    expect(project.logs.at(-1)).to.contain('has module "wsclient" in Storage');
  });

  it('refuses a board other than the configured one, before sending code', async () => {
    board = new FakeConsole({ board: { BOARD: 'ESP8266_4MB', VERSION: '2v29' } });
    const port = await board.start();
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.deep.equal([`flash: upload to ${port} failed: the board is ESP8266_4MB 2v29, not the configured board (ESP32)`]);
    expect(board.lines()).not.to.include('reset();');
  });

  it('reports a console that does not answer', async () => {
    board = new FakeConsole({ board: 'silent' });
    const port = await board.start();
    expect(await project.run(['--port', port, '--baud', '9600'], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.deep.equal([
      `flash: upload to ${port} failed: no answer from an Espruino console at 9600 baud (is Espruino flashed? ESP32 and ESP8266 consoles run at 115200 baud)`,
    ]);
  });

  it('reports a connection failure with the error', async () => {
    board = new FakeConsole({ board: 'silent' });
    const port = await board.start();
    await board.stop(); // nothing listens there any more
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.have.length(1);
    expect(project.errors[0]).to.match(new RegExp(`^flash: upload to ${port} failed: cannot reach ${port}: connect ECONNREFUSED`));
  });
});

describe('tools/flash upload: what the board did with the code (scripted console)', () => {
  let project: Project;
  let board: FakeConsole;
  beforeEach(() => {
    project = makeProject(undefined, { telnet: true });
  });
  afterEach(async () => {
    project.dispose();
    await board.stop();
  });

  /** The single error line of a failed run. */
  async function failure(argv: string[], env: Record<string, string>): Promise<string> {
    expect(await project.run(argv, env)).to.equal(1);
    expect(project.errors).to.have.length(1);
    return at(project.errors, 0, 'errors');
  }

  it('load() resetting the telnet connection is not a failure: it reconnects and reads the status back', async () => {
    board = new FakeConsole({ board: ESP32, boot: STARTED, dropOnLoad: true });
    const port = await board.start();
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(0);
    expect(project.errors).to.deep.equal([]);
    expect(board.connections).to.equal(2);
    expect(project.logs.at(-1)).to.equal(
      `flash: done, ESP32 2v29 at ${port} has the firmware in Storage (.bootcde) and is running it; it reports WSCLIENT_STATUS = "started".`,
    );
  });

  it("reports a firmware that ran out of memory at boot, with the board's lines and what to do", async () => {
    board = new FakeConsole({ board: ESP32, boot: OUT_OF_MEMORY });
    const port = await board.start();
    const error = await failure(['--port', port], SETTINGS_ENV);
    expect(error).to.match(new RegExp(`^flash: upload to ${port}: the code was sent, but the board ran out of memory\\.\\n`));
    expect(error).to.contain('  board| OUT OF MEMORY    at St (:1:91)\n');
    expect(error).to.contain('  board| Execution Interrupted\n');
    expect(error).to.contain('"save": "storage"');
    expect(error).to.contain('bufferCapacity');
    expect(project.logs.join('\n')).not.to.contain('flash: done');
  });

  it('reports the firmware\'s own "cannot start" after a dropped connection', async () => {
    board = new FakeConsole({
      board: ESP32,
      boot: { lines: ['[wsclient] cannot start: "sampleInterval" must be at least 100'], status: undefined },
      dropOnLoad: true,
    });
    const port = await board.start();
    // The lines printed while the connection is down are lost; the status tells.
    const error = await failure(['--port', port], SETTINGS_ENV);
    expect(error).to.contain('the firmware did not report that it started (WSCLIENT_STATUS is null, expected "started")');
  });

  it('reports "cannot start" with its line when the console keeps the connection (serial)', async () => {
    board = new FakeConsole({ board: ESP32, boot: { lines: ['[wsclient] cannot start: "sampleInterval" must be at least 100'] } });
    const port = await board.start();
    const error = await failure(['--port', port], SETTINGS_ENV);
    expect(error).to.contain('the firmware could not start.\nThe board said:\n  board| [wsclient] cannot start: "sampleInterval" must be at least 100\n');
  });

  it('reports a console that does not come back after load()', async () => {
    board = new FakeConsole({ board: ESP32, boot: STARTED, goneAfterLoad: true });
    const port = await board.start();
    const error = await failure(['--port', port], SETTINGS_ENV);
    expect(error).to.contain(`the board's console did not answer afterwards (no console at ${port} for 3 s after load())`);
  });

  it('--library-only: a console that does not come back (the app closed telnet) is a note, not a failure; a crash is a failure', async () => {
    board = new FakeConsole({ board: ESP32, boot: STARTED, goneAfterLoad: true });
    const port = await board.start();
    expect(await project.run(['--library-only', '--port', port])).to.equal(0);
    expect(project.logs.at(-2)).to.equal(
      `flash: note: the console did not answer after load() (no console at ${port} for 3 s after load()), so whether the app in .bootcde restarted cleanly is unchecked; \`npm run monitor\` shows what the board prints.`,
    );
    expect(project.logs.at(-1)).to.equal(`flash: done, ESP32 2v29 at ${port} has module "wsclient" in Storage.`);
    await board.stop();
    board = new FakeConsole({ board: ESP32, boot: OUT_OF_MEMORY });
    const port2 = await board.start();
    project.logs.length = 0;
    expect(await failure(['--library-only', '--port', port2], {})).to.match(/the code was sent, but the board ran out of memory\./);
  });

  it('refuses a tcp:// upload of the firmware while "telnet" is false, before building', async () => {
    project.dispose();
    project = makeProject();
    board = new FakeConsole({ board: ESP32 });
    const port = await board.start();
    const error = await failure(['--port', port], SETTINGS_ENV);
    expect(error).to.match(
      /^flash: refusing to upload over the telnet console \(tcp:\/\/127\.0\.0\.1:\d+\) while "telnet" is false: the firmware turns that console off/,
    );
    expect(error).to.contain('Set "telnet": true in flash.local.json');
    expect(project.builds).to.deep.equal([]);
    expect(board.connections).to.equal(0);
  });

  describe('RAM mode', () => {
    const RAM = { ...SETTINGS_ENV, FLASH_SAVE: 'ram' };
    const bundle = fixtureBytes('firmware.js');

    it('the RAM rule matches the real interpreters: the 48 KB firmware does not fit an ESP32, a 38.7 KB bundle does', () => {
      // Measured on the Linux builds (see ramVarsNeeded): 16,312 of 16,383 variables free after
      // reset(); the firmware sent in RAM mode ran out of memory; a 38,722-byte IIFE needed 10,560.
      const esp32 = { free: 16312, total: 16383, blocksize: 14 };
      expect(ramVerdict(48_174, esp32)).to.equal(false);
      expect(ramVerdict(38_722, esp32)).to.equal(true);
      expect(ramVarsNeeded(38_722, 14)).to.be.within(10_560, 16_312);
      expect(ramVerdict(20_000, { free: 1542, total: 1600, blocksize: 12 })).to.equal(false);
    });

    it('asks for the free memory after reset() and refuses a bundle that cannot fit, sending none of it', async () => {
      board = new FakeConsole({ board: ESP32, boot: STARTED, memory: { free: 2000, total: 2100, usage: 100, blocksize: 14 } });
      const port = await board.start();
      const error = await failure(['--port', port], RAM);
      const sent =
        configPrelude({ wifi: { ssid: RAM.WIFI_SSID, password: RAM.WIFI_PASSWORD }, server: RAM.WS_SERVER_URL, deviceId: RAM.DEVICE_ID, telnet: true }).length +
        bundle.length;
      expect(error).to.equal(
        `flash: refusing to upload in RAM mode: ${sent} bytes of code need about ${ramVarsNeeded(sent, 14)} variables there ` +
          '(the code is held as text in RAM, and the firmware needs its own), but the board has 2000 of 2100 free after reset(). ' +
          'Upload to Storage instead ("save": "storage" in flash.local.json, or FLASH_SAVE=storage): the code then stays in flash. ' +
          'Nothing was sent; the board was reset (code in its Storage runs again at the next power-up or load()).',
      );
      const lines = board.lines();
      expect(lines).to.include('reset();');
      expect(lines.some((line) => line.includes('process.memory()'))).to.equal(true);
      expect(lines.some((line) => line.includes('FLASH_CONFIG'))).to.equal(false);
    });

    it('uploads when the bundle fits, then reads the status back', async () => {
      board = new FakeConsole({ board: ESP32, boot: STARTED, memory: { free: 16000, total: 16383, usage: 383, blocksize: 14 } });
      const port = await board.start();
      expect(await project.run(['--port', port], RAM)).to.equal(0);
      expect(project.logs.at(-1)).to.equal(
        `flash: done, ESP32 2v29 at ${port} is running the firmware from RAM (lost on reset); it reports WSCLIENT_STATUS = "started".`,
      );
      expect(board.lines().some((line) => line.startsWith('var FLASH_CONFIG = '))).to.equal(true);
    });

    it('reports an uncaught error thrown while the code ran', async () => {
      board = new FakeConsole({
        board: ESP32,
        boot: { lines: ['Uncaught Error: Module Wifi not found', ' at line 1 col 12'] },
        memory: { free: 16000, total: 16383, usage: 383, blocksize: 14 },
      });
      const port = await board.start();
      const error = await failure(['--port', port], RAM);
      expect(error).to.contain('the code threw an error.\nThe board said:\n  board| Uncaught Error: Module Wifi not found\n  board| at line 1 col 12\n');
    });
  });
});

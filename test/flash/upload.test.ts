import net from 'node:net';
import { expect } from 'chai';
import { configPrelude } from '../../tools/flash.ts';
import { fixtureBytes, makeProject, replayOnBoard, SETTINGS_ENV, type Project } from './fixtures/harness.ts';

/**
 * A stand-in for an Espruino console on TCP (as on port 23 of a board): answers each line with
 * a prompt, answers the tools' `process.env` query, and records every byte it receives.
 */
class FakeConsole {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  received = Buffer.alloc(0);

  constructor(board: { BOARD: string; VERSION: string } | 'silent') {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let line = '';
      socket.on('data', (chunk) => {
        this.received = Buffer.concat([this.received, chunk]);
        if (board === 'silent') return;
        for (const char of chunk.toString('latin1')) {
          line += char;
          if (char !== '\n') continue;
          const query = line.includes('print("<","<<",JSON.stringify(');
          socket.write(query ? `< << ${JSON.stringify(board)} >> >\r\n>` : '\r\n>');
          line = '';
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `tcp://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** What the board would have executed: the received lines without the echo-off (\x10) markers. */
  lines(): string[] {
    return this.received.toString('latin1').split('\n').map((line) => line.replace(/^\x10/, ''));
  }
}

describe('tools/flash upload (fake Espruino console over tcp://)', () => {
  let project: Project;
  let board: FakeConsole;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(async () => {
    project.dispose();
    await board.stop();
  });

  it('checks the board, resets it, writes .bootcde byte for byte, then load()s it', async () => {
    board = new FakeConsole({ BOARD: 'ESP32', VERSION: '2v29' });
    const port = await board.start();
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(0);
    expect(project.errors).to.deep.equal([]);
    expect(project.logs.at(-1)).to.equal(`flash: done, ESP32 2v29 at ${port} has the firmware in Storage (.bootcde) and is running it.`);

    const lines = board.lines();
    const reset = lines.indexOf('reset();');
    expect(lines.findIndex((line) => line.includes('process.env.BOARD'))).to.be.within(0, reset);
    const writes = lines.filter((line) => line.startsWith('require("Storage").write('));
    expect(lines.indexOf(writes[0])).to.be.greaterThan(reset);
    expect(lines.filter((line) => line !== '').at(-1)).to.equal('load()');
    // Bytes >= 0x80 travel as single bytes over TCP too (the tools would send them as UTF-8).
    const settings = { wifi: { ssid: SETTINGS_ENV.WIFI_SSID, password: SETTINGS_ENV.WIFI_PASSWORD }, server: SETTINGS_ENV.WS_SERVER_URL, deviceId: SETTINGS_ENV.DEVICE_ID };
    expect(replayOnBoard(writes.join('\n')).files).to.deep.equal({ '.bootcde': configPrelude(settings) + fixtureBytes('firmware.js') });
  });

  it('--library-only writes Storage file "wsclient"', async () => {
    board = new FakeConsole({ BOARD: 'ESP8266_4MB', VERSION: '2v29' });
    const port = await board.start();
    expect(await project.run(['--library-only', '--board', 'esp8266', '--port', port])).to.equal(0);
    const writes = board.lines().filter((line) => line.startsWith('require("Storage").write('));
    expect(replayOnBoard(writes.join('\n')).files).to.deep.equal({ wsclient: fixtureBytes('wsclient.js') });
    expect(project.logs.at(-1)).to.contain('has module "wsclient" in Storage');
  });

  it('refuses a board other than the configured one, before sending code', async () => {
    board = new FakeConsole({ BOARD: 'ESP8266_4MB', VERSION: '2v29' });
    const port = await board.start();
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.deep.equal([`flash: upload to ${port} failed: the board is ESP8266_4MB 2v29, not the configured board (ESP32)`]);
    expect(board.lines()).not.to.include('reset();');
  });

  it('reports a console that does not answer', async () => {
    board = new FakeConsole('silent');
    const port = await board.start();
    expect(await project.run(['--port', port, '--baud', '9600'], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.deep.equal([
      `flash: upload to ${port} failed: no answer from an Espruino console at 9600 baud (is Espruino flashed? ESP32 and ESP8266 consoles run at 115200 baud)`,
    ]);
  });

  it('reports a connection failure with the error', async () => {
    board = new FakeConsole('silent');
    const port = await board.start();
    await board.stop(); // nothing listens there any more
    expect(await project.run(['--port', port], SETTINGS_ENV)).to.equal(1);
    expect(project.errors).to.have.length(1);
    expect(project.errors[0]).to.match(new RegExp(`^flash: upload to ${port} failed: cannot reach ${port}: connect ECONNREFUSED`));
  });
});

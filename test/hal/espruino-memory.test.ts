/**
 * What the Espruino HAL costs in JsVars, in a real Espruino interpreter (a Linux build with an
 * ESP8266- or ESP32-like pool): createEspruinoHal bundled alone as a module, written to
 * Storage and required, as a board runs it (code in flash). Measured: after require, after
 * createEspruinoHal(board), with one connection open to a local TCP server, and after that
 * connection closed and was dropped (all garbage collected, outside any callback). The
 * connection figures are a second connection's: the first one also makes Espruino's own
 * network state, which stays.
 *
 * Set ESPRUINO8266_BIN (ESP8266-like pool) and/or ESPRUINO_BIN (ESP32-like) to such builds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { getBoard } from '../../boards/index';
import { writeToStorage } from '../../tools/bench/interpreter';
import { boardDefines } from '../../tools/build';
import { buildChecked } from '../../tools/espruino-bundle';
import { runEspruino } from '../../tools/espruino-process';

const root = join(import.meta.dirname, '..', '..');

/**
 * Ceilings, JsVars (measured: ESP8266-like 137 / 49 / 37, ESP32-like 137 / 49 / 35; the HAL
 * shaped as before, one module-level function or table per part, took 307 / 110 / 64). A
 * connection includes Espruino's own socket object and the caller's reference to the TcpSocket.
 */
const CEILING = { require: 145, hal: 52, connection: 42 };

/** Lines the script prints, after this marker. */
const MARK = 'HALMEM';

function script(board: object, port: number): string {
  return `
function u() { return process.memory().usage; }
function log(what, n) { console.log('${MARK} ' + what + ' ' + n); }
function H() {}
H.prototype.onConnect = function () { setTimeout(opened, 1); };
H.prototype.onData = function () {};
H.prototype.onDrain = function () {};
H.prototype.onEnd = function () {};
H.prototype.onError = function (e) { log('error', e.kind); };
H.prototype.onClose = function () { setTimeout(closed, 1); };
var handlers = new H();
var board = ${JSON.stringify(board)};
var base = 0, afterHal = 0, hal = null, socket = null, round = 0, afterClose = 0;
// Two connections one after the other: the first also makes Espruino's own network state, so
// the second one's figures are what a connection costs and leaves.
function connect() { round++; socket = hal.tcp.connect({ host: '127.0.0.1', port: ${port}, tls: false }, handlers); }
function opened() { if (round === 2) log('connection', u() - afterClose); socket.destroy(); }
function closed() {
  socket = null;
  var now = u();
  if (round === 2) { log('closed', now - afterClose); setTimeout(quit, 1); return; }
  afterClose = now;
  connect();
}
function main() {
  base = u();
  var M = require('hal');
  var afterRequire = u();
  log('require', afterRequire - base);
  hal = M.createEspruinoHal(board);
  afterHal = u();
  log('hal', afterHal - afterRequire);
  connect();
}
setTimeout(main, 5);
`;
}

for (const [boardName, variable] of [
  ['esp8266', 'ESPRUINO8266_BIN'],
  ['esp32', 'ESPRUINO_BIN'],
] as const) {
  describe(`Espruino HAL memory in a real interpreter (${boardName}-like pool)`, function () {
    this.timeout(300000);
    const bin = process.env[variable];
    let dir = '';

    before(function () {
      if (!bin) {
        console.log(`      (skipped: ${variable} is not set; point it at an Espruino Linux build with the ${boardName}'s pool to run these)`);
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'hal-memory-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(`holds at most ${CEILING.require} JsVars once required, ${CEILING.hal} more per HAL, ${CEILING.connection} more per open connection, and frees a closed one`, async () => {
      const board = getBoard(boardName);
      const entry = join(dir, 'entry.ts');
      writeFileSync(entry, `export { createEspruinoHal } from ${JSON.stringify(join(root, 'hal', 'espruino', 'index.ts'))};\n`);
      const bundle = await buildChecked({ entry, outfile: join(dir, 'hal.js'), format: 'module', minify: true, define: boardDefines(board) });
      await writeToStorage(bin as string, dir, 'hal', bundle.code);
      const server = net.createServer((s) => s.on('error', () => undefined));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      try {
        const port = (server.address() as net.AddressInfo).port;
        const runtime = { tls: board.tls, nativeSha1: board.nativeSha1, rngRegister: board.rngRegister, writeWindow: board.writeWindow };
        const run = await runEspruino(bin as string, script(runtime, port), {
          timeoutMs: 120000,
          cwd: dir,
          crashed: (output) => /ASSERT\(|Execution Interrupted|OUT OF MEMORY/.test(output),
        });
        const figures: Record<string, number> = {};
        for (const line of run.output.split('\n')) {
          const at = line.indexOf(`${MARK} `);
          if (at < 0) continue;
          const [what, value] = line
            .slice(at + MARK.length + 1)
            .trim()
            .split(' ');
          figures[what] = Number(value);
        }
        console.log(`      [${boardName}] require ${figures.require}, hal ${figures.hal}, connection ${figures.connection}, after close ${figures.closed}`);
        expect(figures.error, 'the connection failed').to.equal(undefined);
        expect(figures.require, run.output.slice(-500)).to.be.at.most(CEILING.require);
        expect(figures.hal).to.be.at.most(CEILING.hal);
        expect(figures.connection).to.be.at.most(CEILING.connection);
        // Closed and dropped: nothing of it is left (a few JsVars of the script's own variables may move).
        expect(figures.closed).to.be.within(-3, 3);
      } finally {
        server.close();
      }
    });
  });
}

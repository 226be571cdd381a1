/** tools/build.ts: the board bundles, their budgets, and what is inside them. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { getBoard } from '../../boards/index';
import { boardsFromArgs, buildBoard, formatReport, type BoardBuild } from '../../tools/build';
import { checkEspruinoSubset } from '../../tools/espruino-gate';
import { estimateResidentVars } from '../../tools/memory-estimate';
import { installEspruinoFakes, changingRegister, tick, type EspruinoFakes } from '../hal/espruino-fakes';
import { at, entry } from '../helpers/at';

const root = join(import.meta.dirname, '..', '..');

/** Loads a wsclient.js the way Espruino's module loader runs it: a function of exports/module/require. */
function loadModule(code: string, req: (name: string) => unknown): { WebSocket: any } {
  const exports: { [name: string]: unknown } = {};
  const module = { exports };
  new Function('exports', 'module', 'require', code)(exports, module, req);
  return module.exports as { WebSocket: any };
}

describe('tools/build', function () {
  this.timeout(60000);
  const out = mkdtempSync(join(tmpdir(), 'wsclient-build-'));
  const built: { [board: string]: BoardBuild } = {};
  after(() => rmSync(out, { recursive: true, force: true }));

  for (const name of ['esp32', 'esp8266']) {
    describe(name, () => {
      before(async () => {
        built[name] = await buildBoard(name, out);
      });
      const build = (): BoardBuild => entry(built, name, 'boards built by before()');

      it('writes dist/<board>/wsclient.js under budget, with the map kept apart', () => {
        const board = getBoard(name);
        const lib = build().bundles[0];
        expect(lib.file).to.equal(join(out, name, 'wsclient.js'));
        expect(lib.map).to.equal(join(out, name, 'maps', 'wsclient.js.map'));
        expect(existsSync(`${lib.file}.map`)).to.equal(false);
        expect(lib.bytes).to.equal(readFileSync(lib.file).length);
        expect(lib.budget).to.equal(board.budget.wsclient);
        expect(lib.bytes).to.be.below(lib.budget);
        expect(formatReport(build())).to.include('wsclient.js').and.to.include('%');
      });

      it('has zero Espruino gate violations, and no source map reference', () => {
        const lib = build().bundles[0];
        const code = readFileSync(lib.file, 'utf8');
        expect(checkEspruinoSubset(code, readFileSync(lib.map, 'utf8'), lib.file)).to.deep.equal([]);
        expect(code).not.to.include('sourceMappingURL');
        // The moved map still points at the sources.
        const map = JSON.parse(readFileSync(lib.map, 'utf8')) as { sources: string[] };
        const source = map.sources.find((s) => s.endsWith('hal/espruino/tcp.ts'));
        expect(source && existsSync(join(out, name, 'maps', source))).to.equal(true);
      });

      it("inlines only this board's profile, and TLS only where the board has it", () => {
        const code = readFileSync(build().bundles[0].file, 'utf8');
        const other = name === 'esp32' ? 'esp8266' : 'esp32';
        // The library's part of the profile only: its limits, not the app's pins and sensors.
        expect(code).to.include(`txBufferSize:${getBoard(name).limits.txBufferSize},`);
        expect(code).not.to.include(`"${other}"`);
        expect(code).not.to.include('analogPins');
        expect(code.includes('require("tls")')).to.equal(getBoard(name).tls);
        expect(code).to.include('require("net")');
      });

      it('notes that firmware.js waits for firmware/main.ts (or builds it)', () => {
        if (existsSync(join(root, 'firmware', 'main.ts'))) {
          expect(build().bundles.map((b) => b.file)).to.include(join(out, name, 'firmware.js'));
        } else {
          expect(build().notes.join('\n')).to.include('firmware/main.ts');
        }
      });

      describe('evaluated in Node as an Espruino module, over fake Espruino built-ins', () => {
        let fakes: EspruinoFakes;
        beforeEach(() => {
          fakes = installEspruinoFakes();
        });
        afterEach(() => fakes.restore());

        function load(): { WebSocket: any } {
          const req = (globalThis as unknown as { require: (n: string) => unknown }).require;
          return loadModule(readFileSync(build().bundles[0].file, 'utf8'), req);
        }

        it('exports a WebSocket constructor with the ready-state constants', () => {
          const { WebSocket } = load();
          expect(WebSocket).to.be.a('function');
          expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).to.deep.equal([0, 1, 2, 3]);
        });

        it('needs no HAL: new WebSocket(url) connects with net and sends the handshake as a byte string', async () => {
          fakes.registers[getBoard(name).rngRegister] = changingRegister(21);
          const { WebSocket } = load();
          const ws = new WebSocket('ws://example.org:8080/chat', ['v1'], { pingInterval: 0 });
          expect(ws.readyState).to.equal(0);
          await tick();
          const socket = at(fakes.net.sockets, 0, 'net sockets');
          expect(socket.options).to.deep.equal({ host: 'example.org', port: 8080 });
          socket.fire('connect');
          expect(socket.written[0]).to.be.a('string');
          const request = socket.written[0] as string;
          expect(request).to.match(/^GET \/chat HTTP\/1\.1\r\n/);
          expect(request).to.include('Sec-WebSocket-Protocol: v1');
          socket.fire('close', false);
          await tick();
          expect(ws.readyState).to.equal(3);
        });

        it('refuses to connect when the RNG register fails its test, unless told otherwise', async () => {
          fakes.registers[getBoard(name).rngRegister] = () => 5;
          const { WebSocket } = load();
          const ws = new WebSocket('ws://example.org/', { pingInterval: 0 });
          const events: unknown[] = [];
          ws.on('error', (e: { code: string }) => events.push(e.code));
          ws.on('close', (e: { code: number }) => events.push(e.code));
          await tick();
          // The key is never drawn from a failing source: no socket is opened at all.
          expect(events).to.deep.equal(['WS_ERR_WEAK_ENTROPY', 1006]);
          expect(fakes.net.sockets).to.have.length(0);
          expect(ws.readyState).to.equal(3);
          const weak = new WebSocket('ws://example.org/', { allowWeakEntropy: true, readRegister: null });
          weak.close();
        });

        it(getBoard(name).tls ? 'opens wss:// over tls' : 'refuses wss:// with WS_ERR_NO_TLS', async () => {
          fakes.registers[getBoard(name).rngRegister] = changingRegister(23);
          const { WebSocket } = load();
          const errors: { code: string }[] = [];
          const ws = new WebSocket('wss://example.org/', { pingInterval: 0 });
          ws.on('error', (e: { code: string }) => errors.push(e));
          await tick();
          if (getBoard(name).tls) {
            expect(fakes.tls.sockets).to.have.length(1);
            at(fakes.tls.sockets, 0, 'tls sockets').fire('close', false);
          } else {
            expect(errors.map((e) => e.code)).to.deep.equal(['WS_ERR_NO_TLS']);
          }
          await tick();
          expect(ws.readyState).to.equal(3);
        });
      });
    });
  }

  it('fails, naming the bundle, when a bundle is over its budget', async () => {
    const board = getBoard('esp8266');
    const saved = board.budget.wsclient;
    board.budget.wsclient = 1000;
    try {
      await buildBoard('esp8266', out);
      expect.fail('expected the build to fail');
    } catch (error) {
      expect((error as Error).message).to.match(/over the board's size budget: wsclient\.js is \d+ bytes over/);
    } finally {
      board.budget.wsclient = saved;
    }
  });

  it('prints the estimated resident JsVars of each bundle; warns above the target, fails above the limit', async () => {
    const board = getBoard('esp32');
    const saved = board.budget.residentVars;
    try {
      board.budget.residentVars = { target: 1e6, limit: 1e6 };
      const calm = await buildBoard('esp32', out);
      const lib = calm.bundles[0];
      expect(lib.residentVars).to.equal(estimateResidentVars(readFileSync(lib.file, 'latin1'), 14).vars);
      expect(lib.residentVars).to.be.greaterThan(50);
      expect(calm.warnings).to.deep.equal([]);
      expect(formatReport(calm)).to.match(new RegExp(`wsclient\\.js .* resident ≈ +${lib.residentVars} vars \\(target 1000000, limit 1000000\\)`));

      // The budget holds for each module a user loads (wsclient.js and ws.js): the heaviest decides.
      const budgeted = calm.bundles.filter((b) => b.residentBudget !== null);
      expect(budgeted.map((b) => basename(b.file))).to.deep.equal(['wsclient.js', 'ws.js']);
      const top = budgeted.reduce((a, b) => (b.residentVars > a.residentVars ? b : a));
      const name = basename(top.file);
      board.budget.residentVars = { target: top.residentVars - 1, limit: top.residentVars };
      const warned = await buildBoard('esp32', out);
      expect(warned.warnings.filter((w) => w.startsWith(name))).to.have.length(1);
      expect(formatReport(warned)).to.include(
        `WARNING: ${name} holds about ${top.residentVars} JsVars once required, over the target of ${top.residentVars - 1}`,
      );

      board.budget.residentVars = { target: 10, limit: top.residentVars - 1 };
      let message = '';
      await buildBoard('esp32', out).catch((e: Error) => (message = e.message));
      expect(message).to.include(`esp32: over the board's resident-memory limit: `);
      expect(message).to.include(`${name} holds about ${top.residentVars} JsVars, limit ${top.residentVars - 1}`);
    } finally {
      board.budget.residentVars = saved;
    }
  });

  it('rejects an unknown board, listing the known ones', async () => {
    let message = '';
    await buildBoard('arduino', out).catch((e: Error) => (message = e.message));
    expect(message).to.equal('unknown board "arduino": known boards are esp32, esp8266');
    expect(() => boardsFromArgs(['--board', 'arduino'])).to.throw('known boards are esp32, esp8266');
  });

  it('reads --board from the command line: esp32 by default, all for every board', () => {
    expect(boardsFromArgs([])).to.deep.equal(['esp32']);
    expect(boardsFromArgs(['--board', 'esp8266'])).to.deep.equal(['esp8266']);
    expect(boardsFromArgs(['--board=all'])).to.deep.equal(['esp32', 'esp8266']);
    expect(() => boardsFromArgs(['--bored'])).to.throw("Unknown option '--bored' (see --help)");
    expect(() => boardsFromArgs(['esp32'])).to.throw(/Unexpected argument 'esp32'/);
    const printed: string[] = [];
    expect(boardsFromArgs(['--help'], (text) => printed.push(text))).to.equal(null);
    expect(printed.join('')).to.match(/^usage: npm run build -- \[--board esp32\|esp8266\|all\]/);
  });

  it('npm run build: exits 1 with a clear message for an unknown board', async () => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const run = promisify(execFile);
    const failure = await run(tsx, ['tools/build.ts', '--board', 'nope'], { cwd: root }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure, 'the build should fail').to.not.equal(null);
    expect(failure!.code).to.equal(1);
    expect(failure!.stderr).to.include('unknown board "nope": known boards are esp32, esp8266');
  });
});

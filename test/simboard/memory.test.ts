/**
 * The simulated board's memory (tools/simboard/memory.ts): counted in JsVars of the chip's pool,
 * reported by process.memory(), and exhausted where the board's would be — the callback that
 * cannot allocate is aborted with Espruino's messages and the board goes on.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { buildBoard } from '../../tools/build.ts';
import { createSimBoard, type BoardName, type SimBoard } from '../../tools/simboard/index.ts';
import { CALIBRATION_PROGRAM, MEASURED, MEASURED_PROGRAMS, TOLERANCE } from './fixtures/memory-calibration.ts';
import { BOARDS, readReport, until } from './helpers.ts';
import { agrees, PROGRAM_CASES, simulate } from './memory-programs.ts';

const POOLS: Record<BoardName, { total: number; blocksize: number }> = {
  esp32: { total: 16_383, blocksize: 14 },
  esp8266: { total: 1_600, blocksize: 12 },
};

/** A loopback port nobody listens on: the firmware keeps retrying, as with its server down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('simboard: memory in JsVars', function () {
  this.timeout(60_000);
  let board: SimBoard | undefined;
  afterEach(async () => {
    await board?.shutdown();
    board = undefined;
  });

  for (const name of BOARDS) {
    it(`${name}: process.memory() reports the board's pool, and what a program holds`, () => {
      board = createSimBoard({ board: name });
      const before = readReport(board, 'process.memory()');
      expect(before.total).to.equal(POOLS[name].total);
      expect(before.blocksize).to.equal(POOLS[name].blocksize);
      expect(before.free + before.usage).to.equal(before.total);
      board.run('var held = new Uint8Array(6000);');
      const after = readReport(board, 'process.memory()');
      expect(after.free + after.usage).to.equal(after.total);
      // 6000 bytes in blocks of 12 or 14 bytes, plus the typed array, its buffer and its name.
      const blocks = 6000 / POOLS[name].blocksize;
      expect(after.usage - before.usage).to.be.within(blocks, blocks * 1.25);
      board.run('held = undefined;');
      expect(readReport(board, 'process.memory()').usage).to.equal(before.usage + 1); // the name `held` stays
      expect(board.memory()).to.deep.include({ total: POOLS[name].total, blocksize: POOLS[name].blocksize, outOfMemory: 0 });
      // Espruino's process, not Node's.
      expect(board.evaluate('typeof process.exit + " " + typeof process.env.PATH + " " + process.version')).to.equal('undefined undefined 2v29');
    });

    it(`${name}: a small program costs within ${TOLERANCE * 100}% of what the real interpreter reports`, () => {
      board = createSimBoard({ board: name });
      board.run(CALIBRATION_PROGRAM, 'calibration.js');
      const line = board.output.find((l) => l.startsWith('CAL '));
      const usage = Number(/usage=(\d+)/.exec(line ?? '')?.[1]);
      const measured = MEASURED[name].usage;
      expect(agrees(usage, measured, TOLERANCE), `modelled ${usage}, measured ${measured}`).to.equal(true);
    });
  }

  // The bundles measured in the interpreter, kept in fixtures/measured: the model is checked
  // against the code that was measured, not against today's bundles (memory-real.test.ts
  // measures again with the interpreter when there is one).
  describe(`whole programs, within ${TOLERANCE * 100}% of the interpreter's recorded figures (fixtures/memory-calibration.ts)`, () => {
    for (const name of BOARDS) {
      for (const kind of PROGRAM_CASES) {
        const measured = MEASURED_PROGRAMS[name][kind];
        const expected =
          measured === 'OUT OF MEMORY' ? 'runs out of memory, as the interpreter did' : `holds what the interpreter held (${measured.join(', ')})`;
        it(`${name} ${kind}: ${expected}`, async () => {
          const modelled = await simulate(name, kind);
          for (const figure of measured === 'OUT OF MEMORY' ? [measured] : measured) {
            expect(agrees(modelled, figure, TOLERANCE), `modelled ${modelled}, measured ${figure}`).to.equal(true);
          }
        });
      }
    }
  });

  it('esp8266: a Uint8Array beyond the pool aborts its callback (not caught), the interval is dropped, the next callback runs', async () => {
    board = createSimBoard({ board: 'esp8266' });
    const b = board;
    b.run(`var log = [], big;
setTimeout(function () { log.push('a'); try { big = new Uint8Array(30000); } catch (e) { log.push('caught'); } log.push('not here'); }, 1);
var n = 0, iv = setInterval(function () { n++; if (n === 1) big = new Uint8Array(30000); log.push('interval ran'); }, 5);
setTimeout(function () { log.push('b ' + E.getErrorFlags().join() + ' ' + (process.memory().free > 1000)); }, 60);`);
    await until('the last timer', () => readReport<string[]>(b, 'log').some((l) => l.startsWith('b ')), 5000, b);
    // Espruino's interrupt cannot be caught; here the catch block runs, yet the callback counts as aborted.
    const log = readReport<string[]>(b, 'log').filter((l) => l !== 'caught' && l !== 'not here');
    expect(log).to.deep.equal(['a', 'b LOW_MEMORY,MEMORY true']);
    expect(b.output.filter((l) => l === 'OUT OF MEMORY')).to.have.length(2);
    expect(b.output).to.include('Execution Interrupted during event processing.');
    expect(b.output).to.include('ERROR: Ctrl-C while processing interval - removing it.');
    expect(b.output.filter((l) => l === 'New interpreter error: LOW_MEMORY,MEMORY')).to.have.length(1);
    expect(b.memory().outOfMemory).to.equal(2);
    expect(b.uncaught).to.deep.equal([]);
  });

  it('esp8266 with memoryLimit: false: the same Uint8Array is counted, over the pool, and nothing is aborted', () => {
    board = createSimBoard({ board: 'esp8266', memoryLimit: false });
    board.run('var big = new Uint8Array(30000); var after = 1;');
    expect(board.evaluate('after')).to.equal(1);
    expect(board.output).to.deep.equal([]);
    expect(board.memory()).to.deep.include({ free: 0, outOfMemory: 0 });
    expect(board.memory().usage).to.be.above(30000 / 12);
  });

  it('esp32: the same Uint8Array fits, and E.toString of it is priced too', () => {
    board = createSimBoard({ board: 'esp32' });
    board.run('var big = new Uint8Array(30000); var text = E.toString(big);');
    expect(board.output).to.deep.equal([]);
    expect(board.memory().usage).to.be.above((2 * 30000) / 14);
  });

  describe("today's firmware, booted from Storage as `npm run flash` leaves it", () => {
    const firmware = {} as Record<BoardName, string>;
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'simboard-memory-'));
      for (const name of BOARDS) {
        const build = await buildBoard(name, dir);
        const file = build.bundles.find((bundle) => path.basename(bundle.file) === 'firmware.js');
        if (!file) throw new Error(`buildBoard(${name}) wrote no firmware.js`);
        firmware[name] = await readFile(file.file, 'utf8');
      }
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const prelude = (port: number, name: string): string =>
      `var FLASH_CONFIG = ${JSON.stringify({ server: `ws://127.0.0.1:${port}/ws`, deviceId: `mem-${name}`, app: { sampleInterval: 1000 } })};\n`;

    it('esp32: boots and runs, with the pool mostly free', async () => {
      board = createSimBoard({ board: 'esp32' });
      board.boot(prelude(await closedPort(), 'esp32') + firmware.esp32);
      const b = board;
      await until('the firmware to start streaming', () => b.output.some((l) => l.includes('streaming to')), 10_000, b);
      const memory = board.memory();
      expect(memory.outOfMemory).to.equal(0);
      expect(memory.free).to.be.above(memory.total / 3);
    });

    // The real ESP8266-like interpreter runs out of memory booting this firmware too (see the
    // fixture). Until the core is reshaped to fit, the simulated ESP8266 says so rather than run it.
    it('esp8266: runs out of memory while booting, as the ESP8266 does', async () => {
      board = createSimBoard({ board: 'esp8266' });
      board.boot(prelude(await closedPort(), 'esp8266') + firmware.esp8266);
      expect(board.output).to.include('OUT OF MEMORY');
      expect(board.output).to.include('Execution Interrupted.');
      expect(board.output).to.include('New interpreter error: LOW_MEMORY,MEMORY');
      expect(board.memory().outOfMemory).to.be.at.least(1);
    });
  });
});

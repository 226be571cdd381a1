/**
 * The interpreter bench's plumbing: the script it runs in Espruino, the parser of what it
 * prints, finding interpreters, and the report. No timing assertions. One tiny measurement runs
 * in a real interpreter when ESPRUINO_BIN points at an Espruino Linux build (skipped otherwise).
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { expect } from 'chai';
import { buildBoard } from '../../tools/build';
import { checkEspruinoSubset } from '../../tools/espruino-gate';
import { parseBenchArgs, runBench, SECTIONS } from '../../tools/bench/index';
import {
  caseName,
  casesFor,
  estimateLines,
  findNodelay,
  formatReport,
  inFlashVars,
  interpreterCandidates,
  interpreterSection,
  jsTime,
  libraryVars,
  messageVars,
  NORMAL_OPTIONS,
  nodelayPair,
  poolKind,
  probeInterpreter,
  runInterpreterBench,
  runInterpreterSection,
  siblingBinary,
  targetRows,
  type Pool,
  type PoolResult,
  type SizeMeasurement,
  type SubjectResult,
} from '../../tools/bench/interpreter';
import {
  byteStringLiteral,
  harnessScript,
  probeScript,
  residentScript,
  interpreterFailure,
  markerLines,
  parseHarnessOutput,
  storageCheckScript,
  storageWriteScripts,
  type HarnessOptions,
} from '../../tools/bench/interpreter-harness';
import { at } from '../helpers/at';

const BIN = process.env.ESPRUINO_BIN;
const MODULE = 'exports.WebSocket = function () { /* MODULE-TEXT-0123 */ };';
const BASE: HarnessOptions = { moduleSource: MODULE, host: '127.0.0.1', port: 4567, path: '/echo', size: 125, rounds: 7, memRounds: 3, settleMs: 50 };

/** What the console prints around marker lines: CRLF, prompts and ESC[J. */
function consoleText(lines: string[]): string {
  return ' ____ banner\r\n' + lines.map((line, i) => (i % 2 ? `\r\x1b[J>IBENCH ${line}\r\n` : `IBENCH ${line}\r\n`)).join('');
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

/** Runs a bench script in a Node context standing in for Espruino; returns what it printed. */
function runScript(script: string, context: Record<string, unknown>): string[] {
  const printed: string[] = [];
  vm.runInNewContext(script, { console: { log: (line: string) => printed.push(line) }, setTimeout: () => undefined, quit: () => undefined, ...context });
  return printed;
}

const GOOD_RUN = [
  'loaded free=12000 total=16383 usage=4383 blocksize=14 resident=1339',
  'api wsclient',
  'open usage=5600',
  'payload usage=5612 length=125',
  'begin',
  'end ms=150.5 median=20.25 rounds=7 bad=0',
  'mem peak=5700 rounds=3 bad=0',
  'after usage=5560',
  'code vars=2700 fns=140',
  'done',
];

describe('bench: interpreter', () => {
  describe('the harness script', () => {
    it('embeds the module verbatim before the minified harness, and is plain JavaScript Espruino accepts', async () => {
      for (const instrument of [false, true]) {
        const script = await harnessScript({ ...BASE, instrument });
        expect(script).to.include(`\n${MODULE}\n`);
        expect(script).to.match(/^(.|\n)*Modules\.addCached\("bench_subject",function\(\)\{\n/);
        expect(script).to.include('quit');
        expect(script).to.include('IBENCH ');
        // Samples without a garbage collection (process.memory(false), reached through `global`).
        expect(script).to.match(/\.memory\(!1\)\.usage/);
        expect(script).to.match(
          /^var BENCH=\{"module":"bench_subject","host":"127\.0\.0\.1","port":4567,"path":"\/echo","size":125,"rounds":7,"memRounds":3,"settle":50,/m,
        );
        expect(() => new vm.Script(script)).to.not.throw();
        // The module is left alone; the harness around it must pass the same gate as the bundles.
        expect(checkEspruinoSubset(script, null, 'harness.js')).to.deep.equal([]);
        expect(script.length).to.be.below(instrument ? 6000 : 4500);
      }
    });

    it('instruments only when asked: wrapped net.connect and timers, a calibration, busy time', async () => {
      const plain = await harnessScript(BASE);
      const timed = await harnessScript({ ...BASE, instrument: true });
      expect(plain).to.not.include('global.setTimeout');
      expect(plain).to.not.include('busy=');
      // net.connect: patched once to capture the socket, and once more to time its callbacks.
      expect(plain.match(/\.connect=function/g)).to.have.length(1);
      expect(timed.match(/\.connect=function/g)).to.have.length(2);
      expect(timed).to.include('global.setTimeout').and.include('calib outer=').and.include('busy=');
    });

    it("drives both APIs: a module exporting WebSocket, and a function like Espruino's ws", async () => {
      const script = await harnessScript(BASE);
      expect(script).to.include('api espruino-ws').and.include('api wsclient');
      expect(script).to.include('protocolVersion:13').and.include('keepAlive:60');
      // The default entropy path: the bench's interpreters read the ESP RNG registers.
      expect(script).to.not.include('allowWeakEntropy');
      expect(await harnessScript({ ...BASE, clientOptions: { maxMessageSize: 131072 } })).to.include('"options":{"pingInterval":0,"maxMessageSize":131072}');
    });

    it('requires the module from Storage when asked: no module text in the script, resident vars measured around require', async () => {
      const script = await harnessScript({ ...BASE, storage: 'bench0' });
      expect(script).to.not.include('MODULE-TEXT-0123');
      expect(script).to.not.include('addCached');
      expect(script).to.match(/^var BENCH=\{"module":"bench0",/);
      expect(script).to.match(/(\w+)=\w+\.memory\(\)\.usage,\w+=require\(BENCH\.module\),\w+=\w+\.memory\(\)\.usage-\1\b/);
      expect(script).to.include('" resident="+');
      expect(() => new vm.Script(script)).to.not.throw();
      expect((await rejection(harnessScript({ ...BASE, storage: 'a/b' }))).message).to.match(/storage must be a Storage file name/);
    });

    it("echoes binary as a Uint8Array (opcode 0x82 for Espruino's ws) and checks it byte by byte", async () => {
      const script = await harnessScript({ ...BASE, binary: true });
      expect(script).to.include('"binary":true');
      expect(script).to.include('130'); // 0x82, minified
      expect(script).to.match(/for\((?:var )?(\w+)=0;\1<\w+;\1\+\+\)if\(\w+\[\1\]!==\w+\[\1\]\)return!1/);
    });

    it('refuses nonsense options', async () => {
      expect((await rejection(harnessScript({ ...BASE, rounds: 0 }))).message).to.match(/rounds/);
      expect((await rejection(harnessScript({ ...BASE, echoTimeoutMs: -1 }))).message).to.match(/echoTimeoutMs/);
      expect((await rejection(harnessScript({ ...BASE, clientOptions: { maxMessageSize: NaN } }))).message).to.match(/clientOptions\.maxMessageSize/);
      expect((await rejection(harnessScript({ ...BASE, size: 1.5 }))).message).to.match(/size/);
      expect((await rejection(harnessScript({ ...BASE, path: 'echo' }))).message).to.match(/path/);
    });

    it('keeps a module with $ patterns and non-ASCII bytes intact', async () => {
      const source = "exports.x = 'a$&b$1' + '\u00e2\u0082\u00ac';";
      expect(await harnessScript({ ...BASE, moduleSource: source })).to.include(`\n${source}\n`);
    });
  });

  describe('parsing what the interpreter printed', () => {
    it('reads every figure from marker lines among prompts and escapes', () => {
      const result = parseHarnessOutput(consoleText(GOOD_RUN));
      expect(result).to.deep.include({
        api: 'wsclient',
        loadedFree: 12000,
        resident: 1339,
        medianMs: 20.25,
        total: 16383,
        blocksize: 14,
        codeVars: 2700,
        codeFunctions: 140,
        usageOpen: 5600,
        usagePayload: 5612,
        usagePeak: 5700,
        usageAfter: 5560,
        wallMs: 150.5,
        rounds: 7,
        bad: 0,
        memRounds: 3,
        done: true,
        failure: '',
      });
      expect(result.busyMs).to.be.NaN;
      expect(markerLines(consoleText(['a x=1', 'b']))).to.deep.equal(['a x=1', 'b']);
    });

    it('reads the instrumented figures and takes the wrappers out', () => {
      const lines = [...GOOD_RUN];
      lines.splice(4, 0, 'calib outer=0.05 inner=0.02');
      lines[6] = 'end ms=100 median=9 rounds=10 bad=0 busy=80 calls=20';
      const result = parseHarnessOutput(consoleText(lines));
      expect(result).to.deep.include({ busyMs: 80, busyCalls: 20, wrapperMs: 0.05, wrapperInsideMs: 0.02 });
      const js = jsTime(result);
      expect(js.jsMsPerRt).to.be.closeTo((80 - 20 * 0.02) / 10, 1e-9);
      expect(js.waitMsPerRt).to.be.closeTo((100 - 20 * 0.05 - (80 - 20 * 0.02)) / 10, 1e-9);
    });

    it('reports running out of memory while loading as a failure, not a crash', () => {
      const output = ' ____ banner\r\nOUT OF MEMORY    at module (:7:1362)\r\nExecution Interrupted.\r\nNew interpreter error: LOW_MEMORY,MEMORY\r\n';
      const result = parseHarnessOutput(output, 0);
      expect(result.done).to.equal(false);
      expect(result.loadedFree).to.be.NaN;
      expect(result.failure).to.equal('OUT OF MEMORY (Execution Interrupted) in loading the module');
      expect(interpreterFailure('Execution Interrupted during event processing.')).to.equal('Execution Interrupted');
    });

    it("says where a run stopped: the loop, a timeout, an early exit, the harness's own failure, bad echoes", () => {
      const oom = consoleText(GOOD_RUN.slice(0, 5)) + 'OUT OF MEMORY\r\nExecution Interrupted\r\n';
      expect(parseHarnessOutput(oom, null).failure).to.equal('OUT OF MEMORY (Execution Interrupted) in the timed loop');
      expect(parseHarnessOutput(consoleText(GOOD_RUN.slice(0, 6)), null, true).failure).to.equal('timed out in the memory loop');
      expect(parseHarnessOutput(consoleText(GOOD_RUN.slice(0, 2)), 1).failure).to.equal('the interpreter exited (code 1) in the timed loop');
      expect(parseHarnessOutput(consoleText([...GOOD_RUN.slice(0, 3), 'fail closed during phase 1 after 3 round trips'])).failure).to.equal(
        'closed during phase 1 after 3 round trips',
      );
      const bad = GOOD_RUN.map((l) => (l.startsWith('end ') ? 'end ms=1 rounds=7 bad=2' : l));
      expect(parseHarnessOutput(consoleText(bad)).failure).to.equal('2 echoes differed from what was sent');
      expect(interpreterFailure('ASSERT(jsvHasChildren(target)) FAILED AT src/x.c:1\n')).to.match(/^internal ASSERT/);
    });
  });

  describe('finding interpreters', () => {
    const files = new Set(['/b/espruino-esp32', '/b/espruino-esp8266', '/b/espruino-esp32-nodelay']);
    const exists = (file: string): boolean => files.has(file);

    it('takes --bin and the environment, then siblings by name for the other pool', () => {
      expect(interpreterCandidates({ ESPRUINO_BIN: '/b/espruino-esp32' }, undefined, exists)).to.deep.equal([
        { bin: '/b/espruino-esp32', source: 'ESPRUINO_BIN' },
        { bin: '/b/espruino-esp8266', source: 'next to ESPRUINO_BIN' },
      ]);
      expect(interpreterCandidates({ ESPRUINO_BIN_ESP8266: '/x/e8' }, '/b/espruino-esp32', exists).map((c) => c.source)).to.deep.equal([
        '--bin',
        'ESPRUINO_BIN_ESP8266',
        'next to --bin',
      ]);
      expect(interpreterCandidates({}, undefined, exists)).to.deep.equal([]);
      expect(siblingBinary('/b/espruino-esp8266-nodelay')).to.equal('/b/espruino-esp32-nodelay');
      expect(siblingBinary('/b/espruino')).to.equal(null);
    });

    it('probes the pool with a script that prints its total, block size and free JsVars', async () => {
      const memory = () => ({ total: 16383, blocksize: 14, free: 16300, usage: 83 });
      expect(runScript(await probeScript(), { global: { process: { memory } } })).to.deep.equal(['IBENCH probe total=16383 blocksize=14 free=16300']);
    });

    it('finds the TCP_NODELAY build from the environment or as <bin>-nodelay', () => {
      const esp32 = { bin: '/b/espruino-esp32', source: 'ESPRUINO_BIN' };
      expect(findNodelay(esp32, 'esp32', {}, exists).nodelay).to.deep.equal({ bin: '/b/espruino-esp32-nodelay', source: 'ESPRUINO_BIN + -nodelay' });
      expect(findNodelay(esp32, 'esp32', { ESPRUINO_BIN_NODELAY: '/n' }, exists).nodelay!.bin).to.equal('/n');
      expect(findNodelay(esp32, 'esp32', { ESPRUINO_BIN_ESP32_NODELAY: '/m' }, exists).nodelay!.bin).to.equal('/m');
      expect(findNodelay({ bin: '/b/espruino-esp8266', source: 'x' }, 'esp8266', {}, exists).nodelay).to.equal(null);
      const given = findNodelay({ bin: '/b/espruino-esp32-nodelay', source: 'ESPRUINO_BIN' }, 'esp32', {}, exists);
      expect(given.nagle!.bin).to.equal('/b/espruino-esp32');
      expect(given.nodelay!.bin).to.equal('/b/espruino-esp32-nodelay');
      expect(nodelayPair('/x/y')).to.deep.equal({ nagle: '/x/y', nodelay: '/x/y-nodelay' });
      expect([poolKind(12), poolKind(14), poolKind(27)]).to.deep.equal(['esp8266', 'esp32', 'other']);
    });
  });

  describe('writing a module to Storage', () => {
    it('writes byte strings as literals that read back byte for byte', () => {
      let all = '';
      for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
      const literal = byteStringLiteral(all);
      expect(literal).to.match(/^"[\x20-\x7e]*"$/);
      expect(literal.slice(0, 13)).to.equal('"\\x00\\x01\\x02');
      expect(byteStringLiteral('a"b\\c\x7f')).to.equal('"a\\"b\\\\c\\x7f"');
      expect(vm.runInNewContext(literal)).to.equal(all);
      expect(() => byteStringLiteral('€')).to.throw(/char 0 is U\+20ac/);
    });

    it('splits the source into chunks written at their offsets, the first giving the total size', async () => {
      const source = 'x'.repeat(3000) + '"\xe2';
      const scripts = await storageWriteScripts('bench0', source, 1536);
      expect(scripts).to.have.length(2);
      expect(scripts[0]).to.match(/^var STORE=\{"name":"bench0","offset":0,"size":3002,"data":"x{1536}"\};\n/);
      expect(scripts[1]).to.match(/^var STORE=\{"name":"bench0","offset":1536,"size":3002,"data":"x{1464}\\"\\xe2"\};\n/);
      // What the writes put together, read as Espruino would: the source, byte for byte.
      const file = Buffer.alloc(3002);
      const writes: string[] = [];
      const printed = scripts.map((script) =>
        runScript(script, {
          require: (module: string) => ({
            write: (name: string, data: string, offset: number, size: number) => {
              writes.push(`${module} ${name} ${offset} ${size}`);
              file.write(data, offset, 'latin1');
            },
          }),
        }),
      );
      expect(writes).to.deep.equal(['Storage bench0 0 3002', 'Storage bench0 1536 3002']);
      expect(file.toString('latin1')).to.equal(source);
      expect(printed).to.deep.equal([['IBENCH wrote offset=0'], ['IBENCH wrote offset=1536']]);
      expect((await rejection(storageWriteScripts('a b', 'x'))).message).to.match(/Storage file name/);
      expect((await rejection(storageWriteScripts('a', ''))).message).to.match(/empty/);
    });

    it('checks what Storage holds: length and CRC32 (unsigned), -1 for a missing file', async () => {
      const check = await storageCheckScript('bench0');
      const storage = (files: Record<string, string>) => () => ({ read: (name: string) => files[name] });
      const E = { CRC32: (data: string) => (data === 'abc' ? -2 : 0) };
      expect(runScript(check, { require: storage({ bench0: 'abc' }), E })).to.deep.equal([`IBENCH stored length=3 crc=${2 ** 32 - 2}`]);
      expect(runScript(check, { require: storage({}), E })).to.deep.equal(['IBENCH stored length=-1 crc=0']);
      expect((await rejection(storageCheckScript('../x'))).message).to.match(/Storage file name/);
    });
  });

  describe('the report', () => {
    const pool = (kind: 'esp32' | 'esp8266'): Pool => ({
      kind,
      label: kind === 'esp32' ? 'ESP32-like' : 'ESP8266-like',
      board: kind,
      nagle: { bin: `/b/${kind}`, source: 'ESPRUINO_BIN' },
      nodelay: null,
      total: kind === 'esp32' ? 16383 : 1600,
      blocksize: kind === 'esp32' ? 14 : 12,
      freeAtStart: kind === 'esp32' ? 16330 : 1550,
      freeWithHarness: kind === 'esp32' ? 16000 : 1250,
    });
    const size = (n: number, median: number, peak: number, failure = '', binary = false): SizeMeasurement => ({
      size: n,
      binary,
      rounds: 9,
      medianMs: median,
      nagle: { wallMsPerRt: median * 1.1, cpuMsPerRt: median },
      nodelay: null,
      jsMsPerRt: median * 0.9,
      waitMsPerRt: median * 0.1,
      callbacksPerRt: 2,
      memory: { open: 1000, payload: 1000 + n / 14, peak, after: 1010 },
      failure,
      notes: [],
    });
    const subject = (name: string, resident: number, sizes: SizeMeasurement[], loadFailure = ''): SubjectResult => ({
      subject: name,
      origin: name,
      bytes: 1234,
      loadedFree: 16000 - resident,
      resident,
      codeVars: 10,
      codeFunctions: 10,
      loadFailure,
      sizes,
    });

    it('judges the ESP32 targets on what was measured: ratios of medians, resident vars, the 64 KiB peak in copies', () => {
      const big = 65536;
      const copy = messageVars(big, 14);
      expect(copy).to.equal(4683);
      const result: PoolResult = {
        pool: pool('esp32'),
        subjects: [
          subject('ours', 350, [
            size(16, 1, 1100),
            size(125, 2, 1100),
            size(1000, 10, 1200),
            size(8000, 10, 1500),
            size(big, 100, 1000 + Math.floor(2.2 * copy)),
            size(big, 100, 1000 + Math.ceil(2.2 * copy) + 1, '', true),
          ]),
          subject('ws.min.js', 85, [size(16, 3, 3000), size(125, 10, 3000), size(1000, 50, 3000), size(8000, 400, 3100)]),
        ],
      };
      const rows = targetRows(result);
      expect(rows.map((r) => r.pass)).to.deep.equal([true, true, true, false, true, true, false]);
      expect(rows[0]).to.deep.equal({ target: 'wsclient resident after require ≤ 400 vars', measured: '350 vars', pass: true });
      expect(at(rows, 1, 'rows').measured).to.equal('3.00× (ours 1 ms, theirs 3 ms)');
      expect(at(rows, 3, 'rows').target).to.equal('1000B text ≥ 15× ws.min.js (median)');
      expect(at(rows, 5, 'rows').measured).to.match(/^2\.20 copies/);
      const report = formatReport([result]).join('\n');
      expect(report).to.include('interpreter ESP32-like 16B text: ours 1 ms/rt, ws.min.js 3 ms/rt, ratio 3.00');
      expect(report).to.match(/1000B text ≥ 15× ws\.min\.js \(median\) +5\.00× .* FAIL/);
      expect(report).to.match(/64KiB binary echo, peak ≤ 2\.2 copies above idle .* FAIL/);
      expect(report).to.include('64KiB text: ours 100 ms/rt, ws.min.js FAILED, ratio -');
    });

    it('reports a library that does not load, and a failed echo, as failures', () => {
      const result: PoolResult = {
        pool: pool('esp8266'),
        subjects: [
          subject('ours', NaN, [], 'OUT OF MEMORY (Execution Interrupted) in loading the module'),
          subject('ws.min.js', 85, [size(16, 3, 1100), size(16, NaN, NaN, 'no echo within 1000 ms', true)]),
        ],
      };
      const report = formatReport([result]).join('\n');
      expect(report).to.include('FAILED to load: OUT OF MEMORY');
      expect(report).to.include('16B binary: FAILED: no echo within 1000 ms');
      expect(report).to.match(/wsclient resident after require ≤ 400 vars +did not load \(OUT OF MEMORY .* FAIL/);
      expect(report).to.match(/every echo .* +library did not load +FAIL/);
      expect(report).to.include('interpreter ESP8266-like: ours FAILED to load (OUT OF MEMORY (Execution Interrupted) in loading the module)');
      const loaded: PoolResult = {
        pool: pool('esp8266'),
        subjects: [subject('ours', 390, [size(8000, 100, 1500), size(8000, NaN, NaN, 'OUT OF MEMORY', true)])],
      };
      expect(targetRows(loaded)).to.deep.equal([
        { target: 'wsclient resident after require ≤ 400 vars', measured: '390 vars', pass: true },
        { target: 'every echo (0–8000 B, text and binary), every byte checked', measured: 'failed: 8000B binary', pass: false },
      ]);
      expect(libraryVars(at(loaded.subjects, 0, 'loaded.subjects'), loaded.pool)).to.equal(390);
      expect(inFlashVars(at(loaded.subjects, 0, 'loaded.subjects'), loaded.pool)).to.equal(390);
    });

    it('tabulates the resident estimate against the measured figure, per pool, with the error and the 20 % verdict', async () => {
      const results: PoolResult[] = [
        {
          pool: pool('esp32'),
          subjects: [],
          estimates: [
            { module: 'wsclient.js (esp32)', bytes: 38694, estimate: 1257, measured: 1339, failure: '' },
            { module: 'ws.min.js', bytes: 3865, estimate: 81, measured: 60, failure: '' },
          ],
        },
        { pool: pool('esp8266'), subjects: [], estimates: [{ module: 'synthetic', bytes: 900, estimate: 228, measured: NaN, failure: 'OUT OF MEMORY' }] },
      ];
      const lines = estimateLines(results);
      expect(lines[0]).to.match(/^resident JsVars after require from Storage: estimate .* within 20%:$/);
      expect(lines[3]).to.match(/^ {2}ESP32-like +wsclient\.js \(esp32\) +38694 +1257 +1339 +-6\.1% +PASS$/);
      expect(lines[4]).to.match(/ws\.min\.js +3865 +81 +60 +\+35\.0% +FAIL$/);
      expect(lines[5]).to.match(/synthetic +900 +228 +failed: OUT OF MEMORY +- +NOT MEASURED$/);
      expect(estimateLines([{ pool: pool('esp32'), subjects: [] }])).to.deep.equal([]);
      // The resident script: JsVars in use after require minus before, both garbage collected.
      const usage = [1000, 1390];
      const memory = (gc?: boolean) => ({ usage: gc === false ? NaN : (usage.shift() ?? NaN), free: 14000 });
      const required: string[] = [];
      const printed = runScript(await residentScript('bench0'), { global: { process: { memory } }, require: (name: string) => required.push(name) });
      expect(required).to.deep.equal(['bench0']);
      expect(printed).to.deep.equal(['IBENCH resident vars=390 free=14000']);
      expect((await rejection(residentScript('../x'))).message).to.match(/Storage file name/);
    });

    it('lists text then binary for every size, and the big sizes on the ESP32-like pool only', () => {
      expect(casesFor(pool('esp8266'), NORMAL_OPTIONS).map(caseName)).to.deep.equal([
        '0B text',
        '16B text',
        '125B text',
        '126B text',
        '1000B text',
        '8000B text',
        '0B binary',
        '16B binary',
        '125B binary',
        '126B binary',
        '1000B binary',
        '8000B binary',
      ]);
      expect(casesFor(pool('esp32'), NORMAL_OPTIONS).slice(12).map(caseName)).to.deep.equal(['64KiB text', '64KiB binary']);
      expect(NORMAL_OPTIONS.sizes.every((n) => NORMAL_OPTIONS.rounds[n] === 9)).to.equal(true);
    });
  });

  describe('the section', () => {
    it('is the `interpreter` section of npm run bench, with --bin and --compare', () => {
      expect(SECTIONS).to.include(interpreterSection);
      expect(interpreterSection.name).to.equal('interpreter');
      expect(parseBenchArgs(['interpreter', '--quick', '--bin', '/x', '--compare=/y.js'])).to.deep.equal({
        names: ['interpreter'],
        quick: true,
        flags: { bin: '/x', compare: '/y.js' },
      });
      expect(() => parseBenchArgs(['--bin'])).to.throw(/--bin <value>' argument missing/);
      expect(() => parseBenchArgs(['--bin='])).to.throw(/--bin needs a value/);
      expect(() => parseBenchArgs(['--nope'])).to.throw(/Unknown option '--nope'.*\(see --help\)/);
      const printed: string[] = [];
      expect(parseBenchArgs(['-h'], (text) => printed.push(text))).to.equal(null);
      expect(printed.join('')).to.match(/^usage: npm run bench/);
    });

    it('is skipped, saying why, without an interpreter', async () => {
      const lines: string[] = [];
      await runInterpreterSection({ quick: true, log: (l) => lines.push(l) }, {});
      expect(lines.join('\n')).to.match(/^skipped: no Espruino interpreter\. Set ESPRUINO_BIN/);
    });

    it('rejects an unknown section before running anything', async () => {
      let error: Error | null = null;
      await runBench(['no-such-section'], () => {}).catch((e: Error) => {
        error = e;
      });
      expect(String(error)).to.match(/known: host, interpreter/);
    });
  });

  describe('in a real interpreter (ESPRUINO_BIN)', function () {
    this.timeout(120000);
    let scratch = '';
    before(function () {
      if (!BIN) {
        console.log('      (skipped: ESPRUINO_BIN is not set; point it at an Espruino Linux build to run one tiny measurement)');
        this.skip();
      }
      scratch = mkdtempSync(path.join(tmpdir(), 'bench-interp-test-'));
    });
    after(() => {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('measures 16-byte echoes of the built bundle, ours against itself as the compared module', async () => {
      const probe = await probeInterpreter(BIN!);
      const kind = poolKind(probe.blocksize);
      const board = kind === 'esp8266' ? 'esp8266' : 'esp32';
      const build = await buildBoard(board, scratch);
      const source = readFileSync(build.bundles[0].file, 'latin1');
      const testPool: Pool = {
        kind,
        label: 'test',
        board,
        nagle: { bin: BIN!, source: 'ESPRUINO_BIN' },
        nodelay: null,
        total: probe.total,
        blocksize: probe.blocksize,
        freeAtStart: probe.free,
        freeWithHarness: probe.freeWithHarness,
      };
      const subjects = ['ours', 'again'].map((name) => ({ name, source: { esp32: source, esp8266: source }, origin: { esp32: name, esp8266: name } }));
      const results = await runInterpreterBench([testPool], subjects, {
        sizes: [16],
        rounds: { 16: 3 },
        binaryRounds: 1,
        memRounds: 2,
        instrumentSizes: [16],
        bigSizes: [],
        echoTimeoutMs: 20000,
        settleMs: 20,
        runTimeoutMs: 60000,
      });
      const result = at(results, 0, 'results of the one pool');
      const report = formatReport([result]);
      console.log(report.map((l) => `      ${l}`).join('\n'));
      for (const s of result.subjects) {
        if (s.loadFailure) {
          // A pool too small for the bundle (the ESP8266-like one): reported, not a crash.
          expect(s.loadFailure).to.match(/OUT OF MEMORY/);
          continue;
        }
        expect(s.loadedFree).to.be.greaterThan(0);
        expect(s.resident).to.be.greaterThan(0);
        // Required from Storage: the code walk finds the client's classes and methods, each with its code in flash (one var).
        expect(s.codeFunctions).to.be.greaterThan(50);
        expect(s.codeVars).to.equal(s.codeFunctions);
        expect(s.sizes.map(caseName)).to.deep.equal(['16B text', '16B binary']);
        for (const m of s.sizes) {
          expect(m.failure).to.equal('');
          expect(m.medianMs).to.be.finite.and.greaterThan(0);
          expect(m.memory.peak).to.be.at.least(m.memory.open);
        }
        expect(at(s.sizes, 0, 's.sizes').jsMsPerRt).to.be.finite;
      }
      // The estimate against the interpreter, for both subjects and the synthetic module.
      expect(result.estimates!.map((e) => e.module)).to.deep.equal([`wsclient.js (${board})`, 'again', 'synthetic (tables, a class)']);
      for (const e of result.estimates!) if (e.failure === '') expect(e.measured).to.be.greaterThan(0);
    });
  });
});

/**
 * Conformance on a real Espruino interpreter (issue 12): the protocol's rejection table and both
 * closing handshakes, run by the built board module inside the interpreter, against a hostile
 * server on 127.0.0.1. Runs per interpreter given (each skipped, saying why, without it):
 *
 *   ESPRUINO_BIN=/path/to/espruino-esp32 ESPRUINO8266_BIN=/path/to/espruino-esp8266 \
 *     npx mocha --spec test/espruino/conformance.test.ts
 *
 * The board whose bundle runs follows the interpreter's pool (12-byte JsVars: esp8266, else
 * esp32). The module is loaded as a board loads it: dist/<board>/wsclient.js written to Storage
 * about 1.5 KB per interpreter run, then `require('wsclient')`. One more run then goes through
 * every case, one fresh WebSocket each, using only the public API, and prints a line per event;
 * the server (test/helpers/scripted-ws-server.ts) completes the handshake, sends each case's
 * bytes in its chosen TCP chunks and records the client's frames. Each case then asserts the
 * events in the interpreter and the close code the client sent (its close frame, unmasked).
 *
 * The default entropy source reads the chip's RNG register: the interpreter must be a build
 * that maps it (as the bench's do); a stock Linux build crashes on it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { transform } from 'esbuild';
import { buildBoard } from '../../tools/build';
import { measureResident, poolKind, runInterpreter, writeToStorage } from '../../tools/bench/interpreter';
import { interpreterFailure } from '../../tools/bench/interpreter-harness';
import { CLOSE_HANDSHAKE_CASES, CONTROL_CASES, REJECTION_CASES, SMALL_MAX_MESSAGE, type ConformanceCase } from '../helpers/conformance-cases';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-ws-server';

const MARKER = 'WSCONF';
/** Pause after each scripted TCP chunk, ms: long enough for the interpreter to read it alone. */
const PAUSE_MS = 40;
/** A connection still open this long is destroyed (a case takes about a second on a slow host). */
const GIVE_UP_MS = 30000;
const CASES: ConformanceCase[] = [...REJECTION_CASES, ...CONTROL_CASES, ...CLOSE_HANDSHAKE_CASES];

/**
 * The interpreter's side: the module from Storage, then each case in turn, a fresh WebSocket
 * each, printing `<marker> <case> <event>`. `kinds` has one letter per case: d (board defaults),
 * s (maxMessageSize small), c (the client closes once open).
 */
function clientScript(port: number, kinds: string): string {
  return `var WS = require('wsclient').WebSocket;
console.log('${MARKER} loaded free ' + process.memory().free + ' of ' + process.memory().total);
var url = 'ws://127.0.0.1:${port}/', kinds = '${kinds}', at = -1, low = 1e9;
function out(s) { console.log('${MARKER} ' + at + ' ' + s); }
function hex(d) {
  var s = '';
  for (var k = 0; k < d.length; k++) { var b = typeof d === 'string' ? d.charCodeAt(k) : d[k]; s += (b < 16 ? '0' : '') + b.toString(16); }
  return s;
}
function next() {
  at++;
  var free = process.memory().free;
  if (free < low) low = free;
  if (at >= kinds.length) { console.log('${MARKER} end lowest free ' + low + ' of ' + process.memory().total); setTimeout(quit, 1); return; }
  var kind = kinds[at], options = { pingInterval: 0 };
  if (kind === 's') options.maxMessageSize = ${SMALL_MAX_MESSAGE};
  var ws = new WS(url + at, options);
  ws.on('open', function () { out('open'); if (kind === 'c') ws.close(1000, 'bye'); });
  ws.on('message', function (e) { out('message ' + hex(e.data)); });
  ws.on('error', function (e) { out('error ' + e.kind + ' ' + e.code); });
  ws.on('close', function (e) { out('close ' + e.code + ' ' + e.wasClean + ' ' + e.reason); setTimeout(next, 1); });
}
setInterval(function () {}, 1000); // an open socket alone does not keep the interpreter running
setTimeout(next, 1);
`;
}

/** Each case's event lines, by case index, from the interpreter's output (prompts may precede a marker). */
function eventsByCase(output: string): Map<number, string[]> {
  const byCase = new Map<number, string[]>();
  for (const raw of output.split('\n')) {
    const at = raw.indexOf(`${MARKER} `);
    if (at < 0) continue;
    const match = /^(\d+) (.*)$/.exec(raw.slice(at + MARKER.length + 1).trim());
    if (!match) continue;
    const index = Number(match[1]);
    byCase.set(index, [...(byCase.get(index) ?? []), match[2]]);
  }
  return byCase;
}

/** An interpreter's board, from its pool's block size, and the pool's JsVars. */
async function poolOf(bin: string): Promise<{ board: 'esp32' | 'esp8266'; total: number }> {
  const run = await runInterpreter(bin, "var m=process.memory();console.log('POOL '+m.blocksize+' '+m.total);setTimeout(quit,1);", 30000);
  const [blocksize, total] = (/POOL (\d+) (\d+)/.exec(run.output) || []).slice(1).map(Number);
  if (!(blocksize > 0)) throw new Error(`could not probe ${bin} (exit code ${run.code}):\n${run.output.slice(-500)}`);
  return { board: poolKind(blocksize) === 'esp8266' ? 'esp8266' : 'esp32', total };
}

for (const variable of ['ESPRUINO_BIN', 'ESPRUINO8266_BIN']) {
  const bin = process.env[variable];

  describe(`conformance in a real interpreter (${variable}): the rejection table and both closing handshakes`, function () {
    this.timeout(300000);
    let scratch = '';
    let server: ScriptedServer | null = null;
    let board = '';
    let byCase = new Map<number, string[]>();
    /** Why the run did not reach the end: the interpreter's crash or timeout, with its last output ('' when it did). */
    let diagnosis = '';

    before(async function () {
      if (!bin) {
        console.log(`      (skipped: ${variable} is not set; point it at an Espruino Linux build with the chip's RNG register to run these)`);
        this.skip();
      }
      const pool = await poolOf(bin!);
      board = pool.board;
      scratch = mkdtempSync(path.join(tmpdir(), 'wsclient-conformance-'));
      const build = await buildBoard(board, path.join(scratch, 'dist'));
      const source = readFileSync(build.bundles[0].file, 'latin1');
      await writeToStorage(bin!, scratch, 'wsclient', source);
      server = await startScriptedServer(
        CASES.map((c) => c.steps),
        PAUSE_MS,
        GIVE_UP_MS,
      );
      const kinds = CASES.map((c) => (c.clientCloses ? 'c' : c.options === 'small' ? 's' : 'd')).join('');
      const script = (await transform(clientScript(server.port, kinds), { minifyWhitespace: true, minifyIdentifiers: true, target: 'es2015' })).code;
      const started = Date.now();
      const run = await runInterpreter(bin!, script, 240000, scratch);
      byCase = eventsByCase(run.output);
      // `<marker> loaded|end … <n> of <total>` (not the interpreter quoting the script in an error).
      const said = (what: string): string => (new RegExp(`${MARKER} (${what} [a-z ]+\\d+ of \\d+)\\s*$`, 'm').exec(run.output) || ['', ''])[1];
      console.log(
        `      [${board}] wsclient.js ${source.length} B from Storage; ${said('loaded') || 'no line after require'}; ` +
          `${CASES.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s; ${said('end') || 'did not finish'}`,
      );
      if (!said('end')) {
        const why = interpreterFailure(run.output) || (run.timedOut ? 'killed at the timeout' : `exited with code ${run.code}`);
        const alone = await measureResident(bin!, scratch, 'wsclient');
        const room = alone.failure ? `required alone: ${alone.failure}` : `required alone, the module holds ${alone.vars} of ${pool.total} JsVars`;
        diagnosis =
          `the interpreter did not run every case (${why}; ${said('loaded') || 'no line after require'}; ${room}; ` +
          `cases that printed nothing are skipped); last output:\n${run.output.split('\n').slice(-12).join('\n')}`;
      }
    });

    it('runs every case to the end in one interpreter session, the module loaded once', () => {
      expect(diagnosis, diagnosis).to.equal('');
    });

    after(async () => {
      if (server) await server.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    CASES.forEach((c, index) => {
      it(`${c.name}: ${c.events.join(', ')}; sends close ${c.sent.code}`, function () {
        const events = byCase.get(index);
        // Not run: the session ended before this case (reported once, by the test above).
        if (events === undefined && diagnosis !== '') this.skip();
        expect(events, `case ${index} printed nothing`).to.not.equal(undefined);
        expect(events![0], events!.join('\n')).to.equal('open');
        const after = events!.slice(1);
        expect(after.length, after.join('\n')).to.equal(c.events.length);
        c.events.forEach((want, i) => {
          // A failure's close reason is its message: compared only for clean closes.
          if (/^close \d+ false/.test(want)) expect(after[i].startsWith(want), after.join('\n')).to.equal(true);
          else expect(after[i], after.join('\n')).to.equal(want);
        });
        const connection = server!.done.get(index);
        expect(connection, `the server saw no finished connection for case ${index}`).to.not.equal(undefined);
        expect(connection!.problem).to.equal('');
        expect(
          connection!.frames.every((f) => f.masked),
          'every client frame is masked',
        ).to.equal(true);
        // Pongs answer the script's syncs; nothing else but the one close frame may come.
        const frames = connection!.frames.filter((f) => f.opcode !== 0xa);
        expect(
          frames.map((f) => f.opcode),
          'the client sends one close frame and nothing else',
        ).to.deep.equal([8]);
        const payload = frames[0].payload;
        expect(payload.length, 'a close frame with a code').to.be.at.least(2);
        expect((payload[0] << 8) | payload[1]).to.equal(c.sent.code);
        if (c.sent.reason !== undefined) expect(Buffer.from(payload.subarray(2)).toString('utf8')).to.equal(c.sent.reason);
        expect(connection!.trailing, 'bytes after the close frame').to.equal(0);
      });
    });
  });
}

/**
 * The drop-in for Espruino's `ws` module (firmware/ws-compat.ts) in a real Espruino interpreter:
 * set ESPRUINO_BIN to an ESP32-like Espruino Linux build (see test/espruino/real-interpreter.test.ts);
 * without it this is skipped, saying why. What the simulated board cannot prove: that
 * Espruino's module loader returns `module.exports`, and that its own EventEmitter delivers the
 * events with the arguments the sketch expects.
 *
 * The module is built from the same source as dist/esp32/ws.js, plus one statement: the Linux
 * build has no ESP RNG register (reading it crashes the interpreter), so the HAL is made with a
 * stand-in register reader before the sketch runs. The sketch is the ws.md example, unmodified
 * but for host and port, with its "Available callbacks"; its "Sending a Message" line is typed
 * at the console once it is connected; two lines after it end the run on close.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { WebSocketServer } from 'ws';
import { getBoard } from '../../boards/index.ts';
import { boardDefines } from '../../tools/build.ts';
import { buildChecked } from '../../tools/espruino-bundle.ts';
import { runEspruino } from '../../tools/espruino-process.ts';
import { DOCS_CALLBACKS, DOCS_SEND, docsExample, EXAMPLE_OPENING_LINES } from './ws-compat-docs.ts';

const BIN = process.env.ESPRUINO_BIN;
const root = join(import.meta.dirname, '..', '..');

/** The sketch's console lines, wherever a prompt or escape code precedes them, decoded as UTF-8. */
function sketchLines(output: string): string[] {
  const lines: string[] = [];
  for (const line of output
    .replace(/\r/g, '')
    .replace(/\x1b\[J/g, '')
    .split('\n')) {
    const found = /(Handshake Success|Connected to server|MSG: .*|Got a ping|Got a pong|Connection closed|RAW: .*)$/.exec(line);
    if (found) lines.push(Buffer.from(found[1]!, 'latin1').toString('utf8'));
  }
  return lines;
}

describe("ws.js, the drop-in for Espruino's ws module, on a real Espruino interpreter", function () {
  this.timeout(180_000);
  let scratch = '';

  before(async function () {
    if (!BIN) {
      console.log('      (skipped: ESPRUINO_BIN is not set; point it at an ESP32-like Espruino Linux build to run this)');
      this.skip();
    }
    const probe = await runEspruino(BIN, "console.log('PROBE '+process.memory().blocksize);setTimeout(quit,1);", {
      timeoutMs: 20_000,
      crashed: () => false,
    });
    if (/PROBE 12\b/.test(probe.output)) {
      console.log('      (skipped: an ESP8266-like build cannot load the 42 KB module: it copies every script into its JsVars)');
      this.skip();
    }
    scratch = mkdtempSync(join(tmpdir(), 'ws-compat-real-'));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("runs the ws.md example: handshake, open, text, ping, pong, fragments, binary, the console's send, close code", async () => {
    const entry = join(scratch, 'entry.ts');
    writeFileSync(
      entry,
      [
        `import { createEspruinoHal } from ${JSON.stringify(join(root, 'hal/espruino/index.ts'))};`,
        `import { WebSocket } from ${JSON.stringify(join(root, 'firmware/websocket.ts'))};`,
        `import ${JSON.stringify(join(root, 'firmware/ws-compat.ts'))};`,
        'declare const __WSCLIENT_BOARD__: Parameters<typeof createEspruinoHal>[0];',
        // On Linux E.hwRand() is rand(): 31 bits, which the entropy health test rightly refuses
        // (its top bit never flips); two draws make a full word.
        'WebSocket.defaultHal = createEspruinoHal(__WSCLIENT_BOARD__, { readRegister: function () { return (E.hwRand() << 1) ^ E.hwRand(); } });',
      ].join('\n'),
    );
    const bundle = await buildChecked({
      entry,
      outfile: join(scratch, 'ws.js'),
      format: 'module',
      minify: true,
      define: boardDefines(getBoard('esp32')),
    });

    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const seen: { headers?: Record<string, unknown>; pongs: string[]; messages: string[]; close?: number } = { pongs: [], messages: [] };
    wss.on('connection', (socket, request) => {
      seen.headers = request.headers;
      socket.on('error', () => {});
      socket.on('pong', (data) => seen.pongs.push(data.toString()));
      socket.on('message', (data, binary) => {
        seen.messages.push(`${binary ? 'binary' : 'text'} ${String(data)}`);
        socket.send(data as Buffer, { binary });
        socket.close(4001, 'bye');
      });
      socket.on('close', (code) => {
        seen.close = code;
      });
      socket.send('Hello Espruino €');
      socket.ping('are-you-there');
      socket.pong('unsolicited');
      const euro = Buffer.from('fragmented €', 'utf8');
      socket.send(euro.subarray(0, euro.length - 2), { binary: false, fin: false });
      socket.send(euro.subarray(euro.length - 2), { binary: false, fin: true });
      socket.send(Buffer.from([1, 2, 255]), { binary: true });
    });
    try {
      const port = (wss.address() as AddressInfo).port;
      const script =
        `Modules.addCached('ws', function () {\n${bundle.code}\n});\n${docsExample(port)}\n${DOCS_CALLBACKS}\n` +
        "ws.on('close', function () { setTimeout(quit, 10); });\nsetInterval(function () {}, 1000);\n";
      let typed = false;
      const run = await runEspruino(BIN as string, script, {
        timeoutMs: 120_000,
        crashed: (output) => /ASSERT\(|Execution Interrupted|OUT OF MEMORY/.test(output),
        started: (child, output) => {
          // "Sending a Message", typed once the sketch is connected and the server's messages are in.
          const poll = setInterval(() => {
            if (typed || !sketchLines(output()).includes('MSG: 1,2,255')) return;
            typed = true;
            clearInterval(poll);
            child.stdin!.write(`${DOCS_SEND}\n`);
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      });
      const lines = sketchLines(run.output);
      expect(lines, run.output.slice(-3000)).to.deep.equal([
        ...EXAMPLE_OPENING_LINES,
        'MSG: 1,2,255', // binary arrives as a Uint8Array
        'MSG: 1,2,255',
        'MSG: hello world',
        'MSG: hello world',
        'Connection closed',
      ]);
      expect(run.output).not.to.match(/Uncaught/);
      expect(seen.headers).to.include({ origin: 'Espruino', 'sec-websocket-protocol': 'echo-protocol', some: 'header', 'ultimate-question': '42' });
      expect(seen.pongs).to.deep.equal(['are-you-there']);
      expect(seen.messages).to.deep.equal(['text hello world']);
      expect(seen.close).to.equal(4001);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});

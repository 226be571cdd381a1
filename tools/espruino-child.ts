/**
 * The child process of tools/flash.ts: plain CommonJS once esbuild has removed the types, run
 * by `node -e` (see runEspruino there; the espruino package installs globals and patches
 * built-ins when it loads, and the serialport binding it uses cannot run in a worker thread).
 * It loads the espruino package (index.js init, as its CLI does), applies job.config and
 * job.env, blocks the network, then either transforms job.code or uploads it, reporting back
 * over IPC. Node code, not board code: the Espruino expressions it types into the console
 * are the few strings below.
 */
// biome-ignore lint/suspicious/noRedundantUseStrict: the CommonJS that esbuild makes of this runs as a script, sloppy without it
'use strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { BoardMemory, EspruinoJob, EspruinoResult } from './flash.ts';

/** The job as the parent sends it. */
interface ChildJob extends EspruinoJob {
  espruinoPath: string;
}

/** A token of the tools' lexer (core/utils.js getLexer). */
interface LexToken {
  str: string;
  type: string;
  value: string;
}

/** A serial or socket device of the tools (core/serial*.js). */
interface SerialDevice {
  name: string;
  getPorts(callback: (ports: { path: string; description?: string }[] | undefined, ok?: boolean) => void): void;
}

/** The parts of the espruino package's global `Espruino` this child uses (its core/*.js). */
interface EspruinoTools {
  Config: Record<string, unknown> & { BAUD_RATE: number };
  callProcessor(name: string, data: string, callback: (code: string) => void): void;
  Core: {
    Env: { getData(): Record<string, string>; setFirmwareVersion(version: string): void };
    Notifications: Record<'success' | 'info' | 'warning' | 'error', (message: unknown) => void>;
    Utils: {
      getURL(url: string, callback: (data: unknown) => void): void;
      getJSONURL(url: string, callback: (data: unknown) => void): void;
      getBinaryURL(url: string, callback: (error: unknown) => void): void;
      getLexer(code: string): { next(): LexToken | undefined };
      executeExpression(expression: string, callback: (result: string) => void): void;
    };
    CodeWriter: { reformatCode(code: string): string | undefined; writeToEspruino(code: string, callback: () => void): void };
    Serial: {
      devices: SerialDevice[];
      startListening(callback: (data: string | ArrayBuffer) => void): void;
      open(port: string, onOpen: (status: unknown) => void, onClose: () => void): void;
      write(data: string, showStatus: boolean, callback: () => void): void;
    };
  };
}

let job: ChildJob; // the first IPC message
process.once('message', function (message: ChildJob) {
  job = message;
  start();
});
const fetched: string[] = [];
const errors: string[] = [];
let finished = false;
/** Reports the result (JSON over IPC: an undefined field is left out) and exits. */
function finish(result: { [K in keyof EspruinoResult]?: EspruinoResult[K] | undefined }): void {
  if (finished) return;
  finished = true;
  process.send!(Object.assign({ type: 'done', fetched: fetched, errors: errors }, result), function () {
    process.exit(0);
  });
}
// E.g. the serial port's 'error' event, which the tools do not listen to: report, don't crash.
process.on('uncaughtException', function (e: Error) {
  finish({ error: e.message });
});
console.log = console.info = console.warn = console.debug = function () {};
console.error = function (...args: unknown[]) {
  errors.push(args.map(String).join(' '));
};

// Nothing may reach the network but the board's own tcp:// console during an upload.
function blocked(what: string): never {
  fetched.push(what);
  throw new Error('network access blocked by tools/flash.ts: ' + what);
}
for (const mod of [http, https]) {
  const name = mod === http ? 'http' : 'https';
  const refuse = function (options: { host?: string; href?: string } | string): never {
    return blocked(name + ' ' + ((typeof options === 'object' && (options.host || options.href)) || options));
  };
  Object.assign(mod, { request: refuse, get: refuse });
}
globalThis.fetch = function (url: unknown) {
  return Promise.reject(blocked('fetch ' + String(url)));
};
const connect = net.createConnection;
// The upload's hooks for the board's tcp:// console: the tools' socket device reports neither a
// failed connect nor a reset connection (only a clean end), so the upload watches the socket.
let currentSocket: net.Socket | undefined;
let onSocketError = function (_e: Error): void {};
let onSocketClose = function (): void {};
const createConnection = function (...args: unknown[]): net.Socket {
  if (job.action !== 'upload') return blocked('tcp ' + args[1] + ':' + args[0]);
  const socket = (connect as (...a: unknown[]) => net.Socket).apply(net, args);
  currentSocket = socket;
  // core/serial_node_socket.js writes strings of bytes with the default encoding, UTF-8, which
  // would send each byte >= 0x80 as two; latin1 sends one byte per char, as the serial port does.
  socket.setDefaultEncoding('latin1');
  socket.on('error', function (e) {
    if (socket === currentSocket) onSocketError(e);
  });
  socket.on('close', function () {
    if (socket === currentSocket) onSocketClose();
  });
  return socket;
};
Object.assign(net, { createConnection: createConnection, connect: createConnection });

function start(): void {
  (require(job.espruinoPath) as { init(callback: () => void): void }).init(function () {
    configure((globalThis as unknown as { Espruino: EspruinoTools }).Espruino);
  });
}

function configure(E: EspruinoTools): void {
  Object.assign(E.Config, job.config);
  Object.assign(E.Core.Env.getData(), job.env);
  E.Core.Env.setFirmwareVersion(job.env.VERSION);
  const ignore = function () {};
  E.Core.Notifications = {
    success: ignore,
    info: ignore,
    warning: ignore,
    error: function (m: unknown) {
      errors.push(String(m));
    },
  };
  E.Core.Utils.getURL = E.Core.Utils.getJSONURL = function (url: string, callback: (data: unknown) => void) {
    fetched.push(url);
    callback(undefined);
  };
  E.Core.Utils.getBinaryURL = function (url: string, callback: (error: unknown) => void) {
    fetched.push(url);
    callback('blocked');
  };
  errors.length = 0; // loading reports missing optional parts (BLE, WebRTC): not our concern
  if (job.action === 'transform') transform(E);
  else upload(E);
}

function transform(E: EspruinoTools): void {
  // The require() scan (core/modules.js) tries to fetch every module that is not built in, and
  // prepends a newline even when it finds none. The bundle's modules are built into the firmware
  // or already in Storage, so declare them all present (found with the scan's own lexer).
  const requires: string[] = [];
  const lex = E.Core.Utils.getLexer(job.code);
  let twoBack: LexToken | undefined, oneBack: LexToken | undefined;
  for (let tok = lex.next(); tok !== undefined; tok = lex.next()) {
    if (twoBack && oneBack && twoBack.str === 'require' && oneBack.str === '(' && tok.type === 'STRING' && requires.indexOf(tok.value) < 0)
      requires.push(tok.value);
    twoBack = oneBack;
    oneBack = tok;
  }
  const env = E.Core.Env.getData();
  env.MODULES = [env.MODULES].concat(requires).join(',');
  E.callProcessor('transformForEspruino', job.code, function (code: string) {
    // reformatCode is the writer's first step; undefined means its lexer gave up.
    const writerOk = E.Core.CodeWriter.reformatCode(code) !== undefined;
    finish({ code: code, writerOk: writerOk, requires: requires });
  });
}

function upload(E: EspruinoTools): void {
  const Serial = E.Core.Serial;
  const port = job.port ?? '';
  const tcp = port.indexOf('tcp://') === 0;
  const device = Serial.devices.filter(function (d) {
    return d.name === (tcp ? 'Node Socket' : 'Node Serial');
  })[0];
  if (!device) return finish({ error: "no serial support: the optional 'serialport' package did not load (reinstall it, or use a tcp:// port)" });
  Serial.devices.splice(0, Serial.devices.length, device); // no BLE scans, no web bridges
  // serialport's list() misses ports on systems without udev, and /dev/serial/by-id links;
  // tools/flash.ts has checked that the port exists, so offer it to the tools in any case.
  const getPorts = device.getPorts;
  device.getPorts = function (callback) {
    getPorts(function (ports) {
      ports = ports || [];
      if (
        !ports.some(function (p) {
          return p.path === port;
        })
      )
        ports = ports.concat([{ path: port, description: 'configured' }]);
      callback(ports, true);
    });
  };
  const detail = function () {
    return errors.length ? ' (' + errors.join('; ') + ')' : '';
  };
  // connect: first connection; check: RAM check; write: sending; verify: reading the status back
  let phase: 'connect' | 'check' | 'write' | 'verify' = 'connect';
  let board: EspruinoResult['board'];
  let connected = false;
  let generation = 0; // one per connection: waits and queries of a lost connection are dropped
  let reconnectUntil = 0;
  let lastOutput = Date.now();
  let received = '';
  Serial.startListening(function (data: string | ArrayBuffer) {
    // getEspruinoPrompt and executeExpression hand back what they read as a string
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    lastOutput = Date.now();
    received += text;
    process.send!({ type: 'output', text: text });
  });
  const timeoutMs = job.timeoutMs ?? 0;
  const reconnectMs = job.reconnectMs ?? 0;
  setTimeout(function () {
    finish({ error: 'timed out after ' + Math.round(timeoutMs / 1000) + ' s' + detail(), board: board });
  }, timeoutMs);

  onSocketError = function (e) {
    if (phase === 'connect') finish({ error: 'cannot reach ' + port + ': ' + e.message });
    // later: a reset connection (load() restarts the board) or a refused reconnect; 'close' follows
  };
  onSocketClose = function () {
    lost();
  };

  function lost(): void {
    const was = connected;
    connected = false;
    generation++;
    if (phase === 'connect') return finish({ error: 'the connection closed before the board answered' + detail() });
    if (phase === 'write' && job.loads && was) phase = 'verify'; // load() may have run: check
    if (phase !== 'verify') return finish({ error: 'the connection closed during the upload' + detail(), board: board });
    reconnect();
  }

  // load() restarts the interpreter: a telnet console drops, a crashed board reboots. Try again
  // for job.reconnectMs, then report that the console did not come back.
  function reconnect(): void {
    if (reconnectUntil === 0) reconnectUntil = Date.now() + reconnectMs;
    if (Date.now() > reconnectUntil) {
      return finish({
        board: board,
        check: { answered: false, reason: 'no console at ' + port + ' for ' + Math.round(reconnectMs / 1000) + ' s after load()' },
      });
    }
    const gen = generation;
    setTimeout(function () {
      if (gen !== generation) return;
      Serial.open(
        port,
        function (status) {
          if (gen !== generation) return;
          if (status === undefined) return lost();
          connected = true;
          settle(gen, askStatus);
        },
        function () {
          if (!tcp && gen === generation) lost();
        },
      );
    }, 1000);
  }

  // Waits until the board has been quiet for a second (it prints while it boots), at most 20 s.
  function settle(gen: number, then: (gen: number) => void): void {
    const since = Date.now();
    const wait = setInterval(function () {
      if (gen !== generation) return clearInterval(wait);
      if (Date.now() - lastOutput < 1000 && Date.now() - since < 20000) return;
      clearInterval(wait);
      then(gen);
    }, 100);
  }

  // Prints JSON.stringify(expression) between markers, as executeExpression does, but without
  // its Ctrl-C (which would interrupt code that is still starting); undefined after timeoutMs.
  function ask(gen: number, expression: string, timeoutMs: number, callback: (value: unknown, answered: boolean) => void): void {
    received = '';
    Serial.write('\x10print("<","<<",JSON.stringify(' + expression + '),">>",">")\n', false, function () {});
    const since = Date.now();
    const poll = setInterval(function () {
      if (gen !== generation) return clearInterval(poll);
      const answer = /< << ([\s\S]*?) >> >/.exec(received)?.[1];
      if (answer === undefined && Date.now() - since < timeoutMs) return;
      clearInterval(poll);
      let value: unknown;
      try {
        value = answer === undefined ? undefined : JSON.parse(answer);
      } catch {
        value = undefined;
      }
      callback(value, answer !== undefined);
    }, 50);
  }

  function askStatus(gen: number): void {
    const name = job.statusGlobal;
    ask(gen, 'typeof ' + name + '==="undefined"?null:' + name, 10000, function (value, answered) {
      if (answered) return finish({ board: board, check: { answered: true, status: value as string | null } });
      finish({ board: board, check: { answered: false, reason: 'no answer to a query for 10 s' } });
    });
  }

  function write(): void {
    phase = 'write';
    errors.length = 0;
    E.Core.CodeWriter.writeToEspruino(job.code, function () {
      if (phase !== 'write') return;
      // "RECEIVE ERROR" is the socket reporting that load() reset the connection: expected.
      const reported = errors.filter(function (e) {
        return e.indexOf('RECEIVE ERROR') < 0;
      });
      if (reported.length) return finish({ error: reported.join('; '), board: board });
      phase = 'verify';
      if (connected) settle(generation, askStatus);
    });
  }

  // RAM mode: the memory the code will find is what a reset() leaves (the writer sends one too).
  function checkMemory(gen: number): void {
    phase = 'check';
    Serial.write('\x10reset();\n', false, function () {});
    lastOutput = Date.now();
    settle(gen, function () {
      ask(gen, '(function(m){return {free:m.free,total:m.total,usage:m.usage,blocksize:m.blocksize};})(process.memory())', 10000, function (answer) {
        const memory = answer as BoardMemory | null | undefined;
        if (!memory || typeof memory.free !== 'number') return finish({ error: 'the board did not answer process.memory()', board: board });
        process.once('message', function (verdict: { fits: boolean }) {
          if (verdict.fits) write();
          else finish({ board: board, refused: memory });
        });
        process.send!({ type: 'memory', memory: memory });
      });
    });
  }

  Serial.open(
    port,
    function (status) {
      if (status === undefined) return finish({ error: 'could not open the port' + detail() });
      connected = true;
      // Ask the board what it is before sending anything; this also proves the console answers.
      E.Core.Utils.executeExpression('{BOARD:process.env.BOARD,VERSION:process.env.VERSION}', function (result: string) {
        try {
          board = JSON.parse(result);
        } catch {
          board = undefined;
        }
        if (!board || !board.BOARD) {
          board = undefined;
          return finish({
            error: 'no answer from an Espruino console at ' + E.Config.BAUD_RATE + ' baud (is Espruino flashed? ESP32 and ESP8266 consoles run at 115200 baud)',
          });
        }
        if (!new RegExp(job.boardPattern ?? '').test(board.BOARD)) {
          return finish({ error: 'the board is ' + board.BOARD + ' ' + board.VERSION + ', not the configured board (' + job.env.BOARD + ')', board: board });
        }
        phase = 'check';
        if (job.checkMemory) checkMemory(generation);
        else write();
      });
    },
    function () {
      if (!tcp) lost();
    },
  );
}

/**
 * The npm package as a user gets it: `npm pack` (which runs `prepack`: the board build and
 * lib/), the tarball's contents, then an offline `npm install` of the tarball into a fresh
 * project, where three consumers echo with a `ws` server on 127.0.0.1: an ES module (.mjs), a
 * CommonJS file (.cjs, through Node's require() of ES modules) and a TypeScript file
 * type-checked by the repository's tsc against the installed declarations, under
 * `module: nodenext`, then compiled and run. A file with type errors must fail that check, so
 * the declarations are known to be read rather than taken as `any`.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { NPM_ENTRIES } from './public-api.ts';
import { startEchoServer, type EchoServer } from '../simboard/helpers.ts';

const root = path.join(import.meta.dirname, '..', '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of the commands: this process's, without what the test runner added (a
 * consumer is a plain Node process; `--import tsx` would not even resolve in its project).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/** Runs a command to its end (killed, by its own PID, after `timeoutMs`); never rejects. */
function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const options = { cwd, env: cleanEnv(), timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 32 << 20 };
    execFile(file, args, options, (error, stdout, stderr) => {
      const code = error ? (((error as ExecFileException).code as number | undefined) ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

function explain(what: string, r: Run): string {
  return `${what} exited with ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
}

/**
 * The echo every consumer runs: text with multi-byte UTF-8, then binary, then a close with a
 * reason; it prints one JSON line: the events and the names each entry point exports. The
 * process must then end by itself (nothing of the client may keep it alive).
 */
const ECHO_BODY = `
const url = process.argv[2];
const events = [];
const ws = new WebSocket(url);
ws.onopen = () => { ws.send('h\\u00e9llo \\u20ac'); };
ws.onmessage = (e) => {
  if (typeof e.data === 'string') {
    events.push('text ' + e.data);
    ws.send(new Uint8Array([1, 2, 255]));
  } else {
    events.push('binary ' + Array.prototype.join.call(e.data, ','));
    ws.close(1000, 'done');
  }
};
ws.onerror = (e) => { events.push('error ' + e.code + ' ' + e.message); };
ws.onclose = (e) => {
  events.push('close ' + e.code + ' ' + e.reason + ' ' + e.wasClean);
  console.log(JSON.stringify({ events, exports: names, board }));
};
`;

const MJS = `import { WebSocket } from 'espruino-wsclient';
const names = {};
for (const name of ${JSON.stringify(NPM_ENTRIES.map((e) => e.name))}) names[name] = Object.keys(await import(name)).sort();
const board = import.meta.resolve('espruino-wsclient/dist/esp32/ws.js');
${ECHO_BODY}`;

const CJS = `const { WebSocket } = require('espruino-wsclient');
const names = {};
for (const name of ${JSON.stringify(NPM_ENTRIES.map((e) => e.name))}) names[name] = Object.keys(require(name)).sort();
const board = require.resolve('espruino-wsclient/dist/esp32/ws.js');
${ECHO_BODY}`;

/** The TypeScript consumer: typed events, options, and a type from each entry point. */
const TS = `import { WebSocket, type CloseEvent, type MessageEvent, type WebSocketOptions } from 'espruino-wsclient';
import { parseWsUrl, type WsUrl } from 'espruino-wsclient/protocol';
import type { Hal } from 'espruino-wsclient/hal';

const url: string = process.argv[2] ?? '';
const target: WsUrl = parseWsUrl(url);
const hal: Hal | null = WebSocket.defaultHal;
const options: WebSocketOptions = { pingInterval: 0, binaryType: 'uint8array' };
const events: string[] = [];
const ws = new WebSocket(url, options);
ws.onopen = () => { ws.send('h\\u00e9llo \\u20ac'); };
ws.onmessage = (e: MessageEvent) => {
  if (typeof e.data === 'string') {
    events.push('text ' + e.data);
    ws.send(new Uint8Array([1, 2, 255]));
  } else {
    events.push('binary ' + Array.from(new Uint8Array(e.data instanceof ArrayBuffer ? e.data : e.data.slice())).join(','));
    ws.close(1000, 'done');
  }
};
ws.onerror = (e) => { events.push('error ' + e.code + ' ' + e.message); };
ws.onclose = (e: CloseEvent) => {
  events.push('close ' + e.code + ' ' + e.reason + ' ' + e.wasClean);
  console.log(JSON.stringify({ events, exports: { host: target.host, hal: hal !== null, ready: ws.readyState === WebSocket.CLOSED } }));
};
`;

/** Wrong on purpose: each line must be a type error if the declarations are read. */
const TS_BAD = `import { WebSocket } from 'espruino-wsclient';
const ws = new WebSocket('ws://127.0.0.1:1/');
const n: number = ws.protocol;
ws.send(42);
ws.onclose = (e) => e.nosuch;
`;

const TSCONFIG = (files: string[], outDir: string) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
      outDir,
    },
    files,
  });

/** What every consumer must print for the echo. */
const ECHO_EVENTS = ['text h\u00e9llo \u20ac', 'binary 1,2,255', 'close 1000 done true'];

describe('the npm package: pack, install, use', function () {
  this.timeout(300_000);
  let dir = '';
  let tarball = '';
  let project = '';
  let server: EchoServer | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsclient-pack-'));
    const packed = await run('npm', ['pack', '--pack-destination', dir], root, 240_000);
    expect(packed.code, explain('npm pack', packed)).to.equal(0);
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).to.have.length(1);
    tarball = path.join(dir, tarballs[0]!);
    project = path.join(dir, 'consumer');
    await run('mkdir', [project], dir, 5000);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project, 120_000);
    expect(installed.code, explain('npm install of the tarball', installed)).to.equal(0);
    server = await startEchoServer();
  });
  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships lib/ (JavaScript and declarations), the board modules, README, LICENSE and nothing else', async () => {
    const listed = await run('tar', ['tzf', tarball], dir, 30_000);
    expect(listed.code, explain('tar', listed)).to.equal(0);
    const files = listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const outsideLib = files.filter((f) => !f.startsWith('lib/')).sort();
    expect(outsideLib).to.deep.equal([
      'LICENSE',
      'README.md',
      'dist/esp32/ws.js',
      'dist/esp32/wsclient.js',
      'dist/esp8266/ws.js',
      'dist/esp8266/wsclient.js',
      'package.json',
    ]);
    const lib = files.filter((f) => f.startsWith('lib/'));
    expect(
      lib.filter((f) => !/\.(js|d\.ts)$/.test(f)),
      'only .js and .d.ts in lib/',
    ).to.deep.equal([]);
    for (const entry of ['lib/node/index.js', 'lib/node/index.d.ts', 'lib/protocol/index.js', 'lib/protocol/index.d.ts', 'lib/hal/types.d.ts']) {
      expect(lib).to.include(entry);
    }
    // Nothing of the board-only HAL or the application: they cannot run on Node.
    expect(lib.filter((f) => /espruino|firmware\/(app|main)/.test(f))).to.deep.equal([]);
    const license = await readFile(path.join(root, 'LICENSE'), 'utf8');
    expect(license)
      .to.match(/^MIT License/)
      .and.include('the espruino-wsclient authors');
  });

  it('installs offline with no runtime dependencies; the board modules are the built ones', async () => {
    const installed = path.join(project, 'node_modules', 'espruino-wsclient');
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).to.equal(undefined);
    expect(manifest.license).to.equal('MIT');
    for (const board of ['esp32', 'esp8266']) {
      for (const file of ['wsclient.js', 'ws.js']) {
        const shipped = await readFile(path.join(installed, 'dist', board, file));
        expect(shipped.equals(await readFile(path.join(root, 'dist', board, file))), `${board}/${file}`).to.equal(true);
        expect(shipped.length).to.be.greaterThan(10_000);
      }
    }
  });

  it('an .mjs consumer: new WebSocket(url) echoes over the Node HAL; the entry points export the pinned names; the board modules resolve', async () => {
    await writeFile(path.join(project, 'consumer.mjs'), MJS);
    const r = await run(process.execPath, ['consumer.mjs', server!.url], project, 30_000);
    expect(r.code, explain('node consumer.mjs', r)).to.equal(0);
    const out = JSON.parse(r.stdout.trim()) as { events: string[]; exports: Record<string, string[]>; board: string };
    expect(out.events).to.deep.equal(ECHO_EVENTS);
    expect(out.exports).to.deep.equal(Object.fromEntries(NPM_ENTRIES.map((e) => [e.name, e.values])));
    // The board modules resolve through the package's exports, for tools that upload them.
    expect(out.board).to.match(/node_modules\/espruino-wsclient\/dist\/esp32\/ws\.js$/);
  });

  it('a .cjs consumer: require() of the package works on Node >= 20.19 (no separate CommonJS build)', async () => {
    await writeFile(path.join(project, 'consumer.cjs'), CJS);
    const r = await run(process.execPath, ['consumer.cjs', server!.url], project, 30_000);
    expect(r.code, explain('node consumer.cjs', r)).to.equal(0);
    const out = JSON.parse(r.stdout.trim()) as { events: string[]; exports: Record<string, string[]>; board: string };
    expect(out.events).to.deep.equal(ECHO_EVENTS);
    expect(out.exports).to.deep.equal(Object.fromEntries(NPM_ENTRIES.map((e) => [e.name, e.values])));
    // The board modules resolve through the package's exports, for tools that upload them.
    expect(out.board).to.match(/node_modules\/espruino-wsclient\/dist\/esp32\/ws\.js$/);
  });

  it('a .ts consumer type-checks against the installed declarations (nodenext, no skipLibCheck), then echoes; misuse fails the check', async () => {
    // One tsc run for both files (it is slow): consumer.ts must have no error, and every line
    // of bad.ts one, which shows the declarations are read rather than taken as any.
    await writeFile(path.join(project, 'consumer.ts'), TS);
    await writeFile(path.join(project, 'bad.ts'), TS_BAD);
    await writeFile(path.join(project, 'tsconfig.json'), TSCONFIG(['consumer.ts', 'bad.ts'], 'out'));
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 120_000);
    const errors = checked.stdout.split('\n').filter((l) => /error TS/.test(l));
    expect(
      errors.map((l) => l.replace(/,\d+\): error.*$/, ')')),
      checked.stdout,
    ).to.deep.equal(['bad.ts(3)', 'bad.ts(4)', 'bad.ts(5)']);
    // tsc writes the JavaScript despite bad.ts's errors (noEmitOnError is off).
    const r = await run(process.execPath, [path.join('out', 'consumer.js'), server!.url], project, 30_000);
    expect(r.code, explain('node out/consumer.js', r)).to.equal(0);
    const out = JSON.parse(r.stdout.trim()) as { events: string[]; exports: Record<string, unknown> };
    expect(out.events).to.deep.equal(ECHO_EVENTS);
    expect(out.exports).to.deep.equal({ host: '127.0.0.1', hal: true, ready: true });
  });
});

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStartArgs, start, summaryLine, upToDate, type Running } from '../../tools/start';
import { handshakeStatus } from '../sink/fake-device';

const ROOT = join(import.meta.dirname, '..', '..');

describe('npm start', function () {
  this.timeout(60000);
  let running: Running | null = null;
  const logs: string[] = [];
  afterEach(async () => {
    await running?.stop();
    running = null;
    logs.length = 0;
  });
  const base = { board: 'esp32', devices: 1, host: '127.0.0.1', interval: 100, encoding: 'json', log: (l: string) => logs.push(l) };

  it('reports a busy port with a hint, before building anything', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    let error: Error | undefined;
    await start({ ...base, port }).catch((e: Error) => {
      error = e;
    });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    expect(error?.message).to.equal(
      `port ${port} on 127.0.0.1 is already in use, probably by another sink or npm start. ` +
        `Stop that one (Ctrl-C in its terminal), or pick another port: npm start -- --port ${port + 1} (--port 0 picks a free one)`,
    );
    expect(logs.some((l) => /build/.test(l))).to.equal(false);
  });

  it('simulated boards present their own tokens to a sink with tokens; a device without one gets 401', async () => {
    const tokens = { admin: 'admin-token-for-this-test-0001', devices: {} };
    running = await start({ ...base, port: 0, devices: 2, tokens });
    const sink = running.sink;
    expect(sink.auth).to.equal(true);
    const deadline = Date.now() + 20000;
    while (!['sim-esp32-1', 'sim-esp32-2'].every((id) => (sink.stats().devices[id]?.received ?? 0) >= 3)) {
      if (Date.now() > deadline) throw new Error(`no readings with tokens; log:\n${logs.slice(-15).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await handshakeStatus(sink.wsUrl)).to.equal(401);
    expect(logs.find((l) => l.startsWith('dashboard:'))).to.include(`?token=${tokens.admin}`);
  });

  it('closes the boards with 1001 on Ctrl-C (SIGINT to a running npm start) and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'start.ts'), '--port=0', '--interval', '100', '--devices', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 50000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    while ((out.match(/: hello \(/g) ?? []).length < 2) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(killer);
    expect(code, out).to.equal(0);
    expect(out.match(/sim-esp32-\d: closed \(1001\)/g), out).to.have.length(2);
    expect(out).not.to.match(/closed \(1006\)/);
    expect(out).to.match(/Ctrl-C: closing the boards' connections…\n(.|\n)*stopped\n$/);
  });

  it('summarises devices, readings per second and gaps in one line', () => {
    const device = { received: 30, gaps: 1, missing: 3, duplicates: 0, lastSeq: 33, connected: true, boot: 1, connects: 1, dropped: 0, rtt: 5, malformed: 0 };
    const stats = { devices: { a: device, b: { ...device, connected: false, gaps: 0, missing: 0 } }, unidentified: { malformed: 0 } };
    expect(summaryLine(stats, 40, 5)).to.deep.equal({ line: '1/2 devices connected · 4.0 readings/s · 60 received · 1 gap (3 missing)', received: 60 });
  });
});

describe('npm start: is the bundle up to date?', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'start-fresh-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is when every output is newer than every source, and names what changed otherwise', () => {
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const source = join(dir, 'src', 'deep', 'a.ts');
    const out = join(dir, 'firmware.js');
    writeFileSync(source, 'x');
    expect(upToDate([out], [join(dir, 'src')])).to.deep.equal({ fresh: false, reason: `${out} does not exist` });
    writeFileSync(out, 'y');
    utimesSync(source, 1000, 1000);
    utimesSync(out, 2000, 2000);
    expect(upToDate([out], [join(dir, 'src'), join(dir, 'missing.json')]).fresh).to.equal(true);
    utimesSync(source, 3000, 3000);
    const stale = upToDate([out], [join(dir, 'src')]);
    expect(stale.fresh).to.equal(false);
    expect(stale.reason).to.match(/src\/deep\/a\.ts changed since the last build$/);
  });
});

describe('npm start: arguments', () => {
  it('takes --name value and --name=value, -h, and refuses unknown flags and bad values naming them', () => {
    expect(parseStartArgs(['--devices=3', '--port', '0', '--encoding=binary'])).to.include({
      devices: 3,
      port: 0,
      encoding: 'binary',
      board: 'esp32',
      interval: 1000,
      help: false,
    });
    expect(parseStartArgs(['-h']).help).to.equal(true);
    expect(() => parseStartArgs(['--device', '3'])).to.throw(/Unknown option '--device'.*--help/);
    expect(() => parseStartArgs(['--interval', '10'])).to.throw('--interval must be a whole number from 50 to 86400000, got "10"');
    expect(() => parseStartArgs(['--board', 'esp33'])).to.throw('--board must be one of esp32, esp8266, got "esp33"');
    expect(() => parseStartArgs(['--port'])).to.throw(/--port/);
    expect(() => parseStartArgs(['--encoding', 'cbor'])).to.throw('--encoding must be json or binary, got "cbor"');
    expect(() => parseStartArgs(['--devices', '2x'])).to.throw('--devices must be a whole number from 1 to 100, got "2x"');
    expect(() => parseStartArgs(['--host='])).to.throw('--host must not be empty');
    expect(parseStartArgs(['--tokens', 't.json', '--rebuild'])).to.include({
      tokensFile: 't.json',
      rebuild: true,
      devices: 1,
      port: 8080,
      duration: 0,
      host: '127.0.0.1',
    });
  });
});

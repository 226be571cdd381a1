import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startSink, type Sink } from '../../tools/sink/index';
import { encodeBinary } from '../../tools/sink/decode';
import { eventually, FakeDevice } from './fake-device';
import { at, entry } from '../helpers/at';

/** Protocol-level tests: a `ws` client plays the device against a sink on 127.0.0.1, port 0. */
describe('sink protocol', () => {
  let sink: Sink;
  const devices: FakeDevice[] = [];
  const logs: string[] = [];

  async function device(id: string, options: Partial<Parameters<typeof FakeDevice.connect>[1]> = {}, hello = true): Promise<FakeDevice> {
    const connects = sink.stats().devices[id]?.connects ?? 0;
    const d = await FakeDevice.connect(sink.wsUrl, { device: id, ...options }, hello);
    devices.push(d);
    // The sink sends nothing for a hello: wait until it has taken it in.
    if (hello) await eventually(() => (sink.stats().devices[id]?.connects ?? 0) > connects, 2000, `hello of ${id}`);
    return d;
  }

  beforeEach(async () => {
    logs.length = 0;
    sink = await startSink({ port: 0, log: (line) => logs.push(line) });
  });

  afterEach(async () => {
    await sink.close();
    for (const d of devices.splice(0)) await d.close();
  });

  it('listens on 127.0.0.1 with the documented URLs', () => {
    expect(sink.port).to.be.above(0);
    expect(sink.url).to.equal(`http://127.0.0.1:${sink.port}`);
    expect(sink.wsUrl).to.equal(`ws://127.0.0.1:${sink.port}/ws`);
  });

  it('acks every JSON reading cumulatively and stores its values', async () => {
    const d = await device('esp-json');
    expect(await d.send(1, [0.25, 21.5])).to.equal(1);
    expect(await d.send(2, [0.5, 21.75])).to.equal(2);
    const state = at(sink.devices(), 0, 'sink devices');
    expect(state).to.include({ device: 'esp-json', board: 'esp32', boot: d.boot, connected: true, received: 2, lastSeq: 2, encoding: 'json' });
    expect(state.sensors).to.deep.equal(['analog', 'temperature']);
    expect(state.last).to.include({ seq: 2, time: 2000 });
    expect(state.last!.values).to.deep.equal({ analog: 0.5, temperature: 21.75 });
  });

  it('decodes binary readings with the sensors of the hello', async () => {
    const d = await device('esp-bin', { encoding: 'binary', sensors: ['analog', 'temperature', 'humidity'] });
    expect(await d.send(1, [0.5, 22.25, 40])).to.equal(1);
    expect(await d.send(2, [0.75, 22.5, 41])).to.equal(2);
    const state = at(sink.devices(), 0, 'sink devices');
    expect(state).to.include({ received: 2, lastSeq: 2, malformed: 0 });
    expect(state.last!.values).to.deep.equal({ analog: 0.75, temperature: 22.5, humidity: 41 });
  });

  it('ignores duplicates (seq at or below the last) but still acks them', async () => {
    const d = await device('esp-dup');
    for (const seq of [1, 2, 3]) await d.send(seq);
    // The device resends what it had not seen acked after a reconnect.
    expect(await d.send(2, [99, 99])).to.equal(3);
    expect(await d.send(3, [99, 99])).to.equal(3);
    expect(await d.send(4)).to.equal(4);
    const stats = sink.stats().devices['esp-dup'];
    expect(stats).to.include({ received: 4, duplicates: 2, lastSeq: 4, gaps: 0, missing: 0 });
    expect(at(sink.devices(), 0, 'sink devices').last!.values.analog).to.equal(4);
  });

  it('counts gaps and missing readings when seq jumps', async () => {
    const d = await device('esp-gap');
    await d.send(1);
    await d.send(5); // 2, 3, 4 missing
    await d.send(6);
    expect(await d.send(9)).to.equal(9); // 7, 8 missing
    expect(sink.stats().devices['esp-gap']).to.include({ received: 4, gaps: 2, missing: 5, lastSeq: 9 });
    expect(logs.some((l) => /3 missing before seq 5/.test(l))).to.equal(true);
  });

  it('counts malformed input per device, logs it and keeps the connection open', async () => {
    const d = await device('esp-bad');
    d.socket.send('{not json');
    d.json({ type: 'telemetry', device: 'esp-bad' });
    d.json({ type: 'reading', device: 'esp-bad', boot: d.boot, seq: 'one', time: 0, values: {} });
    d.json({ type: 'reading', device: 'other', boot: d.boot, seq: 1, time: 0, values: {} });
    d.json({ type: 'reading', device: 'esp-bad', boot: d.boot + 1, seq: 1, time: 0, values: {} });
    d.socket.send(Uint8Array.of(0x02, 0, 0));
    d.socket.send(encodeBinary({ seq: 1, boot: d.boot, time: 0, values: [1, 2, 3] })); // three values, two sensors
    expect(await d.send(1)).to.equal(1); // still served, in order after the bad ones
    expect(d.closed).to.equal(false);
    expect(sink.stats().devices['esp-bad']).to.include({ malformed: 7, received: 1 });
    expect(logs.filter((l) => l.startsWith('esp-bad: malformed'))).to.have.length(7);
    expect(logs.some((l) => l.includes('bad JSON'))).to.equal(true);
  });

  it('counts input before a valid hello as unidentified', async () => {
    const d = await device('esp-early', {}, false);
    d.reading(1);
    d.socket.send(encodeBinary({ seq: 1, boot: 1, time: 0, values: [1] }));
    d.json({ type: 'hello', device: 'esp-early' }); // incomplete hello
    await eventually(() => sink.stats().unidentified.malformed === 3, 2000, 'three unidentified');
    expect(sink.stats().devices).to.deep.equal({});
    d.hello();
    expect(await d.send(1)).to.equal(1);
  });

  it('stores the last metrics and reports rtt and dropped in the stats', async () => {
    const d = await device('esp-metrics');
    d.metrics({ rssi: -61, freeVars: 1200, reconnects: 3, dropped: 4, rtt: 42, uptime: 60000, buffered: 2 });
    await eventually(() => sink.devices().some((d) => d.metrics !== null), 2000, 'metrics');
    expect(at(sink.devices(), 0, 'sink devices').metrics).to.include({
      rssi: -61,
      freeVars: 1200,
      reconnects: 3,
      dropped: 4,
      rtt: 42,
      uptime: 60000,
      buffered: 2,
      boot: d.boot,
    });
    expect(sink.stats().devices['esp-metrics']).to.include({ rtt: 42, dropped: 4 });
  });

  it('keeps the seq count across a reconnect of the same boot and restarts it on a new boot', async () => {
    const first = await device('esp-re', { boot: 100 });
    await first.send(1);
    await first.send(2);
    await first.close();
    await eventually(() => sink.stats().devices['esp-re']?.connected === false, 2000, 'disconnect');

    const again = await device('esp-re', { boot: 100 });
    expect(await again.send(2)).to.equal(2); // a resend: duplicate
    expect(await again.send(3)).to.equal(3);
    expect(sink.stats().devices['esp-re']).to.include({ connects: 2, received: 3, duplicates: 1, connected: true });
    await again.close();

    const rebooted = await device('esp-re', { boot: 200 });
    expect(await rebooted.send(1)).to.equal(1);
    expect(sink.stats().devices['esp-re']).to.include({ connects: 3, boot: 200, lastSeq: 1, received: 4, gaps: 0 });
  });

  it('flips connected to false when the socket closes, and a newer connection replaces an older one', async () => {
    const old = await device('esp-flip');
    await old.send(1);
    expect(entry(sink.stats().devices, 'esp-flip', 'devices').connected).to.equal(true);
    const fresh = await device('esp-flip');
    await fresh.send(2);
    await eventually(() => old.closed, 2000, 'old socket closed by the sink');
    expect(entry(sink.stats().devices, 'esp-flip', 'devices').connected).to.equal(true); // the old close does not count
    expect(sink.sendCommand('esp-flip', { command: 'report-metrics' })).to.equal(true);
    await fresh.next('command');
    await fresh.close();
    await eventually(() => sink.stats().devices['esp-flip']?.connected === false, 2000, 'disconnect');
    expect(sink.sendCommand('esp-flip', { command: 'report-metrics' })).to.equal(false);
  });

  it('sendCommand adds an id, records the reply, and refuses unknown commands', async () => {
    const d = await device('esp-cmd');
    expect(sink.sendCommand('esp-cmd', { command: 'set-interval', interval: 250 })).to.equal(true);
    const command = await d.next('command');
    expect(command).to.include({ type: 'command', command: 'set-interval', interval: 250 });
    expect(command.id).to.be.a('string').and.not.equal('');
    d.json({ type: 'ack', id: command.id });
    await eventually(() => sink.devices()[0]?.commands[0]?.status === 'acked', 2000, 'ack recorded');
    expect(at(sink.devices(), 0, 'sink devices').interval).to.equal(250);

    expect(sink.sendCommand('esp-cmd', { command: 'report-metrics' })).to.equal(true);
    const second = await d.next('command', 1);
    expect(second.id).not.to.equal(command.id);
    d.json({ type: 'error', id: second.id, error: 'busy' });
    await eventually(() => sink.devices()[0]?.commands[1]?.status === 'error', 2000, 'error recorded');
    expect(at(at(sink.devices(), 0, 'sink devices').commands, 1, 'commands').error).to.equal('busy');

    expect(sink.sendCommand('nobody', { command: 'report-metrics' })).to.equal(false);
    expect(() => sink.sendCommand('esp-cmd', { command: 'reboot' })).to.throw(TypeError, /unknown command/);
  });

  it('accepts devices on /ws and on /', async () => {
    for (const path of ['/ws', '/']) {
      const id = `esp-path${path.replace(/\//g, '-')}`;
      const d = await FakeDevice.connect(`ws://127.0.0.1:${sink.port}${path}`, { device: id });
      devices.push(d);
      expect(await d.send(1)).to.equal(1);
      expect(sink.stats().devices[id]).to.include({ received: 1, connected: true });
    }
  });

  it('accepts devices on the path of the committed flash.config.json and of every device URL in the README', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const template = JSON.parse(readFileSync(join(root, 'flash.config.json'), 'utf8')).server as string;
    // The device URLs of the README: the flash settings, the firmware and the sink sections.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const sections = readme.slice(readme.indexOf('## Uploading to a board'), readme.indexOf('## Security'));
    const documented = [...sections.matchAll(/ws:\/\/[^/\s"'`]+(\/[^\s"'`),]*)/g)].map((m) => at(m, 1, 'README device URL'));
    expect(documented.length).to.be.at.least(2);
    const paths = [...new Set([new URL(template).pathname, ...documented])];
    for (const path of paths) {
      const id = `esp-doc${path.replace(/\//g, '-')}`;
      const d = await FakeDevice.connect(`ws://127.0.0.1:${sink.port}${path}`, { device: id });
      devices.push(d);
      expect(await d.send(1), `path ${path}`).to.equal(1);
    }
    expect(new URL(template).pathname).to.equal('/ws');
  });

  it('rejects WebSocket upgrades on other paths', async () => {
    const socket = new WebSocket(sink.url.replace('http', 'ws') + '/other');
    socket.on('error', () => {});
    const status = await new Promise<number>((resolve) =>
      socket.once('unexpected-response', (req, res) => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      }),
    );
    expect(status).to.equal(404);
  });

  it('drops sockets that stop answering pings (heartbeat) and keeps those that answer', async () => {
    await sink.close();
    sink = await startSink({ port: 0, heartbeat: 50 });
    const alive = await device('esp-alive');
    const silent = await device('esp-silent', { autoPong: false });
    await alive.send(1);
    await silent.send(1);
    await eventually(() => sink.stats().devices['esp-silent']?.connected === false, 2000, 'dropped by heartbeat');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(entry(sink.stats().devices, 'esp-alive', 'devices').connected).to.equal(true);
    expect(alive.closed).to.equal(false);
  });
});

describe('sink JSON-lines file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sink-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends every received message, valid or not, as one JSON line', async () => {
    const file = join(dir, 'readings.jsonl');
    const sink = await startSink({ port: 0, file });
    const d = await FakeDevice.connect(sink.wsUrl, { device: 'esp-file', encoding: 'binary', sensors: ['analog'] });
    await d.send(1, [0.5]);
    d.socket.send('oops');
    d.metrics({ rtt: 10 });
    await d.send(2, [0.25]);
    await d.close();
    await sink.close();

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.message?.type ?? 'malformed')).to.deep.equal(['hello', 'reading', 'malformed', 'metrics', 'reading']);
    expect(lines.every((l) => l.device === 'esp-file' && typeof l.at === 'number')).to.equal(true);
    expect(lines[1]).to.deep.include({ frame: 'binary' });
    expect(lines[1].message).to.deep.include({ seq: 1, values: { analog: 0.5 } });
    expect(lines[2]).to.include({ frame: 'text', raw: 'oops', error: 'bad JSON' });

    // A second run appends rather than truncating.
    const again = await startSink({ port: 0, file });
    const d2 = await FakeDevice.connect(again.wsUrl, { device: 'esp-file', encoding: 'binary', sensors: ['analog'] });
    await d2.send(3, [1]);
    await again.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(7);
  });

  it('rejects at start when the file cannot be opened', async () => {
    let error: Error | undefined;
    await startSink({ port: 0, file: join(dir, 'missing', 'x.jsonl') }).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.match(/ENOENT/);
  });
});

describe('sink close', () => {
  it('closes every socket and the server, and is idempotent', async () => {
    const sink = await startSink({ port: 0, heartbeat: 1000 });
    const d = await FakeDevice.connect(sink.wsUrl, { device: 'esp-close' });
    await d.send(1);
    await sink.close();
    await eventually(() => d.closed, 2000, 'device socket closed');
    expect(d.socket.readyState).to.equal(WebSocket.CLOSED);
    await sink.close();
    let refused = false;
    await fetch(sink.url + '/api/stats').catch(() => {
      refused = true;
    });
    expect(refused, 'port still answers').to.equal(true);
  });

  it('leaves nothing running: a process that used a sink and closed it exits by itself', async function () {
    this.timeout(15000);
    const script = fileURLToPath(new URL('./close-exits.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    expect(code, `the child did not exit by itself within 6 s (killed) or failed:\n${out}`).to.equal(0);
    const closedAt = Number(/closed (\d+)/.exec(out)?.[1]);
    expect(Date.now() - closedAt, 'time from close() to exit').to.be.below(1000);
  });

  it('rejects when the port is taken', async () => {
    const sink = await startSink({ port: 0 });
    let error: Error | undefined;
    await startSink({ port: sink.port }).catch((e: Error) => {
      error = e;
    });
    await sink.close();
    expect(error?.message).to.match(/EADDRINUSE/);
  });
});

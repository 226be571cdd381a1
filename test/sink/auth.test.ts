import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink, type Sink } from '../../tools/sink/index';
import { addDevice, checkTokens, deviceOf, isLoopback, loadTokens, sameToken, type SinkTokens } from '../../tools/sink/auth';
import { eventually, FakeDevice, handshakeStatus } from './fake-device';
import { at, entry } from '../helpers/at';

const TOKENS: SinkTokens = {
  admin: 'admin-token-0123456789abcdef',
  devices: { 'esp32-a': 'token-of-device-a-0123456789', 'esp32-b': 'token-of-device-b-0123456789' },
};

/** A sink with tokens, on 127.0.0.1: devices need their own token, the API and dashboard the admin token. */
describe('sink tokens', () => {
  let sink: Sink;
  const logs: string[] = [];
  const devices: FakeDevice[] = [];

  beforeEach(async () => {
    logs.length = 0;
    sink = await startSink({ port: 0, tokens: TOKENS, log: (line) => logs.push(line) });
  });
  afterEach(async () => {
    await sink.close();
    for (const d of devices.splice(0)) await d.close();
  });

  async function connect(device: string, token?: string): Promise<FakeDevice> {
    const d = await FakeDevice.connect(sink.wsUrl, { device, token });
    devices.push(d);
    return d;
  }

  it('accepts a device presenting its own token', async () => {
    expect(sink.auth).to.equal(true);
    const d = await connect('esp32-a', TOKENS.devices['esp32-a']);
    expect(await d.send(1)).to.equal(1);
    expect(sink.stats().devices['esp32-a']).to.include({ received: 1, connected: true });
  });

  it('answers 401 before the upgrade for a missing, wrong or admin token', async () => {
    expect(await handshakeStatus(sink.wsUrl)).to.equal(401);
    expect(await handshakeStatus(sink.wsUrl, { authorization: 'Bearer not-a-token-of-anyone-000' })).to.equal(401);
    expect(await handshakeStatus(sink.wsUrl, { authorization: `Bearer ${TOKENS.devices['esp32-a']}x` })).to.equal(401);
    expect(await handshakeStatus(sink.wsUrl, { authorization: `Basic ${TOKENS.devices['esp32-a']}` })).to.equal(401);
    expect(await handshakeStatus(sink.wsUrl, { authorization: `Bearer ${TOKENS.admin}` })).to.equal(401);
    expect(await handshakeStatus(sink.wsUrl, { authorization: `Bearer ${TOKENS.devices['esp32-a']}` })).to.equal(101);
    expect(logs.filter((l) => /^refused .*: no device token/.test(l))).to.have.length(2);
    expect(logs.filter((l) => /^refused .*: unknown device token/.test(l))).to.have.length(3);
    expect(sink.stats()).to.deep.equal({ devices: {}, unidentified: { malformed: 0 } });
  });

  it("closes a connection whose hello claims another device than its token's (1008), storing nothing for it", async () => {
    const d = await connect('esp32-b', TOKENS.devices['esp32-a']);
    const code = await new Promise<number>((resolve) => d.socket.once('close', (c) => resolve(c)));
    expect(code).to.equal(1008);
    expect(sink.stats().devices).to.deep.equal({});
    expect(logs.some((l) => l.includes('esp32-a: hello claims device esp32-b'))).to.equal(true);
    // Device b's own token still works, and a's token for a too.
    const b = await connect('esp32-b', TOKENS.devices['esp32-b']);
    expect(await b.send(1)).to.equal(1);
    const a = await connect('esp32-a', TOKENS.devices['esp32-a']);
    expect(await a.send(1)).to.equal(1);
  });

  it('refuses readings for another device on an authenticated connection', async () => {
    const a = await connect('esp32-a', TOKENS.devices['esp32-a']);
    await a.send(1);
    a.json({ type: 'reading', device: 'esp32-b', boot: a.boot, seq: 2, time: 0, values: {} });
    await eventually(() => sink.stats().devices['esp32-a']?.malformed === 1, 2000, 'the reading counted as malformed');
    expect(sink.stats().devices['esp32-b']).to.equal(undefined);
  });

  it('the API needs the admin token: Bearer header, or the cookie /?token= sets', async () => {
    const a = await connect('esp32-a', TOKENS.devices['esp32-a']);
    await a.send(1);
    expect((await fetch(`${sink.url}/api/stats`)).status).to.equal(401);
    expect((await fetch(`${sink.url}/`)).status).to.equal(401);
    expect((await fetch(`${sink.url}/api/stats`, { headers: { authorization: `Bearer ${TOKENS.devices['esp32-a']}` } })).status).to.equal(401);
    const command = { method: 'POST', body: '{"command":"report-metrics"}' };
    expect((await fetch(`${sink.url}/api/devices/esp32-a/command`, command)).status).to.equal(401);
    expect(a.count('command')).to.equal(0);

    const admin = { authorization: `Bearer ${TOKENS.admin}` };
    const stats = await fetch(`${sink.url}/api/stats`, { headers: admin });
    expect(stats.status).to.equal(200);
    expect(entry(((await stats.json()) as { devices: { [id: string]: { received: number } } }).devices, 'esp32-a', '/api/stats devices').received).to.equal(1);
    expect((await fetch(`${sink.url}/api/devices/esp32-a/command`, { ...command, headers: admin })).status).to.equal(200);
    await a.next('command');

    expect((await fetch(`${sink.url}/?token=wrong-token-0000000000`, { redirect: 'manual' })).status).to.equal(401);
    const login = await fetch(`${sink.url}/?token=${TOKENS.admin}`, { redirect: 'manual' });
    expect(login.status).to.equal(303);
    expect(login.headers.get('location')).to.equal('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie)
      .to.match(/HttpOnly/)
      .and.match(/SameSite=Strict/);
    const page = await fetch(`${sink.url}/`, { headers: { cookie: at(cookie.split(';'), 0, 'set-cookie') } });
    expect(page.status).to.equal(200);
    expect(await page.text()).to.match(/^<!doctype html>/i);
  });

  it('a sink without tokens is for loopback only: a wider host is refused before it listens', async () => {
    let error: Error | undefined;
    await startSink({ host: '0.0.0.0', port: 0 }).catch((e: Error) => {
      error = e;
    });
    expect(error?.message)
      .to.match(/0\.0\.0\.0, beyond this machine, without tokens/)
      .and.match(/--tokens FILE/);
    expect(isLoopback('127.0.0.1')).to.equal(true);
    expect(isLoopback('::1')).to.equal(true);
    expect(isLoopback('localhost')).to.equal(true);
    expect(isLoopback('0.0.0.0')).to.equal(false);
    expect(isLoopback('192.168.1.10')).to.equal(false);
    expect(isLoopback('::')).to.equal(false);
  });
});

describe('sink token file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sink-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--add-device creates the file (mode 600, with an admin token) and adds devices with distinct tokens', () => {
    const file = join(dir, 'tokens.json');
    const first = addDevice(file, 'esp32-1');
    expect(first.created).to.equal(true);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const second = addDevice(file, 'esp8266-2');
    expect(second.created).to.equal(false);
    const tokens = loadTokens(file);
    expect(tokens.devices).to.deep.equal({ 'esp32-1': first.token, 'esp8266-2': second.token });
    expect(tokens.admin).to.have.length(32);
    expect(new Set([tokens.admin, first.token, second.token]).size).to.equal(3);
    expect(deviceOf(tokens, second.token)).to.equal('esp8266-2');
    expect(deviceOf(tokens, tokens.admin)).to.equal(null);
    expect(() => addDevice(file, 'esp32-1')).to.throw(/esp32-1 already has a token/);
    expect(() => addDevice(file, 'bad id')).to.throw(/device id "bad id"/);
    expect(loadTokens(file)).to.deep.equal(tokens); // refusals changed nothing
  });

  it('names the file and field at fault', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{oops');
    expect(() => loadTokens(file)).to.throw(/bad\.json: not valid JSON/);
    expect(() => loadTokens(join(dir, 'none.json'))).to.throw(/none\.json: ENOENT/);
    expect(() => checkTokens({ devices: {} }, 'f')).to.throw('f: "admin" is required; it must be a token of 16 to 256 letters, digits or ._~+/=-');
    expect(() => checkTokens({ admin: 'short' }, 'f')).to.throw('f: "admin" must be a token of 16 to 256 letters, digits or ._~+/=-, got "short"');
    expect(() => checkTokens([], 'f')).to.throw('f: must be a JSON object {"admin": …, "devices": {…}}, got []');
    expect(() => checkTokens({ admin: TOKENS.admin, devices: [] }, 'f')).to.throw('f: "devices" must be an object of device id to token, got []');
    expect(() => checkTokens({ admin: TOKENS.admin, devices: { 'bad id': 'abcdefghijklmnop-_0123' } }, 'f')).to.throw(
      `f: "devices" has a key that must be 1 to 32 letters, digits, '-', '_' or '.', got "bad id"`,
    );
    expect(() => checkTokens({ admin: TOKENS.admin, devices: { a: 'short' } }, 'f')).to.throw('f: "devices.a" must be a token');
    expect(() => checkTokens({ admin: TOKENS.admin, devices: { a: 'same-token-0123456789', b: 'same-token-0123456789' } }, 'f')).to.throw(
      'f: "devices.b" has the same token as "devices.a"',
    );
    expect(() => checkTokens({ admin: TOKENS.admin, devices: { a: TOKENS.admin } }, 'f')).to.throw('"devices.a" has the admin token');
    expect(() => checkTokens({ ...TOKENS, extra: 1 }, 'f')).to.throw('f: unknown field "extra" (known: admin, devices)');
    expect(checkTokens({ admin: TOKENS.admin }, 'f')).to.deep.equal({ admin: TOKENS.admin, devices: {} });
    expect(readFileSync(file, 'utf8')).to.equal('{oops');
  });

  it('compares tokens by value', () => {
    expect(sameToken('abc', 'abc')).to.equal(true);
    expect(sameToken('abc', 'abd')).to.equal(false);
    expect(sameToken('abc', 'abcd')).to.equal(false);
    expect(sameToken('', 'a')).to.equal(false);
  });
});

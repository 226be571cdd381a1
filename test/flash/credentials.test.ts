/**
 * credentials "wifi-save": the WiFi credentials reach the board through Espruino's own
 * Wifi.save() (Storage file .wificfg), and the uploaded application code carries none.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { expect } from 'chai';
import { buildBoard } from '../../tools/build.ts';
import { createSimBoard, type SimBoard } from '../../tools/simboard/index.ts';
import { startSink, type Sink } from '../../tools/sink/index.ts';
import { eventually } from '../sink/fake-device.ts';
import { configPrelude, wifiSaveStatement } from '../../tools/flash.ts';
import { evalFlashConfig, fixtureBytes, makeProject, SETTINGS_ENV, type Project } from './fixtures/harness.ts';
import { entry } from '../helpers/at.ts';

/** How the board holds a string: its UTF-8 bytes, one char each. */
const bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const SSID = bytes(SETTINGS_ENV.WIFI_SSID);
const PASSWORD = bytes(SETTINGS_ENV.WIFI_PASSWORD);
/** How a string appears inside upload code: JSON with non-ASCII bytes as \xNN (as tools/flash.ts writes it). */
const escaped = (text: string): string =>
  JSON.stringify(text)
    .slice(1, -1)
    .replace(/[^\x00-\x7f]+/g, (t) => [...Buffer.from(t, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''));

/**
 * Runs upload code as the board would, with a recording Storage and a Wifi module that is on
 * `current` (or on no network), and that keeps what save() would write to .wificfg.
 */
function runOnBoard(code: string, current: { ssid: string; password: string } | null) {
  const files: Record<string, string> = {};
  const calls: string[] = [];
  let station = current;
  const wifi = {
    getDetails: () => (station === null ? {} : { ssid: station.ssid, password: station.password }),
    connect: (ssid: string, options: { password: string }, callback: () => void) => {
      calls.push('connect');
      station = { ssid, password: options.password };
      expect(callback).to.be.a('function');
    },
    save: () => {
      calls.push('save');
      files['.wificfg'] = JSON.stringify({ ssid: station?.ssid, password: station?.password, mode: 1 });
    },
  };
  const storage = {
    write(name: string, data: string, offset: number, size?: number): void {
      const before = size !== undefined ? '' : files[name];
      if (before === undefined) throw new Error(`write to ${name} at ${offset} before the write that creates it (with a size)`);
      expect(offset).to.equal(before.length);
      files[name] = before + data;
    },
  };
  let loads = 0;
  vm.runInNewContext(code, {
    require: (name: string) => (name === 'Wifi' ? wifi : name === 'Storage' ? storage : undefined),
    load: () => {
      loads++;
    },
  });
  return { files, calls, loads };
}

describe('tools/flash: credentials "wifi-save"', () => {
  let project: Project;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(() => project.dispose());

  const env = { ...SETTINGS_ENV, FLASH_CREDENTIALS: 'wifi-save' };
  const settings = {
    wifi: { ssid: SETTINGS_ENV.WIFI_SSID, password: SETTINGS_ENV.WIFI_PASSWORD },
    server: SETTINGS_ENV.WS_SERVER_URL,
    deviceId: SETTINGS_ENV.DEVICE_ID,
  };

  it('storage mode: Wifi.save() first, in RAM; .bootcde holds the firmware with no SSID or password', async () => {
    expect(await project.run(['--dry-run'], env)).to.equal(0);
    const sent = project.read('dist/esp32/upload.js');
    const lines = sent.split('\n');
    const statement = await wifiSaveStatement(settings.wifi);
    // One line (it runs on its own, in RAM), that leaves no global behind: one function call.
    expect(statement).not.to.contain('\n');
    expect(statement).to.match(/^\(function\(WIFI\)\{.*\}\)\(\{"ssid":".*","password":".*"\}\);$/);
    expect(lines[0]).to.equal(statement);
    expect(lines.slice(1).join('\n')).not.to.contain(escaped(SETTINGS_ENV.WIFI_PASSWORD));
    const board = runOnBoard(sent, null);
    expect(board.calls).to.deep.equal(['connect', 'save']);
    expect(JSON.parse(entry(board.files, '.wificfg', 'Storage files'))).to.include({ ssid: SSID, password: PASSWORD });
    expect(Object.keys(board.files).sort()).to.deep.equal(['.bootcde', '.wificfg']);
    const bootcde = entry(board.files, '.bootcde', 'Storage files');
    expect(bootcde).to.equal(configPrelude({ ...settings, credentials: 'wifi-save' }) + fixtureBytes('firmware.js'));
    for (const secret of [PASSWORD, SSID, escaped(SETTINGS_ENV.WIFI_PASSWORD), escaped(SETTINGS_ENV.WIFI_SSID)]) expect(bootcde).not.to.contain(secret);
    expect(evalFlashConfig(bootcde)).to.deep.equal({ server: SETTINGS_ENV.WS_SERVER_URL, deviceId: SETTINGS_ENV.DEVICE_ID });
    expect(board.loads).to.equal(1);
    expect(project.logs.join('\n')).to.contain(
      'the WiFi credentials, stored with Wifi.save() in Storage file ".wificfg", then the FLASH_CONFIG statement (without credentials)',
    );
  });

  it('does not rejoin a board already on that network (a telnet upload would drop), only saves', async () => {
    const statement = await wifiSaveStatement(settings.wifi);
    const board = runOnBoard(statement, { ssid: SSID, password: PASSWORD });
    expect(board.calls).to.deep.equal(['save']);
    const moved = runOnBoard(statement, { ssid: SSID, password: 'old password' });
    expect(moved.calls).to.deep.equal(['connect', 'save']);
    expect(JSON.parse(entry(moved.files, '.wificfg', 'Storage files'))).to.include({ password: PASSWORD });
  });

  it('ram mode: the Wifi.save() line, then the FLASH_CONFIG statement without credentials and the bundle', async () => {
    expect(await project.run(['--dry-run'], { ...env, FLASH_SAVE: 'ram' })).to.equal(0);
    expect(project.read('dist/esp32/upload.js')).to.equal(
      `${await wifiSaveStatement(settings.wifi)}\n${configPrelude({ ...settings, credentials: 'wifi-save' })}${fixtureBytes('firmware.js')}`,
    );
  });

  it('by default ("code") the credentials stay in the FLASH_CONFIG statement, and Wifi.save() is not called', async () => {
    expect(await project.run(['--dry-run'], SETTINGS_ENV)).to.equal(0);
    const board = runOnBoard(project.read('dist/esp32/upload.js'), null);
    expect(board.calls).to.deep.equal([]);
    expect(board.files['.bootcde']).to.contain(escaped(SETTINGS_ENV.WIFI_PASSWORD));
    expect(evalFlashConfig(entry(board.files, '.bootcde', 'Storage files'))).to.deep.include({ wifi: settings.wifi });
  });

  it('--library-only sends no credentials at all', async () => {
    expect(await project.run(['--dry-run', '--library-only'], env)).to.equal(0);
    const sent = project.read('dist/esp32/upload-wsclient.js');
    for (const text of ['.save()', 'require("Wifi")', escaped(SETTINGS_ENV.WIFI_PASSWORD)]) expect(sent).not.to.contain(text);
  });

  it('is checked like every field, naming the source', async () => {
    expect(await project.run(['--dry-run'], { FLASH_CREDENTIALS: 'nvs' })).to.equal(1);
    expect(project.errors).to.deep.equal(['flash: environment variable FLASH_CREDENTIALS: "credentials" must be one of code, wifi-save, got "nvs"']);
  });
});

describe('credentials "wifi-save" on a simulated ESP32', () => {
  let dir: string;
  let sink: Sink | undefined;
  let board: SimBoard | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wifi-save-'));
  });
  after(async () => {
    await board?.shutdown();
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Wifi line joins the configured network; the firmware from .bootcde, without credentials, streams', async () => {
    const build = await buildBoard('esp32', dir);
    const firmware = build.bundles.find((b) => /firmware\.js$/.test(b.file))!;
    sink = await startSink({ port: 0, log: () => {} });
    const settings = {
      wifi: { ssid: SETTINGS_ENV.WIFI_SSID, password: SETTINGS_ENV.WIFI_PASSWORD },
      server: sink.wsUrl,
      deviceId: 'wifi-save-1',
      app: { sampleInterval: 100 },
      credentials: 'wifi-save' as const,
    };
    const lines: string[] = [];
    board = createSimBoard({ board: 'esp32', wifi: { connected: false }, console: (line) => lines.push(line) });
    board.run(await wifiSaveStatement(settings.wifi), 'wifi-save.js');
    const bootcde = configPrelude(settings) + readFileSync(firmware.file, 'utf8');
    expect(bootcde).not.to.contain(SETTINGS_ENV.WIFI_PASSWORD);
    board.run(bootcde, '.bootcde');
    await eventually(() => (sink!.stats().devices['wifi-save-1']?.received ?? 0) >= 3, 5000, 'readings from the board');
    expect(board.evaluate('require("Wifi").getDetails().ssid')).to.equal(SSID);
    expect(lines.filter((l) => /cannot start|Uncaught/.test(l))).to.deep.equal([]);
  });
});

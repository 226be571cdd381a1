import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadFlashConfig, type FlagOverrides } from '../../tools/flash-config.ts';
import { REPO_ROOT } from './fixtures/harness.ts';

const VALID = {
  board: 'esp32',
  port: '/dev/ttyUSB0',
  baud: 115200,
  save: 'storage',
  wifi: { ssid: 'Home', password: 'secret123' },
  server: 'ws://192.168.1.10:8080/',
  deviceId: 'kitchen-1',
};

describe('tools/flash-config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'flash-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes the committed (and local) file, then loads them. */
  function load(committed: unknown, local?: unknown, env: Record<string, string> = {}, flags: FlagOverrides = {}) {
    const configPath = path.join(dir, 'flash.config.json');
    writeFileSync(configPath, typeof committed === 'string' ? committed : JSON.stringify(committed));
    const localPath = path.join(dir, 'flash.local.json');
    if (local !== undefined) writeFileSync(localPath, JSON.stringify(local));
    else rmSync(localPath, { force: true });
    return loadFlashConfig(configPath, env, flags);
  }

  function failure(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  }

  it('the committed flash.config.json is valid and holds only placeholders', () => {
    const { config, placeholders } = loadFlashConfig(path.join(REPO_ROOT, 'flash.config.json'), {});
    expect(config.board).to.equal('esp32');
    expect(config.port).to.equal(undefined);
    expect(config.baud).to.equal(115200);
    expect(config.save).to.equal('storage');
    expect(placeholders).to.deep.equal(['wifi.ssid', 'wifi.password', 'server', 'deviceId']);
  });

  it('defaults baud to 115200 and save to storage, and ignores "_" comment keys and "$schema"', () => {
    const { config } = load(
      { ...VALID, baud: undefined, save: undefined, _comment: 'notes', $schema: './flash.schema.json' },
      { $schema: './flash.schema.json' },
    );
    expect(config).to.not.have.property('$schema');
    expect(config.baud).to.equal(115200);
    expect(config.save).to.equal('storage');
    expect(config.port).to.equal('/dev/ttyUSB0');
  });

  describe('names the file and the field of a bad value', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['board', { board: 'esp99' }, '"board" must be one of esp32, esp8266, got "esp99"'],
      ['baud (text)', { baud: 'fast' }, '"baud" must be a positive integer, got "fast"'],
      ['baud (negative)', { baud: -9600 }, '"baud" must be a positive integer, got -9600'],
      ['baud (fraction)', { baud: 9600.5 }, '"baud" must be a positive integer, got 9600.5'],
      ['save', { save: 'flash' }, '"save" must be one of storage, ram, got "flash"'],
      ['port (type)', { port: 3 }, '"port" must be a string'],
      ['port (tcp)', { port: 'tcp://' }, '"port" must look like tcp://host or tcp://host:port, got "tcp://"'],
      ['wifi', { wifi: 'Home' }, '"wifi" must be an object {"ssid": …, "password": …}, got "Home"'],
      ['wifi.ssid (empty)', { wifi: { ssid: '', password: 'x' } }, '"wifi.ssid" must be a non-empty string of at most 32 bytes, got ""'],
      ['wifi.ssid (too long)', { wifi: { ssid: 'é'.repeat(17), password: 'x' } }, '"wifi.ssid" must be a non-empty string of at most 32 bytes'],
      ['wifi.password', { wifi: { ssid: 'Home', password: 'p'.repeat(65) } }, '"wifi.password" must be a string of at most 64 characters'],
      ['wifi (unknown key)', { wifi: { ssid: 'Home', password: 'x', pass: 'y' } }, 'unknown field "wifi.pass"'],
      ['server (scheme)', { server: 'http://example.com/' }, '"server" must be a ws:// or wss:// URL, got "http://example.com/"'],
      ['server (not a URL)', { server: 'my server' }, '"server" must be a ws:// or wss:// URL, got "my server"'],
      ['deviceId (empty)', { deviceId: '' }, `"deviceId" must be 1 to 32 letters, digits, '-', '_' or '.', got ""`],
      // The board refuses it at boot; the host now does too, with or without "app".
      ['deviceId (a space)', { deviceId: 'my board' }, `"deviceId" must be 1 to 32 letters, digits, '-', '_' or '.', got "my board"`],
      ['server (no host)', { server: 'ws://' }, '"server" must be a ws:// or wss:// URL, got "ws://"'],
      ['app (not an object)', { app: 5000 }, '"app" must be an object of application settings, e.g. {"sampleInterval": 5000}, got 5000'],
      [
        'app (a typo in a setting)',
        { app: { sampleIntervall: 5 } },
        'unknown field "app.sampleIntervall" (known: app.sampleInterval, app.sensors, app.bufferCapacity, app.encoding,',
      ],
      ['app (a bad value)', { app: { sampleInterval: 1 } }, '"app.sampleInterval" must be a whole number from 50 to 86400000, got 1'],
      ['app (a fraction)', { app: { window: 2.5 } }, '"app.window" must be a whole number from 1 to 1000, got 2.5'],
      [
        'app (a sensor the board lacks)',
        { board: 'esp8266', app: { sensors: ['analog', 'temperature'] } },
        '"app.sensors[1]" must be one of esp8266\'s sensors: analog, memory, A0, got "temperature"',
      ],
      ['app (a sensor no board has)', { app: { sensors: ['humidity'] } }, '"app.sensors[0]" must be one of analog, temperature, memory, D32,'],
      ['app (no sensors)', { app: { sensors: [] } }, '"app.sensors" must be a list of 1 to 16 sensor names, got []'],
      ['app (encoding)', { app: { encoding: 'cbor' } }, '"app.encoding" must be "json" or "binary", got "cbor"'],
      [
        'app (bounds the wrong way round, the default filling in)',
        { app: { reconnectMaxDelay: 500 } },
        '"app.reconnectMaxDelay" must be at least reconnectMinDelay (1000), got 500',
      ],
      ['app (server belongs at the top level)', { app: { server: 'ws://h/' } }, 'unknown field "app.server"'],
      ['telnet', { telnet: 'yes' }, '"telnet" must be true or false'],
      ['credentials', { credentials: 'nvs' }, '"credentials" must be one of code, wifi-save, got "nvs"'],
      ['token', { token: 'short' }, '"token" must be the sink\'s token for this device: 16 to 256 letters, digits or ._~+/=-, got "short"'],
      ['unknown field', { bauds: 9600 }, 'unknown field "bauds" (known: board, port, baud, save, wifi, server, deviceId, app, telnet, credentials, token)'],
    ];
    for (const [name, patch, message] of cases) {
      it(name, () => {
        expect(failure(() => load({ ...VALID, ...patch }))).to.contain(`flash.config.json: ${message}`);
      });
    }

    it('the device token goes to the firmware as the app setting token (a local file may hold it)', () => {
      const { config } = load({ ...VALID, app: { sampleInterval: 5000 } }, { token: 'abcdefghijklmnop-_0123' });
      expect(config.app).to.deep.equal({ sampleInterval: 5000, token: 'abcdefghijklmnop-_0123' });
    });

    it('a missing required field', () => {
      expect(failure(() => load({ ...VALID, server: undefined }))).to.equal('flash.config.json: "server" is required; it must be a ws:// or wss:// URL');
      expect(failure(() => load({ ...VALID, wifi: { ssid: 'Home' } }))).to.equal(
        'flash.config.json: "wifi.password" is required; it must be a string of at most 64 characters ("" for an open network)',
      );
    });

    it('wss:// on esp8266, which has no TLS', () => {
      expect(failure(() => load({ ...VALID, board: 'esp8266', server: 'wss://example.com/' }))).to.equal(
        'flash.config.json: "server" is a wss:// URL, but esp8266 has no TLS; use ws:// (or board esp32), got "wss://example.com/"',
      );
    });

    it('invalid JSON, a non-object, a missing file', () => {
      expect(failure(() => load('{ "board": '))).to.match(/^flash\.config\.json: not valid JSON \(/);
      expect(failure(() => load('[1, 2]'))).to.equal('flash.config.json: must be a JSON object, got [1,2]');
      expect(failure(() => loadFlashConfig(path.join(dir, 'nope.json'), {}))).to.equal('config file not found: nope.json');
    });

    it('in flash.local.json, an environment variable or a flag', () => {
      expect(failure(() => load(VALID, { baud: 'fast' }))).to.equal('flash.local.json: "baud" must be a positive integer, got "fast"');
      expect(failure(() => load(VALID, undefined, { FLASH_BAUD: 'fast' }))).to.equal(
        'environment variable FLASH_BAUD: "baud" must be a positive integer, got "fast"',
      );
      expect(failure(() => load(VALID, undefined, { WS_SERVER_URL: 'example.com' }))).to.equal(
        'environment variable WS_SERVER_URL: "server" must be a ws:// or wss:// URL, got "example.com"',
      );
      expect(failure(() => load(VALID, undefined, {}, { baud: 'fast' }))).to.equal('--baud: "baud" must be a positive integer, got "fast"');
      expect(failure(() => load(VALID, undefined, {}, { board: 'esp99' }))).to.equal('--board: "board" must be one of esp32, esp8266, got "esp99"');
      expect(failure(() => load(VALID, undefined, { WIFI_SSID: 'x'.repeat(33) }))).to.equal(
        `environment variable WIFI_SSID: "wifi.ssid" must be a non-empty string of at most 32 bytes, got "${'x'.repeat(33)}"`,
      );
      expect(failure(() => load(VALID, { app: { pongTimeout: 50 } }))).to.equal(
        'flash.local.json: "app.pongTimeout" must be a whole number from 100 to 600000, got 50',
      );
    });
  });

  describe('precedence: flags > environment > flash.local.json > flash.config.json', () => {
    const committed = {
      ...VALID,
      port: '',
      wifi: { ssid: 'YOUR_WIFI_SSID', password: 'YOUR_WIFI_PASSWORD' },
      server: 'ws://YOUR_SERVER_HOST:8080/ws',
      deviceId: 'YOUR_DEVICE_ID',
    };

    it('takes each field from the highest layer that sets it, wifi field by field', () => {
      const { config, placeholders } = load(
        committed,
        { wifi: { ssid: 'LocalNet', password: 'local-pass' }, server: 'ws://local:1/', baud: 57600, port: '/dev/ttyUSB1' },
        { WIFI_PASSWORD: 'env-pass', FLASH_PORT: '/dev/ttyACM0', DEVICE_ID: 'env-device' },
      );
      expect(config.wifi).to.deep.equal({ ssid: 'LocalNet', password: 'env-pass' });
      expect(config.server).to.equal('ws://local:1/');
      expect(config.baud).to.equal(57600);
      expect(config.port).to.equal('/dev/ttyACM0');
      expect(config.deviceId).to.equal('env-device');
      expect(config.board).to.equal('esp32');
      expect(placeholders).to.deep.equal([]);
    });

    it('reads every variable: FLASH_BOARD, FLASH_PORT, FLASH_BAUD, FLASH_SAVE, WIFI_SSID, WIFI_PASSWORD, WS_SERVER_URL, DEVICE_ID', () => {
      const { config } = load(committed, undefined, {
        FLASH_BOARD: 'esp8266',
        FLASH_PORT: 'tcp://10.0.0.5:23',
        FLASH_BAUD: '9600',
        FLASH_SAVE: 'ram',
        WIFI_SSID: 'EnvNet',
        WIFI_PASSWORD: '',
        WS_SERVER_URL: 'ws://env/',
        DEVICE_ID: 'e1',
      });
      // An empty variable counts as unset, so the committed password stays.
      expect(config).to.deep.equal({
        board: 'esp8266',
        port: 'tcp://10.0.0.5:23',
        baud: 9600,
        save: 'ram',
        wifi: { ssid: 'EnvNet', password: 'YOUR_WIFI_PASSWORD' },
        server: 'ws://env/',
        deviceId: 'e1',
      });
    });

    it('an empty port reads as unset: the committed file\'s "" leaves none, a local "" keeps the lower layer\'s', () => {
      expect(load(committed).config.port).to.equal(undefined);
      expect(load({ ...committed, port: '/dev/ttyUSB0' }, { port: '' }).config.port).to.equal('/dev/ttyUSB0');
    });

    it('flags beat the environment', () => {
      const { config } = load(committed, undefined, { FLASH_PORT: '/dev/ttyACM0', FLASH_BAUD: '9600' }, { port: 'COM3', baud: '230400', board: 'esp8266' });
      expect([config.port, config.baud, config.board]).to.deep.equal(['COM3', 230400, 'esp8266']);
    });

    it('reports the fields that still hold placeholders', () => {
      expect(load(committed).placeholders).to.deep.equal(['wifi.ssid', 'wifi.password', 'server', 'deviceId']);
      expect(load(committed, { wifi: { ssid: 'Home' } }).placeholders).to.deep.equal(['wifi.password', 'server', 'deviceId']);
    });
  });
});

describe('flash config: application settings', () => {
  it('passes app settings and telnet through to the firmware prelude', async () => {
    const { configPrelude } = await import('../../tools/flash');
    const line = configPrelude({ wifi: { ssid: 's', password: 'p' }, server: 'ws://h/', deviceId: 'd', app: { sampleInterval: 5000 }, telnet: true });
    expect(line).to.equal(
      'var FLASH_CONFIG = {"wifi":{"ssid":"s","password":"p"},"server":"ws://h/","deviceId":"d","app":{"sampleInterval":5000},"telnet":true};',
    );
  });
});

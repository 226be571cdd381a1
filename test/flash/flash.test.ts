import { expect } from 'chai';
import { configPrelude, espruinoTransform, listSerialPorts, main, SEND_AS_IS } from '../../tools/flash.ts';
import { evalFlashConfig, fixtureBytes, makeProject, replayOnBoard, SETTINGS_ENV, type Project } from './fixtures/harness.ts';
import { at, entry } from '../helpers/at.ts';

const PLACEHOLDER_PRELUDE = configPrelude({
  wifi: { ssid: 'YOUR_WIFI_SSID', password: 'YOUR_WIFI_PASSWORD' },
  server: 'ws://YOUR_SERVER_HOST:8080/ws',
  deviceId: 'YOUR_DEVICE_ID',
});

describe('tools/flash', () => {
  let project: Project;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(() => project.dispose());

  /** The single error line main() printed, after checking it failed cleanly. */
  async function failure(argv: string[], env: Record<string, string> = {}): Promise<string> {
    expect(await project.run(argv, env)).to.equal(1);
    expect(project.errors).to.have.length(1);
    const error = at(project.errors, 0, 'errors');
    expect(error).not.to.match(/\n\s+at /); // no stack trace
    return error;
  }

  describe('command line', () => {
    it('--help prints the options and exits 0', async () => {
      expect(await project.run(['--help'])).to.equal(0);
      for (const flag of ['--board', '--port', '--baud', '--dry-run', '--library-only', '--config']) expect(project.logs.join('\n')).to.contain(flag);
    });

    it('rejects an unknown flag, listing the valid ones', async () => {
      expect(await failure(['--dry-run', '--flash-it'])).to.equal(
        'flash: unknown option "--flash-it"; valid options: --board, --port, --baud, --dry-run, --library-only, --config, --help (see --help)',
      );
      expect(project.builds).to.deep.equal([]);
    });

    it('rejects a stray argument and a flag without its value', async () => {
      expect(await failure(['firmware.js'])).to.match(/^flash: unexpected argument "firmware\.js"; valid options: --board/);
      project.errors.length = 0;
      expect(await failure(['--board'])).to.match(/^flash: .*--board.*; valid options: /);
    });

    it('rejects an unknown board, listing the known ones', async () => {
      expect(await failure(['--dry-run', '--board', 'esp8285'])).to.equal('flash: --board: "board" must be one of esp32, esp8266, got "esp8285"');
    });

    it('reports an invalid config file by file and field', async () => {
      project.dispose();
      project = makeProject({ board: 'esp32', baud: 'fast', wifi: { ssid: 'a', password: 'b' }, server: 'ws://h/', deviceId: 'd' });
      expect(await failure(['--dry-run'])).to.equal('flash: flash.config.json: "baud" must be a positive integer, got "fast"');
    });

    it('--config names another file, and a missing one is reported', async () => {
      expect(await failure(['--dry-run', '--config', 'other.json'])).to.equal('flash: config file not found: other.json');
    });
  });

  describe('before a real upload', () => {
    it('refuses while placeholders are in place, saying how to set them, before building', async () => {
      const message = await failure(['--port', '/dev/ttyUSB0']);
      expect(message).to.contain('refusing to upload: wifi.ssid, wifi.password, server, deviceId still hold placeholder values');
      expect(message).to.contain('flash.local.json');
      expect(message).to.contain('WIFI_SSID, WIFI_PASSWORD, WS_SERVER_URL, DEVICE_ID');
      expect(message).to.contain('--dry-run works with placeholders');
      // The example is a URL the sink accepts, with the path the template and the README use.
      expect(message).to.contain('"server": "ws://192.168.1.10:8080/ws"');
      expect(project.builds).to.deep.equal([]);
    });

    it('names only the fields still unset', async () => {
      const message = await failure(['--port', '/dev/ttyUSB0'], { WIFI_SSID: 'Home', WIFI_PASSWORD: 'secret123' });
      expect(message).to.contain('refusing to upload: server, deviceId still hold placeholder values');
      expect(message).to.contain('WS_SERVER_URL, DEVICE_ID');
    });

    it('without a port, says how to set one and lists the serial ports that exist', async () => {
      project.ports = ['/dev/ttyACM0', '/dev/ttyUSB0'];
      const message = await failure([], SETTINGS_ENV);
      expect(message).to.contain('no port given. Set "port" in flash.local.json, pass --port, or set FLASH_PORT');
      expect(message).to.contain('tcp://<board-ip>:23');
      expect(message).to.contain('Serial ports on this computer: /dev/ttyACM0, /dev/ttyUSB0.');
      expect(project.builds).to.deep.equal([]);
    });

    it('without a port and no serial ports, says what to check', async () => {
      expect(await failure([], SETTINGS_ENV)).to.contain('No serial ports found: is the board plugged in');
    });

    it('with a port that does not exist, lists those that do', async () => {
      project.ports = ['/dev/ttyUSB0', '/dev/cu.usbserial-0001'];
      expect(await failure(['--port', '/dev/ttyUSB7-flash-test'], SETTINGS_ENV)).to.equal(
        'flash: port /dev/ttyUSB7-flash-test not found. Serial ports on this computer: /dev/ttyUSB0, /dev/cu.usbserial-0001.',
      );
      expect(project.builds).to.deep.equal([]);
    });

    it('--library-only needs no application settings, only a port', async () => {
      expect(await failure(['--library-only'])).to.match(/^flash: no port given/);
    });

    it('reports a failed build, and a build that produced nothing', async () => {
      const broken = makeProject();
      try {
        expect(
          await runWithBuild(broken, ['--dry-run'], async () => {
            throw new Error('esbuild: boom');
          }),
        ).to.equal('flash: build for esp32 failed: esbuild: boom');
        expect(await runWithBuild(broken, ['--dry-run'], async () => {})).to.equal('flash: the build did not produce dist/esp32/firmware.js');
      } finally {
        broken.dispose();
      }
    });
  });

  describe('--dry-run', () => {
    it('storage mode: the bundle, byte for byte, written to .bootcde after the FLASH_CONFIG statement, then load()', async () => {
      expect(await project.run(['--dry-run'])).to.equal(0);
      const sent = project.read('dist/esp32/upload.js');
      const lines = sent.split('\n').filter((line) => line !== '');
      expect(lines.length).to.be.greaterThan(3); // a long bundle takes several 1 KB chunks
      for (const line of lines.slice(0, -1)) expect(line).to.match(/^require\("Storage"\)\.write\("\.bootcde","/);
      expect(lines.at(-1)).to.equal('load()');
      const board = replayOnBoard(sent);
      expect(Object.keys(board.files)).to.deep.equal(['.bootcde']);
      expect(board.files['.bootcde']).to.equal(PLACEHOLDER_PRELUDE + fixtureBytes('firmware.js'));
      expect(board.loads).to.equal(1);
      const log = project.logs.join('\n');
      expect(log).to.contain('dry run, nothing was sent to a board');
      expect(log).to.contain('wrote dist/esp32/upload.js');
      expect(log).to.contain('placeholders still set: wifi.ssid, wifi.password, server, deviceId; a real upload refuses until they are set');
      expect(log).to.contain('the code requires "notbuiltin", which is not built into Espruino');
    });

    it('ram mode: exactly the FLASH_CONFIG statement followed by the bundle', async () => {
      expect(await project.run(['--dry-run'], { FLASH_SAVE: 'ram' })).to.equal(0);
      expect(project.read('dist/esp32/upload.js')).to.equal(PLACEHOLDER_PRELUDE + fixtureBytes('firmware.js'));
      expect(project.logs.join('\n')).to.contain('executed in RAM as it is sent');
    });

    it('--library-only: dist/<board>/wsclient.js, unchanged, as Storage file "wsclient", then load()', async () => {
      expect(await project.run(['--dry-run', '--library-only', '--board', 'esp8266'])).to.equal(0);
      expect(project.builds).to.deep.equal(['esp8266']);
      const sent = project.read('dist/esp8266/upload-wsclient.js');
      expect(sent).not.to.contain('FLASH_CONFIG');
      const board = replayOnBoard(sent);
      expect(board.files).to.deep.equal({ wsclient: fixtureBytes('wsclient.js') });
      expect(board.loads).to.equal(1);
      expect(project.logs.join('\n')).to.contain('written to Storage file "wsclient" (for require(\'wsclient\'))');
    });

    it('injects the settings as var FLASH_CONFIG, in ASCII, with UTF-8 bytes for non-ASCII text', async () => {
      expect(await project.run(['--dry-run'], SETTINGS_ENV)).to.equal(0);
      const bootcde = entry(replayOnBoard(project.read('dist/esp32/upload.js')).files, '.bootcde', 'Storage files');
      expect(bootcde.startsWith('var FLASH_CONFIG = {"wifi":{"ssid":"Caf\\xc3\\xa9 Wi-Fi"')).to.equal(true);
      expect(evalFlashConfig(bootcde)).to.deep.equal({
        wifi: { ssid: 'Café Wi-Fi', password: 'pä"ss\\wörd' },
        server: 'ws://192.168.1.10:8080/ws',
        deviceId: 'kitchen-1',
      });
      // Same line as the bundle's first: the bundle's line numbers (and source map) stay valid.
      expect(bootcde.split('\n')[0]).to.equal(
        configPrelude({
          wifi: { ssid: SETTINGS_ENV.WIFI_SSID, password: SETTINGS_ENV.WIFI_PASSWORD },
          server: SETTINGS_ENV.WS_SERVER_URL,
          deviceId: SETTINGS_ENV.DEVICE_ID,
        }) + fixtureBytes('firmware.js').split('\n')[0],
      );
      const log = project.logs.join('\n');
      expect(log).not.to.contain('placeholders');
      expect(log).to.contain('it contains your WiFi password');
    });

    it('sends a control character only inside a Storage write; RAM mode refuses it', async () => {
      project.bundles['firmware.js'] = 'var s = "bell\x07 nul\x00 crlf\r\n";\n';
      expect(await project.run(['--dry-run'])).to.equal(0);
      expect(replayOnBoard(project.read('dist/esp32/upload.js')).files['.bootcde']).to.equal(PLACEHOLDER_PRELUDE + project.bundles['firmware.js']);
      const offset = PLACEHOLDER_PRELUDE.length + project.bundles['firmware.js'].indexOf('\x07');
      expect(await failure(['--dry-run'], { FLASH_SAVE: 'ram' })).to.equal(
        `flash: the code has "\\u0007" at offset ${offset}, which Espruino's code writer would alter; use "save": "storage"`,
      );
    });
  });

  describe('the espruino package', () => {
    it('fetches nothing and changes nothing, even for a require() that is not built in', async () => {
      const code = fixtureBytes('firmware.js');
      const result = await espruinoTransform(code, { ...SEND_AS_IS, SAVE_ON_SEND: 0 }, 'esp32');
      expect(result.fetched).to.deep.equal([]);
      expect(result.errors).to.deep.equal([]);
      expect(result.code).to.equal(code);
      expect(result.writerOk).to.equal(true);
      expect(result.requires).to.deep.equal(['Wifi', 'notbuiltin']);
    });
  });

  describe('configPrelude', () => {
    it('is one ASCII statement that evaluates to the settings', () => {
      const prelude = configPrelude({ wifi: { ssid: 'Ünï 😀', password: '"};\n' }, server: 'ws://h/', deviceId: 'd\\1' });
      expect(prelude).to.match(/^var FLASH_CONFIG = \{.*\};$/);
      expect(prelude).to.match(/^[\x20-\x7e]*$/);
      expect(evalFlashConfig(prelude)).to.deep.equal({ wifi: { ssid: 'Ünï 😀', password: '"};\n' }, server: 'ws://h/', deviceId: 'd\\1' });
    });
  });

  it('listSerialPorts lists only USB serial style devices', () => {
    for (const port of listSerialPorts()) expect(port).to.match(/^(\/dev\/(ttyUSB\d+|ttyACM\d+|cu\..+)|COM\d+)$/);
  });
});

/** Runs main() on `project` with a different build; returns the error output, or '' on success. */
async function runWithBuild(project: Project, argv: string[], build: () => Promise<void>): Promise<string> {
  const errors: string[] = [];
  const code = await main(argv, {}, { root: project.root, build, log: () => {}, error: (line) => errors.push(line), listPorts: () => [] });
  return code === 0 ? '' : errors.join('\n');
}

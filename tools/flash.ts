/**
 * `npm run flash`: builds the firmware for a board and uploads it with Espruino's own tools
 * (the `espruino` npm package, driven programmatically), as described by flash.config.json.
 *
 *   npm run flash                          build, upload dist/<board>/firmware.js + settings
 *   npm run flash -- --library-only        upload dist/<board>/wsclient.js as Storage module "wsclient"
 *   npm run flash -- --dry-run             write dist/<board>/upload.js instead of uploading
 *
 * The bundle is sent as built: no minification, no module fetching, no rewriting. Every run
 * checks that the tools' output still carries the bundle byte for byte before anything is sent.
 *
 * The espruino package installs globals and patches built-ins (es6-shim) when it loads, and
 * the serialport binding it uses cannot run in a worker thread, so it runs in a child Node
 * process (tools/espruino-child.ts, run by runEspruino below); this module, main() included,
 * stays in-process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { transformSync } from 'esbuild';
import { boardScript, wrapInFunction } from './build-board-scripts.ts';
import { buildBoard, formatReport } from './build.ts';
import { ESPRUINO_BUILTIN_MODULES } from './espruino-bundle.ts';
import { ConfigError, ENV_VARS, loadFlashConfig, type AppSettings, type BoardName, type FlashConfig } from './flash-config.ts';

/** The global variable that carries the application's settings on the board. */
export const FLASH_CONFIG_GLOBAL = 'FLASH_CONFIG';

/** The Storage file (and `require()` name) of the client library. */
export const LIBRARY_MODULE = 'wsclient';

/**
 * The code that hands the application its settings: `var FLASH_CONFIG = {"wifi":{"ssid":…,
 * "password":…},"server":…,"deviceId":…};`, which the upload puts in front of
 * dist/<board>/firmware.js, on the bundle's first line so that the bundle's line numbers (and
 * its source map) stay valid. In Storage mode it is part of `.bootcde`, so the global exists
 * at every boot before the bundle runs. Espruino strings are bytes: non-ASCII characters are
 * sent as their UTF-8 bytes (`\xNN`), which is what an access point or server expects.
 */
export function configPrelude(settings: AppSettings): string {
  const value: Record<string, unknown> = {};
  // With credentials "wifi-save" the firmware carries none: Espruino joins with what Wifi.save() stored.
  if (settings.credentials !== 'wifi-save') value.wifi = { ssid: settings.wifi.ssid, password: settings.wifi.password };
  value.server = settings.server;
  value.deviceId = settings.deviceId;
  if (settings.app) value.app = settings.app;
  if (settings.telnet !== undefined) value.telnet = settings.telnet;
  return `var ${FLASH_CONFIG_GLOBAL} = ${byteJson(value)};`;
}

/**
 * For credentials "wifi-save": the statement run on the board before the firmware is written,
 * in RAM only, one line: tools/board-scripts/wifi-save.ts (join the network unless the board
 * is on it already, then `Wifi.save()`), called with the credentials as its parameter.
 */
export async function wifiSaveStatement(wifi: AppSettings['wifi']): Promise<string> {
  return wrapInFunction(await boardScript('wifi-save'), ['WIFI'], [byteJson({ ssid: wifi.ssid, password: wifi.password })]);
}

/** JSON with non-ASCII characters as their UTF-8 bytes (`\xNN`): Espruino strings are bytes. */
function byteJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x00-\x7f]+/g, (text) =>
    [...Buffer.from(text, 'utf8')].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join(''),
  );
}

/** What main() needs from the outside world; tests replace parts of it. */
export interface FlashIO {
  /** Prints a line for the user. */
  log(line: string): void;
  /** Prints an error line. */
  error(line: string): void;
  /** Holds flash.config.json and dist/ (default: the repository root). */
  root: string;
  /**
   * Writes `<distDir>/<board>/firmware.js` and `wsclient.js` (default: buildBoard from
   * tools/build.ts); may return a report to print.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a build step may return nothing or the bundle's path
  build(board: BoardName, distDir: string): Promise<string | void>;
  /** The serial ports that exist (default: listSerialPorts). */
  listPorts(): string[];
  /** How long to try to reach the console again after load() (default RECONNECT_MS). */
  reconnectMs: number;
}

/** A user-facing failure: main() prints its message alone, with no stack trace. */
export class FlashError extends Error {
  override name = 'FlashError';
}

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

const USAGE = `Usage: npm run flash -- [options]

Builds dist/<board>/firmware.js and uploads it, with the settings from flash.config.json,
overridden by flash.local.json, then by environment variables, then by these options.

  --board esp32|esp8266   board to build and upload for
  --port PORT             serial device (/dev/ttyUSB0, /dev/cu.usbserial-1, COM3) or tcp://host[:23]
  --baud N                serial baud rate (default 115200)
  --dry-run               build and write what would be sent to dist/<board>/upload.js; no board needed
  --library-only          upload only dist/<board>/wsclient.js, as Storage module "${LIBRARY_MODULE}"
  --config FILE           configuration file (default flash.config.json)
  -h, --help              show this help`;

const FLAGS = ['--board', '--port', '--baud', '--dry-run', '--library-only', '--config', '--help'];

/**
 * Runs the flash command.
 * @param argv command-line arguments after the script name
 * @param env environment variables (WIFI_SSID, FLASH_PORT, … see flash-config.ts ENV_VARS)
 * @param io replacements for the console, the build, the port listing and the project root
 * @returns the process exit code: 0 on success, 1 after printing one readable error
 */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env, io: Partial<FlashIO> = {}): Promise<number> {
  const fullIO: FlashIO = {
    log: console.log,
    error: console.error,
    root: REPO_ROOT,
    build: buildWithBuildTs,
    listPorts: listSerialPorts,
    reconnectMs: RECONNECT_MS,
    ...io,
  };
  try {
    await flash(argv, env, fullIO);
    return 0;
  } catch (error) {
    const known = error instanceof FlashError || error instanceof ConfigError;
    fullIO.error(`flash: ${known ? '' : 'unexpected error: '}${(error as Error).message}`);
    return 1;
  }
}

async function flash(argv: string[], env: Record<string, string | undefined>, io: FlashIO): Promise<void> {
  const args = parseFlags(argv);
  if (args.help) {
    io.log(USAGE);
    return;
  }
  const { config, placeholders, localPath } = loadFlashConfig(path.resolve(io.root, args.config ?? 'flash.config.json'), env, args);
  const libraryOnly = args['library-only'] === true;
  const dryRun = args['dry-run'] === true;

  // Cheap checks first: nobody should wait for a build to learn that the port is wrong.
  let port: string | undefined;
  if (!dryRun) {
    if (!libraryOnly && placeholders.length > 0) throw new FlashError(placeholderMessage(placeholders, localPath));
    port = checkPort(config.port, io.listPorts());
    if (!libraryOnly && port.startsWith('tcp://') && config.telnet !== true) throw new FlashError(telnetOffMessage(port, localPath));
  }

  try {
    const report = await io.build(config.board, path.join(io.root, 'dist'));
    if (report) io.log(report);
  } catch (error) {
    throw new FlashError(`build for ${config.board} failed: ${(error as Error).message}`);
  }
  const distDir = path.join(io.root, 'dist', config.board);
  const bundleFile = path.join(distDir, libraryOnly ? `${LIBRARY_MODULE}.js` : 'firmware.js');
  const shown = (file: string): string => path.relative(io.root, file);
  if (!existsSync(bundleFile)) throw new FlashError(`the build did not produce ${shown(bundleFile)}`);
  // latin1 = one char per byte. The tools treat chars 0..255 as bytes and pass them through;
  // reading the bundle as UTF-8 text would turn its multi-byte characters into other bytes.
  const bundle = readFileSync(bundleFile, 'latin1');
  const code = libraryOnly ? bundle : configPrelude(config) + bundle;

  const plan = uploadPlan(config, libraryOnly);
  const prepared = await prepare(code, plan, config.board);
  const notBuiltIn = prepared.notBuiltIn;
  for (const name of notBuiltIn)
    io.log(`flash: note: the code requires "${name}", which is not built into Espruino; it must already be in the board's Storage.`);
  // The credentials go first, on a line of their own that runs in RAM and is not stored with the code.
  const saveWifi = !libraryOnly && config.credentials === 'wifi-save';
  const sent = saveWifi ? `${await wifiSaveStatement(config.wifi)}\n${prepared.sent}` : prepared.sent;
  const contents =
    `${saveWifi ? 'the WiFi credentials, stored with Wifi.save() in Storage file ".wificfg", then ' : ''}` +
    `${libraryOnly ? '' : `the ${FLASH_CONFIG_GLOBAL} statement${saveWifi ? ' (without credentials)' : ''} + `}${shown(bundleFile)} (${bundle.length} bytes, unchanged), ${plan.description}`;

  if (dryRun || port === undefined) {
    const outFile = path.join(distDir, libraryOnly ? `upload-${LIBRARY_MODULE}.js` : 'upload.js');
    writeFileSync(outFile, sent, 'latin1');
    io.log('flash: dry run, nothing was sent to a board.');
    io.log(`flash: wrote ${shown(outFile)} (${sent.length} bytes): exactly the code the upload hands to Espruino's code writer,`);
    io.log('  which sends reset() before it and turns echo off line by line (\\x10) as it sends.');
    io.log(`  contents: ${contents}`);
    if (libraryOnly) return;
    if (placeholders.length > 0) io.log(`  placeholders still set: ${placeholders.join(', ')}; a real upload refuses until they are set.`);
    else io.log('  it contains your WiFi password (dist/ is git-ignored).');
    return;
  }

  io.log(`flash: uploading to ${port} at ${config.baud} baud: ${contents}`);
  const boardOutput: string[] = [];
  const printer = boardPrinter(io);
  const result = await runEspruino(
    {
      action: 'upload',
      code: sent,
      config: { ...plan.espruino, BAUD_RATE: config.baud, SERIAL_TCPIP: port.startsWith('tcp://') ? [port] : [] },
      env: boardEnv(config.board),
      port,
      boardPattern: BOARD_ENV[config.board].pattern,
      checkMemory: plan.storageFile === undefined,
      loads: plan.loads,
      statusGlobal: FIRMWARE_STATUS_GLOBAL,
      reconnectMs: io.reconnectMs,
      timeoutMs: 90_000 + 3 * sent.length,
    },
    (text) => {
      boardOutput.push(text);
      printer(text);
    },
    (memory) => ramVerdict(sent.length, memory),
  );
  const lines = consoleLines(boardOutput.join(''));
  if (result.refused) throw new FlashError(ramRefusal(sent.length, result.refused));
  if (result.error) throw new FlashError(`upload to ${port} failed: ${result.error}${failureDetail(lines)}`);
  const problem = bootProblem(lines, result.check, !libraryOnly);
  if (problem) throw new FlashError(`upload to ${port}: the code was sent, but ${problem}`);
  if (libraryOnly && !result.check?.answered) {
    // The app in .bootcde, restarted by load(), may close the telnet console ("telnet": false).
    io.log(
      `flash: note: the console did not answer after load() (${result.check?.reason ?? 'no check'}), so whether the app in .bootcde restarted cleanly is unchecked; \`npm run monitor\` shows what the board prints.`,
    );
  }
  io.log(
    `flash: done, ${result.board?.BOARD} ${result.board?.VERSION} at ${port} ${plan.outcome}${libraryOnly ? '' : `; it reports ${FIRMWARE_STATUS_GLOBAL} = "${result.check?.status}"`}.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Checking what the board did with the code

/**
 * The global that firmware/main.ts sets to "started" once its main() has run. After an
 * upload the tool reads it back through the console: a firmware that ran out of memory or
 * threw at boot never sets it.
 */
export const FIRMWARE_STATUS_GLOBAL = 'WSCLIENT_STATUS';

/** How long to wait for a console to come back after load() (telnet drops, a crash reboots). */
const RECONNECT_MS = 30_000;

/**
 * Console lines that mean the code did not run as sent: an uncaught exception, the
 * interpreter running out of memory (which aborts whatever was running, then prints
 * "Execution Interrupted" for later callbacks), an internal assert (the board reboots),
 * and the firmware's own "cannot start: …" (firmware/main.ts).
 */
export const BOARD_FAILURE = /Uncaught|OUT OF MEMORY|Execution Interrupted|ASSERT\(|cannot start|HARD FAULT|Guru Meditation/;

/** What the board said after the code was sent (see the upload in tools/espruino-child.ts). */
export interface BootCheck {
  /** Whether the console answered the status query (after load() has restarted the board). */
  answered: boolean;
  /** The status global's value; null when it is not set. */
  status?: string | null;
  /** Why there is no answer, for the user. */
  reason?: string;
}

/**
 * The board's output as clean lines: no escape sequences and control characters, no prompts
 * (Espruino prints ">" before what follows it on the same line), no answers to the tool's queries.
 */
export function consoleLines(output: string): string[] {
  return output
    .split('\n')
    .map((line) =>
      line
        .replace(/\x1b\[[0-9;]*[A-Za-z]|[\x00-\x1f]/g, '')
        .replace(/^>+/, '')
        .trim(),
    )
    .filter((line) => line !== '' && !/^< << .* >> >$/.test(line));
}

/** The lines around each failure line (an OUT OF MEMORY line is followed by where it happened). */
function failureLines(lines: string[]): string[] {
  const shown = new Set<number>();
  lines.forEach((line, index) => {
    if (BOARD_FAILURE.test(line)) for (let i = index; i < Math.min(index + 5, lines.length); i++) shown.add(i);
  });
  return lines.filter((_line, index) => shown.has(index)).slice(0, 20);
}

function failureDetail(lines: string[]): string {
  const shown = failureLines(lines);
  return shown.length === 0 ? '' : `\nThe board said:\n${shown.map((line) => `  board| ${line}`).join('\n')}`;
}

/**
 * Why the upload did not leave the code running, or undefined when it did: the board printed
 * a failure (BOARD_FAILURE), its console did not answer after load(), or (for the firmware)
 * the status global is not "started". The text says what the board said and what to do.
 */
export function bootProblem(lines: string[], check: BootCheck | undefined, firmware: boolean): string | undefined {
  const failed = failureLines(lines);
  let what: string | undefined;
  if (failed.some((line) => /OUT OF MEMORY/.test(line))) what = 'the board ran out of memory';
  else if (failed.some((line) => /cannot start/.test(line))) what = 'the firmware could not start';
  else if (failed.some((line) => /ASSERT\(|HARD FAULT|Guru Meditation/.test(line))) what = 'the interpreter crashed';
  else if (failed.length > 0) what = 'the code threw an error';
  else if (!firmware)
    what = undefined; // the library: a console that stays away is noted by the caller
  else if (!check || !check.answered) what = `the board's console did not answer afterwards (${check?.reason ?? 'no check'})`;
  else if (check.status !== 'started')
    what = `the firmware did not report that it started (${FIRMWARE_STATUS_GLOBAL} is ${JSON.stringify(check.status ?? null)}, expected "started")`;
  if (what === undefined) return undefined;
  const advice =
    what === 'the board ran out of memory'
      ? 'Free memory: upload with "save": "storage" (FLASH_SAVE=storage) so that the code stays in flash, ' +
        'lower the buffers in "app" (bufferCapacity, window), and remove other code from the board (reset(); require("Storage").eraseAll() erases all of Storage).'
      : what === 'the firmware could not start'
        ? 'The line above names the setting: fix it in flash.local.json ("app") and upload again.'
        : "Open the board's console with `npm run monitor` to see what it prints; if the board keeps restarting, stop the app with " +
          'reset(); require("Storage").erase(".bootcde") and check the free memory with process.memory().';
  const said = failed.length > 0 ? failed : lines.slice(-8);
  return `${what}.${said.length > 0 ? `\nThe board said:\n${said.map((line) => `  board| ${line}`).join('\n')}` : ''}\n${advice}`;
}

/** What process.memory() returns (in variables, "JsVars"; blocksize bytes each). */
export interface BoardMemory {
  free: number;
  total: number;
  usage?: number;
  blocksize?: number;
}

/**
 * The variables a RAM-mode upload of `bytes` bytes of code needs at its peak on a board with
 * `blocksize`-byte variables: RAM_COPIES times the code's text, at blocksize - 2 characters
 * per variable, plus RAM_APP_VARS. In RAM mode Espruino holds the code as text in variables:
 * the console's input line while a statement arrives (a minified bundle is one statement),
 * the console history's copy of it, a copy of each function's source as it is defined, and
 * the copies of nested functions made when their outer function (esbuild's IIFE) runs.
 *
 * Calibrated on the Linux builds of Espruino 2v29 with ESP32-like memory (16,383 variables of
 * 14 bytes; 16,312 free after reset()): the 48 KB firmware sent in RAM mode runs out of memory
 * (rule: 16,600 needed, refused); a 38.7 KB IIFE bundle (the library wrapped as the firmware
 * is) run from a script needs 10,560 (3.3 copies; rule: 13,410, so the rule errs on the side
 * of refusing). On the ESP8266 (about 1,600 variables) no bundle of this size fits in RAM.
 */
export function ramVarsNeeded(bytes: number, blocksize: number): number {
  const charsPerVar = Math.max(1, blocksize - 2);
  return Math.ceil((bytes * RAM_COPIES) / charsPerVar) + RAM_APP_VARS;
}

/** How many times the code's text is held at the peak (see ramVarsNeeded). */
const RAM_COPIES = 4;
/** The application's first allocations and the interpreter's working space, at least. */
const RAM_APP_VARS = 500;

/** Whether a RAM upload of `bytes` bytes fits in `memory` (called with the board's answer). */
export function ramVerdict(bytes: number, memory: BoardMemory): boolean {
  return memory.free >= ramVarsNeeded(bytes, memory.blocksize ?? 16);
}

function ramRefusal(bytes: number, memory: BoardMemory): string {
  const need = ramVarsNeeded(bytes, memory.blocksize ?? 16);
  return (
    `refusing to upload in RAM mode: ${bytes} bytes of code need about ${need} variables there ` +
    `(the code is held as text in RAM, and the firmware needs its own), but the board has ${memory.free} of ${memory.total} free ` +
    `after reset(). Upload to Storage instead ("save": "storage" in flash.local.json, or FLASH_SAVE=storage): the code then stays in flash. ` +
    'Nothing was sent; the board was reset (code in its Storage runs again at the next power-up or load()).'
  );
}

// ---------------------------------------------------------------------------------------------
// Command line

interface Flags {
  board?: string;
  port?: string;
  baud?: string;
  config?: string;
  'dry-run'?: boolean;
  'library-only'?: boolean;
  help?: boolean;
}

function parseFlags(argv: string[]): Flags {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        board: { type: 'string' },
        port: { type: 'string' },
        baud: { type: 'string' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'library-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values as Flags;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const quoted = /'([^']*)'/.exec(message)?.[1];
    const problem =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option "${quoted}"`
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument "${quoted}"`
          : message.split('.')[0];
    throw new FlashError(`${problem}; valid options: ${FLAGS.join(', ')} (see --help)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

/**
 * Serial ports that look like a board's USB serial adapter: /dev/ttyUSB*, /dev/ttyACM* and
 * /dev/cu.* on Linux and macOS, COM ports (from the registry) on Windows. The espruino
 * package's own listing needs the native serialport module and udev, so it is not used here.
 */
export function listSerialPorts(platform: NodeJS.Platform = process.platform): string[] {
  try {
    if (platform === 'win32') {
      const out = execFileSync('reg', ['query', 'HKLM\\HARDWARE\\DEVICEMAP\\SERIALCOMM'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return out.match(/(?<=REG_SZ\s+)COM\d+/gi) ?? []; // null when no line names a COM port
    }
    return readdirSync('/dev')
      .filter((name) => /^(ttyUSB\d+|ttyACM\d+|cu\..+)$/.test(name))
      .sort()
      .map((name) => `/dev/${name}`);
  } catch {
    return []; // no /dev, no reg.exe: nothing to offer
  }
}

/** Returns `port` if it is set and exists; otherwise throws, listing the serial ports that exist. */
export function checkPort(port: string | undefined, ports: string[]): string {
  const found =
    ports.length > 0
      ? `Serial ports on this computer: ${ports.join(', ')}.`
      : 'No serial ports found: is the board plugged in (with a data cable), and is its USB-serial driver (CP210x, CH340) installed?';
  if (port === undefined) {
    throw new FlashError(
      'no port given. Set "port" in flash.local.json, pass --port, or set FLASH_PORT to the board\'s serial device ' +
        '(/dev/ttyUSB0 on Linux, /dev/cu.usbserial-… on macOS, COM3 on Windows) or to tcp://<board-ip>:23 for its telnet console over WiFi.\n' +
        found,
    );
  }
  if (port.startsWith('tcp://')) return port;
  const exists = process.platform === 'win32' ? ports.some((p) => p.toUpperCase() === port.toUpperCase()) : ports.includes(port) || existsSync(port);
  if (!exists) throw new FlashError(`port ${port} not found. ${found}`);
  return port;
}

function telnetOffMessage(port: string, localPath: string): string {
  return (
    `refusing to upload over the telnet console (${port}) while "telnet" is false: the firmware turns that console off when it starts, ` +
    'so this tool could not check that it started, and the board would then answer on its USB serial port only. ' +
    `Set "telnet": true in ${path.basename(localPath)} (anyone on the network can then run code on the board: see README, Security), or upload over the serial port.`
  );
}

function placeholderMessage(fields: string[], localPath: string): string {
  const envFor = (field: string): string => Object.keys(ENV_VARS).find((name) => ENV_VARS[name] === field) ?? field;
  return (
    `refusing to upload: ${fields.join(', ')} still hold placeholder values (YOUR_…) from flash.config.json. ` +
    `Set them in ${path.basename(localPath)} (git-ignored, next to flash.config.json), e.g.\n` +
    '  { "wifi": { "ssid": "MyNetwork", "password": "secret" }, "server": "ws://192.168.1.10:8080/ws", "deviceId": "kitchen-1", "port": "/dev/ttyUSB0" }\n' +
    `or with the environment variables ${fields.map(envFor).join(', ')}. (--dry-run works with placeholders.)`
  );
}

// ---------------------------------------------------------------------------------------------
// The espruino package

/**
 * Espruino.Config keys set for every run, so that the tools send the bundle as built and
 * fetch nothing (keys: node_modules/espruino/core/*.js, plugins/*.js; `espruino --listconfigs`).
 */
export const SEND_AS_IS: Readonly<Record<string, unknown>> = {
  MINIFICATION_LEVEL: '', // no -m: esbuild has minified already
  MODULE_MINIFICATION_LEVEL: '',
  PRETOKENISE: 0,
  COMPILATION: false, // never send "compiled" functions to espruino.com
  UNICODE: false,
  SET_TIME_ON_WRITE: false, // no setTime(…) line in front of the code
  MODULE_URL: '', // the require() scan finds nothing to download
  BOARD_JSON_URL: '',
  ENV_ON_CONNECT: false, // board facts come from BOARD_ENV, not process.env + www.espruino.com/json
  BLUETOOTH_LOW_ENERGY: false, // serial or TCP only: no BLE scan
  BLUETOOTH_LOW_ENERGY_DBUS: false,
  RESET_BEFORE_SEND: true, // reset() first: stops the running app and frees its RAM
};

/**
 * What the tools would otherwise learn from the board (process.env) and its JSON on
 * espruino.com: the firmware version, only compared with 1v96 (Storage uploads start there),
 * and the built-in modules, which the require() scan leaves alone. `pattern` matches the
 * BOARD a connected board reports.
 */
const BOARD_ENV: Record<BoardName, { BOARD: string; VERSION: string; pattern: string }> = {
  esp32: { BOARD: 'ESP32', VERSION: '2v29', pattern: '^ESP32' },
  esp8266: { BOARD: 'ESP8266_4MB', VERSION: '2v29', pattern: '^ESP8266' },
};

/** What the tools are told about the board (Espruino.Core.Env): its name, firmware version and built-in modules. */
export interface BoardEnv {
  BOARD: string;
  VERSION: string;
  /** Comma-separated, as the tools keep it. */
  MODULES: string;
}

function boardEnv(board: BoardName): BoardEnv {
  return { BOARD: BOARD_ENV[board].BOARD, VERSION: BOARD_ENV[board].VERSION, MODULES: [...ESPRUINO_BUILTIN_MODULES, LIBRARY_MODULE].join(',') };
}

interface UploadPlan {
  /** Espruino.Config keys for this upload, SEND_AS_IS included. */
  espruino: Record<string, unknown>;
  /** The Storage file the code goes to; undefined when it is sent to RAM. */
  storageFile?: string;
  /** Whether the upload ends with load(), which restarts the interpreter (and drops telnet). */
  loads: boolean;
  /** Where the code goes, for the user. */
  description: string;
  /** What the board has afterwards, for the user. */
  outcome: string;
}

function uploadPlan(config: FlashConfig, libraryOnly: boolean): UploadPlan {
  if (libraryOnly) {
    return {
      // SAVE_ON_SEND 3 = a named Storage file; LOAD_STORAGE_FILE 1 = then load(), which restarts
      // .bootcde (if any) so that the app picks up the new library.
      espruino: { ...SEND_AS_IS, SAVE_ON_SEND: 3, SAVE_STORAGE_FILE: LIBRARY_MODULE, LOAD_STORAGE_FILE: 1 },
      storageFile: LIBRARY_MODULE,
      loads: true,
      description: `written to Storage file "${LIBRARY_MODULE}" (for require('${LIBRARY_MODULE}')), then load()`,
      outcome: `has module "${LIBRARY_MODULE}" in Storage`,
    };
  }
  if (config.save === 'storage') {
    return {
      espruino: { ...SEND_AS_IS, SAVE_ON_SEND: 1, LOAD_STORAGE_FILE: 1 }, // .bootcde, then load() runs it
      storageFile: '.bootcde',
      loads: true,
      description: 'written to Storage as ".bootcde" (runs at every boot), then load()',
      outcome: 'has the firmware in Storage (.bootcde) and is running it',
    };
  }
  return {
    espruino: { ...SEND_AS_IS, SAVE_ON_SEND: 0 },
    loads: false,
    description: 'executed in RAM as it is sent (lost on reset)',
    outcome: 'is running the firmware from RAM (lost on reset)',
  };
}

/** The result of espruinoTransform. */
export interface TransformResult {
  /** The code as the tools hand it to their code writer. */
  code: string;
  /** Whether the writer's first step (reformatCode) accepts it. */
  writerOk: boolean;
  /** URLs or hosts the tools tried to reach; all are blocked. */
  fetched: string[];
  /** Errors the tools reported. */
  errors: string[];
  /** The modules the code require()s, as the tools' scan sees them. */
  requires: string[];
}

/**
 * Runs the espruino package's `transformForEspruino` processors (module scan, minify,
 * save-on-send wrapping…: what its CLI does before sending) on `code`, in a child process
 * with the network blocked.
 * @param config Espruino.Config keys, e.g. `{ ...SEND_AS_IS, SAVE_ON_SEND: 1 }`
 */
export async function espruinoTransform(code: string, config: Record<string, unknown>, board: BoardName): Promise<TransformResult> {
  const result = await runEspruino({ action: 'transform', code, config, env: boardEnv(board) });
  if (result.code === undefined) throw new FlashError(`the Espruino tools failed: ${result.error ?? result.errors.join('; ')}`);
  return { code: result.code, writerOk: result.writerOk === true, fetched: result.fetched, errors: result.errors, requires: result.requires ?? [] };
}

/**
 * Runs the tools' transform, then checks that the bundle survived it and that the writer can
 * send it. Returns the code to send and the required modules that are not built into Espruino.
 */
async function prepare(code: string, plan: UploadPlan, board: BoardName): Promise<{ sent: string; notBuiltIn: string[] }> {
  const result = await espruinoTransform(code, plan.espruino, board);
  if (result.fetched.length > 0) throw new FlashError(`the Espruino tools tried to reach the network (${result.fetched.join(', ')}); nothing was sent`);
  const sent = result.code;
  const arrived = plan.storageFile === undefined ? sent : storedContent(sent, plan.storageFile);
  if (arrived !== code) throw new FlashError('the Espruino tools changed the code; nothing was sent (check SEND_AS_IS in tools/flash.ts)');
  // The writer replaces control characters with "?" and CRLF with LF (core/codeWriter.js
  // reformatCode). Storage uploads escape them; in RAM mode they would reach the board altered.
  const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f]|\r\n/.exec(sent);
  if (bad)
    throw new FlashError(`the code has ${JSON.stringify(bad[0])} at offset ${bad.index}, which Espruino's code writer would alter; use "save": "storage"`);
  if (!result.writerOk)
    throw new FlashError('Espruino\'s code writer cannot send this code line by line (its lexer counts unbalanced brackets); use "save": "storage"');
  if (result.errors.length > 0) throw new FlashError(`the Espruino tools reported: ${result.errors.join('; ')}`);
  const known = [...ESPRUINO_BUILTIN_MODULES, LIBRARY_MODULE];
  return { sent, notBuiltIn: result.requires.filter((name) => !known.includes(name)) };
}

/**
 * Replays the tools' `require("Storage").write(file, "…", offset[, size]);` lines and
 * returns the content they leave in `file` (undefined if the lines are not all such writes).
 */
function storedContent(sent: string, file: string): string | undefined {
  let content = '';
  for (const line of sent.split('\n')) {
    if (line === '' || line === 'load()') continue;
    const [, name, literal, offset] = /^require\("Storage"\)\.write\(("[^"\\]*"),("(?:[^"\\]|\\.)*"),(\d+)(?:,(\d+))?\);$/.exec(line) ?? []; // no match: no groups
    if (name === undefined || literal === undefined || JSON.parse(name) !== file || Number(offset) !== content.length) return undefined;
    content += decodeEspruinoString(literal);
  }
  return content;
}

/** Decodes a string literal as written by the tools' toJSONishString (core/utils.js). */
function decodeEspruinoString(literal: string): string {
  const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r' };
  return literal
    .slice(1, -1)
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]|.)/g, (_match, sequence: string) =>
      sequence.length > 1
        ? String.fromCharCode(parseInt(sequence.slice(1), 16))
        : /[0-7]/.test(sequence)
          ? String.fromCharCode(Number(sequence))
          : (simple[sequence] ?? sequence),
    );
}

/** Prints the board's console output line by line, without prompts and control characters. */
function boardPrinter(io: FlashIO): (text: string) => void {
  let pending = '';
  return (text) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of consoleLines(lines.join('\n'))) io.log(`  board| ${line}`);
  };
}

/** One job for the child process (tools/espruino-child.ts). */
export interface EspruinoJob {
  action: 'transform' | 'upload';
  code: string;
  /** Espruino.Config keys. */
  config: Record<string, unknown>;
  /** Merged into Espruino.Core.Env (what the tools believe about the board). */
  env: BoardEnv;
  port?: string;
  boardPattern?: string;
  /** upload: reset(), then ask process.memory() and let the parent decide (RAM mode). */
  checkMemory?: boolean;
  /** upload: the code ends with load() (Storage modes). */
  loads?: boolean;
  /** upload: the global to read back once the code runs. */
  statusGlobal?: string;
  /** upload: how long to try to reach the console again after load(). */
  reconnectMs?: number;
  timeoutMs?: number;
}

/** What the child reports when it is done. */
export interface EspruinoResult {
  /** transform: the code as the tools would hand it to the writer. */
  code?: string;
  /** transform: whether the writer's reformat step accepts it. */
  writerOk?: boolean;
  /** transform: the modules the code require()s. */
  requires?: string[];
  /** upload: what went wrong, if anything. */
  error?: string;
  /** upload: what the board said it is. */
  board?: { BOARD: string; VERSION: string };
  /** upload: the board's memory, when a RAM upload was refused for it; nothing was sent. */
  refused?: BoardMemory;
  /** upload: what the console said after the code was sent. */
  check?: BootCheck;
  /** URLs or hosts the tools tried to reach (blocked). */
  fetched: string[];
  /** Errors the tools reported. */
  errors: string[];
}

const ESPRUINO_PATH = createRequire(import.meta.url).resolve('espruino');

/**
 * Runs one job in a fresh child process that loads the espruino package.
 * @param onOutput receives the board's console output as it arrives
 * @param fits answers whether the code fits in the memory the board reports (job.checkMemory)
 */
function runEspruino(job: EspruinoJob, onOutput?: (text: string) => void, fits?: (memory: BoardMemory) => boolean): Promise<EspruinoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=commonjs', '-e', espruinoChildCode()], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = ''; // for crashes; the child silences the package's own chatter
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString();
    });
    let result: EspruinoResult | undefined;
    child.on('message', (message: { type: string; text?: string; memory?: BoardMemory } & EspruinoResult) => {
      if (message.type === 'output') onOutput?.(message.text ?? '');
      if (message.type === 'memory') child.send({ type: 'verdict', fits: fits === undefined || fits(message.memory!) });
      if (message.type === 'done') result = message;
    });
    // Settle once the child has gone, so that nothing is left running when the caller goes on.
    child.on('close', (code, signal) => {
      const firstLine = stderr.trim().split('\n')[0];
      if (result) resolve(result);
      else reject(new FlashError(`the Espruino tools stopped without finishing (${signal ?? `exit code ${code}`})${firstLine ? `: ${firstLine}` : ''}`));
    });
    child.on('error', (error) => reject(new FlashError(`cannot start the Espruino tools: ${error.message}`)));
    child.send({ ...job, espruinoPath: ESPRUINO_PATH });
  });
}

/**
 * The child's code (tools/espruino-child.ts) as plain CommonJS for `node -e`: its types removed
 * by esbuild (milliseconds), once per process.
 */
let espruinoChild: string | undefined;
function espruinoChildCode(): string {
  espruinoChild ??= transformSync(readFileSync(path.join(import.meta.dirname, 'espruino-child.ts'), 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: 'tools/espruino-child.ts',
  }).code;
  return espruinoChild;
}

/** The real build step: tools/build.ts, whose size report is printed. */
async function buildWithBuildTs(board: BoardName, distDir: string): Promise<string> {
  return formatReport(await buildBoard(board, distDir));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  process.exitCode = await main(process.argv.slice(2));
}

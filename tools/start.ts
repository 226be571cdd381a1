/**
 * The main job with no board attached: `npm start [-- options]`.
 *
 * Builds the firmware for a board, starts the sink (WebSocket server plus dashboard) and runs
 * simulated boards that execute the built bundle — the same bytes `npm run flash` uploads —
 * and stream their readings to it.
 *
 *   --board esp32|esp8266   which firmware to build and simulate (default esp32)
 *   --devices N             how many simulated boards (default 1)
 *   --host H --port P       where the sink listens (default 127.0.0.1:8080; 0.0.0.0 for boards on the LAN)
 *   --interval MS           sample interval of the simulated boards (default 1000)
 *   --encoding json|binary  how the boards send readings (default json)
 *   --file PATH             also append every message to a JSON-lines file
 *   --duration S            stop after S seconds (default: run until Ctrl-C)
 */
import { readFileSync } from 'node:fs';
import { buildBoard, formatReport } from './build';
import { createSimBoard, type SimBoard } from './simboard/index';
import { startSink, type Sink } from './sink/index';

export interface StartOptions {
  board: string;
  devices: number;
  host: string;
  port: number;
  interval: number;
  encoding: string;
  file?: string;
  log: (line: string) => void;
  /** More application settings for the simulated boards (heartbeat, buffer, …), as FLASH_CONFIG.app. */
  app?: { [field: string]: unknown };
}

export interface Running {
  sink: Sink;
  boards: SimBoard[];
  stop(): Promise<void>;
}

const FLAGS = ['board', 'devices', 'host', 'port', 'interval', 'encoding', 'file', 'duration'];

/** Parses `--name value` pairs; an unknown flag or a bad value is an error naming it. */
export function parseStartArgs(argv: string[]): StartOptions & { duration: number } {
  const given: { [name: string]: string } = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || FLAGS.indexOf(name) < 0) throw new Error(`unknown option ${argv[i]} (known: ${FLAGS.map((f) => '--' + f).join(', ')})`);
    if (argv[i + 1] === undefined) throw new Error(`option --${name} needs a value`);
    given[name] = argv[i + 1];
  }
  const whole = (name: string, fallback: number, min: number): number => {
    if (given[name] === undefined) return fallback;
    const n = Number(given[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got "${given[name]}"`);
    return n;
  };
  const encoding = given.encoding || 'json';
  if (encoding !== 'json' && encoding !== 'binary') throw new Error(`--encoding must be json or binary, got "${encoding}"`);
  return {
    board: given.board || 'esp32',
    devices: whole('devices', 1, 1),
    host: given.host || '127.0.0.1',
    port: whole('port', 8080, 0),
    interval: whole('interval', 1000, 50),
    encoding,
    file: given.file,
    duration: whole('duration', 0, 0),
    log: (line) => console.log(line),
  };
}

/** The line `npm run flash` would put in front of the bundle, for a simulated board. */
function prelude(server: string, deviceId: string, options: StartOptions): string {
  const app = Object.assign({ sampleInterval: options.interval, encoding: options.encoding, metricsInterval: 5000 }, options.app);
  const config = { server, deviceId, app };
  return `var FLASH_CONFIG = ${JSON.stringify(config)};\n`;
}

/** Builds, starts the sink and the simulated boards; resolves once everything runs. */
export async function start(options: StartOptions): Promise<Running> {
  const log = options.log;
  log(`building the ${options.board} firmware…`);
  const build = await buildBoard(options.board);
  log(formatReport(build));
  const firmware = build.bundles.find((b) => /firmware\.js$/.test(b.file));
  if (!firmware) throw new Error(`the build produced no firmware.js for ${options.board}`);
  const code = readFileSync(firmware.file, 'utf8');
  const sink = await startSink({ host: options.host, port: options.port, file: options.file, log: (line) => log(`sink: ${line}`) });
  // Simulated boards live on this machine: they reach the sink over loopback whatever host it serves.
  const server = `ws://127.0.0.1:${sink.port}/ws`;
  const boards: SimBoard[] = [];
  for (let i = 1; i <= options.devices; i++) {
    const deviceId = `sim-${options.board}-${i}`;
    const board = createSimBoard({ board: options.board as 'esp32' | 'esp8266', console: (line) => log(`${deviceId}: ${line}`) });
    // As `npm run flash` leaves a board (storage mode): .bootcde, its code in flash.
    board.boot(prelude(server, deviceId, options) + code);
    boards.push(board);
    const memory = board.memory();
    log(memory.outOfMemory > 0
      ? `${deviceId}: OUT OF MEMORY while booting: the firmware needs more than the ${options.board}'s ${memory.total} JsVars (the simulated board counts memory as the chip does)`
      : `${deviceId}: ${memory.free} of ${memory.total} JsVars free after boot`);
  }
  const failed = boards.filter((board) => board.memory().outOfMemory > 0).length;
  log(`${options.devices} simulated ${options.board} board${options.devices === 1 ? '' : 's'} streaming to ${server}` +
    (failed > 0 ? ` (${failed} out of memory: expect nothing from ${failed === 1 ? 'it' : 'them'})` : ''));
  log(`dashboard: ${sink.url}/   stats: ${sink.url}/api/stats`);
  let stopped = false;
  return {
    sink,
    boards,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const board of boards) await board.shutdown();
      await sink.close();
    },
  };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseStartArgs>;
  try {
    options = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`start: ${(error as Error).message}`);
    process.exit(1);
  }
  const running = await start(options);
  const stop = (): void => {
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (options.duration > 0) setTimeout(stop, options.duration * 1000);
}

if (process.argv[1] && /tools[\\/]start\.ts$/.test(process.argv[1])) {
  main().catch((error: Error) => {
    console.error(`start: ${error.message}`);
    process.exit(1);
  });
}

/**
 * The main job with no board attached: `npm start [-- options]` (--help lists them).
 *
 * Starts the sink (WebSocket server plus dashboard), builds the firmware for a board unless
 * dist/ is already up to date, and runs simulated boards that execute the built bundle — the
 * same bytes `npm run flash` uploads — streaming their readings to it. Ctrl-C closes every
 * connection with 1001 (going away) and exits.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkFlags, parseStrict, wholeFlag } from './cli';
import { says, z } from './config-schema';
import { boardNames } from '../boards/index';
import { INTERVAL_MAX, INTERVAL_MIN } from '../firmware/app/wire';
import { buildBoard, formatReport } from './build';
import { createSimBoard, type SimBoard } from './simboard/index';
import { isLoopback, loadTokens, newToken, startSink, type Sink, type SinkTokens, type Stats } from './sink/index';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface StartOptions {
  board: string;
  devices: number;
  host: string;
  port: number;
  interval: number;
  encoding: string;
  file?: string | undefined;
  /** Device and admin tokens for the sink; the simulated boards get tokens of their own added. */
  tokens?: SinkTokens | undefined;
  /** Build even when dist/ is newer than every source. */
  rebuild?: boolean;
  /** Seconds between summary lines; 0 = none (default). */
  summaryEvery?: number;
  log: (line: string) => void;
  /** More application settings for the simulated boards (heartbeat, buffer, …), as FLASH_CONFIG.app. */
  app?: { [field: string]: unknown };
}

export interface Running {
  sink: Sink;
  boards: SimBoard[];
  /** Closes the sink first (every board gets a 1001 close), then shuts the boards down. */
  stop(): Promise<void>;
}

export const START_USAGE = `usage: npm start -- [options]

  --board esp32|esp8266   which firmware to build and simulate (default esp32)
  --devices N             how many simulated boards (default 1)
  --host H                where the sink listens (default 127.0.0.1; 0.0.0.0 for boards on the LAN)
  --port P                sink port (default 8080; 0 picks a free one)
  --interval MS           sample interval of the simulated boards (default 1000)
  --encoding json|binary  how the boards send readings (default json)
  --file PATH             also append every message to a JSON-lines file
  --tokens FILE           device and admin tokens for the sink (see tools/sink --add-device)
  --duration S            stop after S seconds (default: run until Ctrl-C)
  --rebuild               build even when dist/ is up to date
  -h, --help              this text

Options take "--name value" or "--name=value".`;

const ENCODING = says('must be json or binary');

/** The command line, as node:util parseArgs gives it (keyed by flag), checked and typed by one schema. */
const StartArgsSchema = z
  .object({
    help: z.boolean().default(false),
    board: z
      .string()
      .default('esp32')
      .refine((board) => boardNames().includes(board), says(`must be one of ${boardNames().join(', ')}`)),
    devices: wholeFlag(1, 100, 1),
    host: z.string().min(1, says('must not be empty')).default('127.0.0.1'),
    port: wholeFlag(0, 65535, 8080),
    interval: wholeFlag(INTERVAL_MIN, INTERVAL_MAX, 1000),
    encoding: z.enum(['json', 'binary'], ENCODING).default('json'),
    file: z.string().optional(),
    tokens: z.string().optional(),
    duration: wholeFlag(0, 31_536_000, 0),
    rebuild: z.boolean().default(false),
  })
  .transform(({ tokens, ...args }) => ({ ...args, tokensFile: tokens, log: (line: string) => console.log(line) }));

export type StartArgs = z.output<typeof StartArgsSchema>;

/** Parses the arguments with node:util parseArgs; an unknown flag or a bad value is an error naming it. */
export function parseStartArgs(argv: string[]): StartArgs {
  const { values } = parseStrict(argv, {
    board: { type: 'string' },
    devices: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    interval: { type: 'string' },
    encoding: { type: 'string' },
    file: { type: 'string' },
    tokens: { type: 'string' },
    duration: { type: 'string' },
    rebuild: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  return checkFlags(StartArgsSchema, values);
}

/** What the firmware bundle is built from: a change to any of these makes dist/ stale. */
export const BUILD_INPUTS = [
  'firmware',
  'hal',
  'protocol',
  'boards',
  'tools/build.ts',
  'tools/espruino-bundle.ts',
  'tools/espruino-gate.ts',
  'tools/private-names.ts',
  'package-lock.json',
  'tsconfig.json',
];

/** The newest modification time (ms) of the files under `paths` (files or folders); 0 when none exist. */
export function newestMtime(paths: string[]): { mtime: number; file: string | null } {
  let newest = { mtime: 0, file: null as string | null };
  const visit = (file: string): void => {
    if (!existsSync(file)) return;
    const stat = statSync(file);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(file)) if (entry !== 'node_modules' && !entry.startsWith('.')) visit(path.join(file, entry));
    } else if (stat.mtimeMs > newest.mtime) newest = { mtime: stat.mtimeMs, file };
  };
  for (const p of paths) visit(p);
  return newest;
}

/** A path relative to the working directory when it is inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Whether every output exists and is newer than every input; `reason` says why not. */
export function upToDate(outputs: string[], inputs: string[]): { fresh: boolean; reason: string } {
  const missing = outputs.find((o) => !existsSync(o));
  if (missing) return { fresh: false, reason: `${shown(missing)} does not exist` };
  const oldest = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  const newest = newestMtime(inputs);
  if (newest.mtime > oldest) return { fresh: false, reason: `${shown(newest.file!)} changed since the last build` };
  return { fresh: true, reason: 'no source changed since the last build' };
}

/** Builds the board's firmware, printing a progress line every few seconds; returns firmware.js. */
async function buildWithProgress(board: string, log: (line: string) => void): Promise<string> {
  const began = Date.now();
  log(`building the ${board} firmware (about 10 s)…`);
  const ticker = setInterval(() => log(`  still building… ${Math.round((Date.now() - began) / 1000)} s`), 3000);
  try {
    const build = await buildBoard(board);
    log(formatReport(build));
    log(`built in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const firmware = build.bundles.find((b) => /firmware\.js$/.test(b.file));
    if (!firmware) throw new Error(`the build produced no firmware.js for ${board}`);
    return firmware.file;
  } finally {
    clearInterval(ticker);
  }
}

/** The line `npm run flash` would put in front of the bundle, for a simulated board. */
function prelude(server: string, deviceId: string, token: string | undefined, options: StartOptions): string {
  const app: { [field: string]: unknown } = Object.assign({ sampleInterval: options.interval, encoding: options.encoding, metricsInterval: 5000 }, options.app);
  if (token !== undefined) app.token = token;
  return `var FLASH_CONFIG = ${JSON.stringify({ server, deviceId, app })};\n`;
}

/** The running one-line summary: devices, readings per second since the last line, gaps. */
export function summaryLine(stats: Stats, previousReceived: number, seconds: number): { line: string; received: number } {
  const devices = Object.values(stats.devices);
  const received = devices.reduce((sum, d) => sum + d.received, 0);
  const connected = devices.filter((d) => d.connected).length;
  const gaps = devices.reduce((sum, d) => sum + d.gaps, 0);
  const missing = devices.reduce((sum, d) => sum + d.missing, 0);
  const rate = seconds > 0 ? (received - previousReceived) / seconds : 0;
  const line =
    `${connected}/${devices.length} device${devices.length === 1 ? '' : 's'} connected · ${rate.toFixed(1)} readings/s · ${received} received · ` +
    `${gaps} gap${gaps === 1 ? '' : 's'} (${missing} missing)`;
  return { line, received };
}

/** Starts the sink, builds (unless up to date) and starts the simulated boards; resolves once everything runs. */
export async function start(options: StartOptions): Promise<Running> {
  const log = options.log;
  // Without a token file a sink beyond loopback gets tokens for this run only (the simulated boards');
  // real boards need a file (--tokens) so that their tokens survive a restart.
  let tokens = options.tokens;
  if (!tokens && !isLoopback(options.host)) {
    tokens = { admin: newToken(), devices: {} };
    log(`no --tokens file: real boards cannot connect; the dashboard's admin token for this run is ${tokens.admin}`);
  }
  const simTokens: { [device: string]: string } = {};
  const ids: string[] = [];
  for (let i = 1; i <= options.devices; i++) {
    const id = `sim-${options.board}-${i}`;
    ids.push(id);
    if (tokens) simTokens[id] = newToken();
  }
  const sinkTokens = tokens ? { admin: tokens.admin, devices: { ...tokens.devices, ...simTokens } } : undefined;

  // The sink first: a busy port is reported at once, not after a build.
  const sink = await startSink({ host: options.host, port: options.port, file: options.file, tokens: sinkTokens, log: (line) => log(`sink: ${line}`) }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new Error(
          `port ${options.port} on ${options.host} is already in use, probably by another sink or npm start. ` +
            `Stop that one (Ctrl-C in its terminal), or pick another port: npm start -- --port ${options.port + 1} (--port 0 picks a free one)`,
        );
      }
      throw error;
    },
  );
  let firmwareFile: string;
  try {
    const dist = path.join(ROOT, 'dist', options.board);
    const firmware = path.join(dist, 'firmware.js');
    const outputs = [firmware, path.join(dist, 'wsclient.js')];
    const state = options.rebuild
      ? { fresh: false, reason: '--rebuild' }
      : upToDate(
          outputs,
          BUILD_INPUTS.map((p) => path.join(ROOT, p)),
        );
    if (state.fresh) {
      firmwareFile = firmware;
      log(`dist/${options.board}/firmware.js is up to date (${state.reason}): not rebuilding`);
    } else {
      log(`building: ${state.reason}`);
      firmwareFile = await buildWithProgress(options.board, log);
    }
  } catch (error) {
    await sink.close();
    throw error;
  }
  const code = readFileSync(firmwareFile, 'utf8');

  // Simulated boards live on this machine: they reach the sink over loopback whatever host it serves.
  const server = `ws://127.0.0.1:${sink.port}/ws`;
  const boards: SimBoard[] = [];
  let stopping = false;
  for (const deviceId of ids) {
    const board = createSimBoard({
      board: options.board as 'esp32' | 'esp8266',
      console: (line) => {
        if (!stopping) log(`${deviceId}: ${line}`);
      },
    });
    // As `npm run flash` leaves a board (storage mode): .bootcde, its code in flash.
    board.boot(prelude(server, deviceId, simTokens[deviceId], options) + code);
    boards.push(board);
    const memory = board.memory();
    log(
      memory.outOfMemory > 0
        ? `${deviceId}: OUT OF MEMORY while booting: the firmware needs more than the ${options.board}'s ${memory.total} JsVars (the simulated board counts memory as the chip does)`
        : `${deviceId}: ${memory.free} of ${memory.total} JsVars free after boot`,
    );
  }
  const failed = boards.filter((board) => board.memory().outOfMemory > 0).length;
  log(
    `${options.devices} simulated ${options.board} board${options.devices === 1 ? '' : 's'} streaming to ${server}` +
      (failed > 0 ? ` (${failed} out of memory: expect nothing from ${failed === 1 ? 'it' : 'them'})` : ''),
  );
  log(`dashboard: ${sink.url}/${sinkTokens ? `?token=${sinkTokens.admin}` : ''}   stats: ${sink.url}/api/stats`);
  if (!isLoopback(options.host)) log(`real boards: ${sink.deviceUrls.join('  ') || 'this machine has no LAN address'}`);

  let summary: NodeJS.Timeout | null = null;
  if (options.summaryEvery && options.summaryEvery > 0) {
    let previous = 0;
    let at = Date.now();
    summary = setInterval(() => {
      const now = Date.now();
      const next = summaryLine(sink.stats(), previous, (now - at) / 1000);
      previous = next.received;
      at = now;
      log(next.line);
    }, options.summaryEvery * 1000);
  }
  return {
    sink,
    boards,
    async stop() {
      if (stopping) return;
      stopping = true;
      if (summary) clearInterval(summary);
      // The sink closes every connection with 1001 and waits for the boards' replies; only then
      // do the boards stop, so no connection ends without a close (1006).
      await sink.close();
      for (const board of boards) await board.shutdown();
    },
  };
}

async function main(): Promise<void> {
  const args = parseStartArgs(process.argv.slice(2));
  if (args.help) {
    console.log(START_USAGE);
    return;
  }
  const tokens = args.tokensFile === undefined ? undefined : loadTokens(args.tokensFile);
  const running = await start({ ...args, tokens, summaryEvery: 5 });
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${why}: closing the boards' connections…`);
    running.stop().then(
      () => {
        console.log('stopped');
        process.exit(0);
      },
      (error: Error) => {
        console.error(`start: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('Ctrl-C'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (args.duration > 0) setTimeout(() => stop(`${args.duration} s are up`), args.duration * 1000);
}

if (process.argv[1] && /tools[\\/]start\.ts$/.test(process.argv[1])) {
  main().catch((error: Error) => {
    console.error(`start: ${error.message}`);
    process.exit(1);
  });
}

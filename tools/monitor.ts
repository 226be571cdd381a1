/**
 * `npm run monitor`: the board's console in this terminal, as `pio device monitor` does, through
 * the espruino package's own terminal (its command-line tool with no code to send).
 *
 *   npm run monitor                               port and baud as for `npm run flash`
 *   npm run monitor -- --port tcp://192.168.1.50:23
 *
 * Type JavaScript at the board's prompt; Ctrl-C twice in a row leaves. Nothing is sent on
 * connecting (no reset, no `process.env` query), so a running app goes on undisturbed.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkPort, FlashError, listSerialPorts } from './flash.ts';
import { ConfigError, loadFlashConfig } from './flash-config.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

const USAGE = `Usage: npm run monitor -- [options]

Opens the board's console (serial or telnet) in this terminal. The port and baud rate come from
flash.config.json, flash.local.json, FLASH_PORT and FLASH_BAUD, as for npm run flash.

  --port PORT       serial device (/dev/ttyUSB0, COM3) or tcp://host[:23] (the board's telnet console)
  --baud N          serial baud rate (default 115200)
  --config FILE     configuration file (default flash.config.json)
  -h, --help        show this help

Ctrl-C twice in a row leaves.`;

export interface MonitorIO {
  log(line: string): void;
  error(line: string): void;
  /** Holds flash.config.json (default: the repository root). */
  root: string;
  /** The serial ports that exist (default: listSerialPorts from tools/flash.ts). */
  listPorts(): string[];
  /** Runs the terminal with these espruino CLI arguments; resolves with its exit code. */
  terminal(args: string[]): Promise<number>;
}

/** The espruino package's command-line tool. */
const ESPRUINO_CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('espruino/package.json')), 'bin', 'espruino-cli.js');

/**
 * The espruino CLI's arguments for a terminal on `port`: no code to send, so it only connects;
 * -q leaves out its banner; no BLE scan; ENV_ON_CONNECT off, so that it neither types a
 * `process.env` query (with a Ctrl-C first when there is no prompt, which would interrupt a busy
 * app) nor fetches the board's description from the internet.
 */
export function terminalArgs(port: string, baud: number): string[] {
  return ['-q', '--no-ble', '--config', 'ENV_ON_CONNECT=false', '-b', String(baud), '-p', port];
}

/** Runs the espruino CLI in this terminal (stdin, stdout and stderr shared). */
function runTerminal(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ESPRUINO_CLI, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Runs the monitor command.
 * @returns the exit code: the terminal's own, or 1 after printing one readable error
 */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env, io: Partial<MonitorIO> = {}): Promise<number> {
  const full: MonitorIO = { log: console.log, error: console.error, root: REPO_ROOT, listPorts: listSerialPorts, terminal: runTerminal, ...io };
  try {
    let flags;
    try {
      flags = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: { port: { type: 'string' }, baud: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      }).values;
    } catch (error) {
      throw new FlashError(`${(error as Error).message.split('. ')[0]}; valid options: --port, --baud, --config, --help (see --help)`);
    }
    if (flags.help) {
      full.log(USAGE);
      return 0;
    }
    const { config } = loadFlashConfig(path.resolve(full.root, flags.config ?? 'flash.config.json'), env, { port: flags.port, baud: flags.baud });
    const port = checkPort(config.port, full.listPorts());
    full.log(`monitor: ${port}${port.startsWith('tcp://') ? '' : ` at ${config.baud} baud`}; Ctrl-C twice in a row leaves.`);
    return await full.terminal(terminalArgs(port, config.baud));
  } catch (error) {
    const known = error instanceof FlashError || error instanceof ConfigError;
    full.error(`monitor: ${known ? '' : 'unexpected error: '}${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  process.exitCode = await main(process.argv.slice(2));
}

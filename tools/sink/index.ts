/**
 * The sink that boards stream sensor readings to, with its live dashboard.
 *
 * Run it by itself: `npx tsx tools/sink/index.ts [options]` (--help lists them), then open the
 * dashboard and point the boards at one of the device URLs it prints.
 */
import { checkFlags, parseStrict, wholeFlag } from '../cli';
import { DeviceId, says, z } from '../config-schema';
import { addDevice, loadTokens, type SinkTokens } from './auth';
import { hostPort, reachableHosts } from './addresses';
import { startSink } from './server';

export { startSink, type Sink, type SinkOptions } from './server';
export type { DeviceState, DeviceStats, Stats, StoredReading, CommandRecord, DeviceMetrics } from './store';
export { encodeBinary, parseBinary, parseText, parseCommand, MalformedMessage } from './decode';
export type { Hello, Reading, Metrics, Command } from './decode';
export { addDevice, isLoopback, loadTokens, newToken, type SinkTokens } from './auth';

export const SINK_USAGE = `usage: npx tsx tools/sink/index.ts [options]

  --host H          interface to listen on (default 127.0.0.1; 0.0.0.0 for boards on the LAN,
                    which needs --tokens)
  --port P          port (default 8080; 0 picks a free one)
  --file PATH       also append every message to a JSON-lines file
  --tokens FILE     device and admin tokens (JSON): devices must present their token, the
                    dashboard and API the admin token
  --add-device ID   give device ID a token in the --tokens file (created if missing), print it, exit
  -h, --help        this text

Options take "--name value" or "--name=value".`;

/**
 * The sink's command line, as node:util parseArgs gives it (strings, keyed by flag), checked and
 * typed by one schema.
 */
const SinkArgsSchema = z
  .object({
    help: z.boolean().default(false),
    host: z.string().min(1, says('must not be empty')).default('127.0.0.1'),
    port: wholeFlag(0, 65535, 8080),
    file: z.string().optional(),
    tokens: z.string().optional(),
    'add-device': DeviceId.optional(),
  })
  .superRefine((args, ctx) => {
    if (args['add-device'] !== undefined && args.tokens === undefined)
      ctx.addIssue({ code: 'custom', path: ['add-device'], message: 'needs --tokens FILE: the file to add the device to' });
  })
  .transform((args) => ({ help: args.help, host: args.host, port: args.port, file: args.file, tokens: args.tokens, addDevice: args['add-device'] }));

/** The sink's command line, checked: an unknown flag or a bad value is an error naming it. */
export type SinkArgs = z.output<typeof SinkArgsSchema>;

/** Parses the sink's arguments with node:util parseArgs (strict: unknown flags throw), then checks them. */
export function parseSinkArgs(argv: string[]): SinkArgs {
  const { values } = parseStrict(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    file: { type: 'string' },
    tokens: { type: 'string' },
    'add-device': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  return checkFlags(SinkArgsSchema, values);
}

async function main(): Promise<void> {
  const args = parseSinkArgs(process.argv.slice(2));
  if (args.help) {
    console.log(SINK_USAGE);
    return;
  }
  if (args.addDevice !== undefined) {
    const { token, created } = addDevice(args.tokens!, args.addDevice);
    if (created) console.log(`created ${args.tokens} (mode 600) with a new admin token`);
    console.log(`device ${args.addDevice}: token ${token}`);
    console.log(`put it in flash.local.json as  "deviceId": "${args.addDevice}", "token": "${token}"  and restart the sink`);
    return;
  }
  const tokens: SinkTokens | undefined = args.tokens === undefined ? undefined : loadTokens(args.tokens);
  const sink = await startSink({
    host: args.host,
    port: args.port,
    file: args.file,
    tokens,
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  const web = reachableHosts(args.host).map((h) => `http://${hostPort(h, sink.port)}/`);
  console.log(`dashboard: ${web.join('  ') || sink.url + '/'}${tokens ? `  (first visit: add ?token=<admin token from ${args.tokens}>)` : ''}`);
  console.log(`devices:   ${sink.deviceUrls.join('  ') || 'this machine has no network address boards could use'}`);
  if (tokens) console.log(`tokens:    ${Object.keys(tokens.devices).length} device(s) in ${args.tokens}; add one with --tokens ${args.tokens} --add-device ID`);
  const stop = (): void => {
    sink.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && /tools[\\/]sink[\\/]index\.ts$/.test(process.argv[1])) {
  main().catch((error: Error) => {
    console.error(`sink: ${error.message}`);
    process.exit(1);
  });
}

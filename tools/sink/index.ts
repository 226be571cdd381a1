/**
 * The sink that boards stream sensor readings to, with its live dashboard.
 *
 * Run it by itself: `npx tsx tools/sink/index.ts [--host 0.0.0.0] [--port 8080] [--file readings.jsonl]`,
 * then open http://host:port/ and point the boards at ws://host:port/ws.
 */
import { startSink } from './server';

export { startSink, type Sink, type SinkOptions } from './server';
export type { DeviceState, DeviceStats, Stats, StoredReading, CommandRecord, DeviceMetrics } from './store';
export { encodeBinary, parseBinary, parseText, parseCommand, MalformedMessage } from './decode';
export type { Hello, Reading, Metrics, Command } from './decode';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const port = argument('port');
  const sink = await startSink({
    host: argument('host'),
    port: port === undefined ? undefined : Number(port),
    file: argument('file'),
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  console.log(`dashboard: ${sink.url}/  devices: ${sink.wsUrl}`);
  const stop = (): void => {
    sink.close().then(() => process.exit(0), () => process.exit(1));
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

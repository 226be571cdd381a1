/**
 * Autobahn|Testsuite echo client: `npm run autobahn -- --url ws://127.0.0.1:9001 --agent NAME`.
 *
 * Follows the fuzzing server's driver protocol: read the case count from /getCaseCount, run
 * each case at /runCase?case=N&agent=NAME echoing every message unchanged, then ask for the
 * reports with /updateReports?agent=NAME. Runs the client through hal/node.
 */
import { createNodeHal } from '../hal/node/index';
import { WebSocket } from '../firmware/websocket';
import type { WebSocketOptions } from '../firmware/client-options';

const LIMIT = 16 * 1024 * 1024;

export interface AutobahnOptions {
  url: string;
  agent: string;
  log: (line: string) => void;
}

function options(): WebSocketOptions {
  return {
    hal: createNodeHal(),
    maxMessageSize: LIMIT,
    maxBufferedAmount: 4 * LIMIT,
    txBufferSize: 65536,
    pingInterval: 0,
    closeTimeout: 2000,
  };
}

/** Opens `url`, lets `onMessage` handle messages, resolves with the close event. */
function session(url: string, onMessage: (ws: WebSocket, data: string | Uint8Array) => void): Promise<{ code: number; reason: string; wasClean: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, undefined, options());
    ws.onmessage = (event) => onMessage(ws, event.data as string | Uint8Array);
    ws.onerror = () => { /* the close event that follows carries the outcome */ };
    ws.onclose = (event) => resolve(event);
  });
}

/** Runs every case; resolves with the number of cases run. */
export async function runAutobahn(opts: AutobahnOptions): Promise<number> {
  const base = opts.url.replace(/\/+$/, '');
  const agent = encodeURIComponent(opts.agent);
  let count = -1;
  await session(`${base}/getCaseCount`, (_ws, data) => { count = Number(data); });
  if (!(count >= 0)) throw new Error(`${base}/getCaseCount did not answer with a number`);
  opts.log(`${count} cases`);
  for (let n = 1; n <= count; n++) {
    const started = Date.now();
    const close = await session(`${base}/runCase?case=${n}&agent=${agent}`, (ws, data) => { ws.send(data); });
    opts.log(`case ${n}/${count}: closed ${close.code}${close.wasClean ? '' : ' (not clean)'} in ${Date.now() - started} ms`);
  }
  await session(`${base}/updateReports?agent=${agent}`, () => undefined);
  opts.log('reports updated');
  return count;
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

if (process.argv[1] && /autobahn\.ts$/.test(process.argv[1])) {
  runAutobahn({ url: argument('url', 'ws://127.0.0.1:9001'), agent: argument('agent', 'espruino-wsclient'), log: (l) => console.log(l) })
    .then(() => process.exit(0))
    .catch((error) => {
      console.error(`autobahn: ${error.message}`);
      process.exit(1);
    });
}

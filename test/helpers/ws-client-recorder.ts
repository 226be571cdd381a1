import { WebSocket } from '../../firmware/websocket';
import type { WebSocketOptions } from '../../firmware/client-options';

/** Everything a client reported, plus promises to await the next event of a kind. */
export interface Recorder {
  ws: WebSocket;
  log: any[];
  next(type: string, timeoutMs?: number): Promise<any>;
}

/** Creates a client and records its events; `next` resolves with the next unseen event of a type. */
export function record(url: string, protocols: string[] | undefined, options: WebSocketOptions): Recorder {
  const ws = new WebSocket(url, protocols, options);
  const log: any[] = [];
  const seen: { [type: string]: number } = {};
  const waiters: (() => void)[] = [];
  for (const type of ['open', 'message', 'close', 'error', 'ping', 'pong', 'reconnect'] as const) {
    ws.on(type, (event) => {
      log.push(event);
      for (const w of waiters.splice(0)) w();
    });
  }
  const next = (type: string, timeoutMs = 10000) =>
    new Promise<any>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        const matching = log.filter((e) => e.type === type);
        const index = seen[type] || 0;
        if (matching.length > index) {
          seen[type] = index + 1;
          resolve(matching[index]);
        } else if (Date.now() - started > timeoutMs) {
          reject(new Error(`no ${type} event within ${timeoutMs} ms; log: ${JSON.stringify(log.map((e) => e.type))}`));
        } else {
          waiters.push(check);
          setTimeout(() => {
            const at = waiters.indexOf(check);
            if (at >= 0) {
              waiters.splice(at, 1);
              check();
            }
          }, 50);
        }
      };
      check();
    });
  return { ws, log, next };
}

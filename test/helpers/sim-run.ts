/** One WebSocket against the simulated echo server, with every event it fires logged. */
import { createSimHal, type SimHal, type SimHalOptions } from '../../hal/sim/index';
import type { WebSocketOptions } from '../../firmware/client-options';
import { WebSocket, type WebSocketEventType } from '../../firmware/websocket';
import { SimWsServer, type SimServerOptions } from './sim-ws-server';

export const SIM_URL = 'ws://server.test:8080/stream';
const EVENT_TYPES: WebSocketEventType[] = ['open', 'message', 'close', 'error', 'ping', 'pong', 'reconnect'];

export interface SimRun {
  sim: SimHal;
  server: SimWsServer;
  ws: WebSocket;
  /** Every event, in order. */
  log: any[];
  of(type: string): any[];
}

/** Starts the server on server.test:8080 and a client to it (heartbeat off unless given). */
export function startSimRun(seed: number, options: WebSocketOptions = {}, simOptions: SimHalOptions = {}, serverOptions: SimServerOptions = {}): SimRun {
  const sim = createSimHal({ seed, ...simOptions });
  const server = new SimWsServer(sim.network, 'server.test', 8080, serverOptions).start();
  const ws = new WebSocket(SIM_URL, undefined, { hal: sim.hal, pingInterval: 0, ...options });
  const log: any[] = [];
  for (const type of EVENT_TYPES) ws.on(type, (e) => log.push(e));
  return { sim, server, ws, log, of: (type) => log.filter((e) => e.type === type) };
}

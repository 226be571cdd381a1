/**
 * The runtime under chaos: random sequences of API calls, server behaviours and network faults
 * on the simulated network, thousands of seeded episodes. Whatever happens, no exception may
 * escape a callback or timer, every episode ends in exactly one final close with nothing after
 * it, every error is followed by a close, and nothing is left scheduled or connected.
 *
 * CHAOS_EPISODES raises the count (default 2000); a failure prints the episode's seed, and
 * CHAOS_SEED=<seed> replays that one episode.
 */
import { expect } from 'chai';
import { createSimHal, type SimHal, type SimPeer } from '../../hal/sim/index';
import type { WebSocketOptions } from '../../firmware/client-options';
import { WebSocket, type WebSocketEventType } from '../../firmware/websocket';
import { SimWsServer } from '../helpers/sim-ws-server';
import { closePayload, serverFrame } from '../helpers/server-codec';

const HOST = 'server.test';
const URL = `ws://${HOST}:8080/chaos`;
const EVENT_TYPES: WebSocketEventType[] = ['open', 'message', 'close', 'error', 'ping', 'pong', 'reconnect'];
/** The only exceptions the API may throw, and only for the bad arguments this test passes. */
const ARGUMENT_ERRORS = ['WS_ERR_BAD_DATA', 'WS_ERR_BAD_CLOSE', 'WS_ERR_CONTROL_TOO_LONG'];

/** mulberry32: a small seeded generator, so an episode replays from its seed. */
function generator(seed: number): { next(): number; int(n: number): number; pick<T>(items: T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)], chance: (p) => next() < p };
}

type Random = ReturnType<typeof generator>;

function randomOptions(r: Random, sim: SimHal): WebSocketOptions {
  const options: WebSocketOptions = {
    hal: sim.hal,
    pingInterval: r.pick([0, 0, 200, 1000]),
    pongTimeout: r.pick([100, 500]),
    connectTimeout: r.pick([300, 2000]),
    handshakeTimeout: r.pick([300, 2000]),
    closeTimeout: r.pick([200, 1000]),
    txBufferSize: r.pick([160, 256, 1024]),
    maxMessageSize: r.pick([512, 4096, 65536]),
    maxBufferedAmount: r.pick([300, 4096, 100000]),
  };
  if (r.chance(0.6)) {
    options.reconnect = { minDelay: r.pick([10, 100]), maxDelay: r.pick([200, 2000]), maxAttempts: r.pick([0, 2, 5]), retryFatal: r.chance(0.3) };
  }
  return options;
}

function randomData(r: Random): unknown {
  const size = r.pick([0, 1, 10, 125, 126, 300, 1500, 5000]);
  switch (r.int(5)) {
    case 0:
      return 'é'.repeat(size >> 1) + 'x'.repeat(size & 1);
    case 1:
      return new Uint8Array(size).map((_, i) => i & 0xff);
    case 2:
      return new Uint8Array(size + 8).subarray(4, 4 + size);
    case 3:
      return new Uint16Array(size >> 1).buffer;
    default:
      return new DataView(new ArrayBuffer(size));
  }
}

interface Episode {
  sim: SimHal;
  ws: WebSocket;
  log: { type: string; willReconnect?: boolean }[];
  escaped: unknown[];
}

/** A server-side action: what a lying, crashing or flaky server does to the current connection. */
function serverAction(r: Random, sim: SimHal, server: SimWsServer, listening: { on: boolean }): void {
  const connection = server.connections[server.connections.length - 1];
  const peer: SimPeer | undefined = connection && !connection.peer.closed && !connection.peer.ended ? connection.peer : undefined;
  switch (r.int(12)) {
    case 0:
      server.crash();
      listening.on = false;
      break;
    case 1:
      if (!listening.on) {
        server.start();
        listening.on = true;
      }
      break;
    case 2:
      if (peer) peer.end();
      break; // FIN, perhaps mid-frame
    case 3:
      if (peer) peer.reset();
      break;
    case 4:
      if (peer) peer.send(serverFrame(r.pick([3, 0xb]), 'bad opcode'));
      break;
    case 5:
      if (peer) peer.send(serverFrame(1, new Uint8Array([0xc3, 0x28])));
      break; // invalid UTF-8
    case 6:
      if (peer) peer.send(serverFrame(8, closePayload(r.pick([1000, 1001, 1008, 4000]))));
      break;
    case 7:
      if (peer) for (let i = 0; i < r.int(15); i++) peer.send(serverFrame(9, `p${i}`));
      break;
    case 8:
      if (peer) peer.send(serverFrame(2, new Uint8Array(r.pick([10, 600, 5000]))));
      break;
    case 9:
      if (peer) peer.send(serverFrame(2, new Uint8Array(300)).subarray(0, r.int(300)));
      break; // a frame cut short
    case 10:
      sim.network.configure({ chunkSize: r.pick([1, 7, 536, Infinity]), latencyMs: r.pick([0, 5, 50]) });
      break;
    default:
      sim.network.resetAfterBytes(r.chance(0.5) ? undefined : r.pick([2, 200, 2000]));
      break;
  }
}

/** A client-side action, through the public API only. */
function clientAction(r: Random, episode: Episode): void {
  const ws = episode.ws;
  const attempt = (fn: () => unknown, bad: boolean): void => {
    try {
      fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (!bad || !ARGUMENT_ERRORS.includes(code as string)) throw e;
    }
  };
  switch (r.int(10)) {
    case 0:
    case 1:
    case 2:
      attempt(() => ws.send(randomData(r) as Uint8Array), false);
      break;
    case 3:
      attempt(() => ws.send(r.pick([5, null, {}, [1], true]) as unknown as string), true);
      break;
    case 4:
      attempt(() => ws.ping(r.chance(0.8) ? 'hi' : new Uint8Array(200)), true);
      break;
    case 5:
      attempt(() => ws.close(r.pick([999, 1005, 5000]), 'bad'), true);
      break;
    case 6:
      if (r.chance(0.3)) attempt(() => ws.close(r.pick([1000, 4001])), false);
      break;
    case 7:
      ws.discardQueued();
      break;
    case 8:
      if (r.chance(0.2)) {
        // The entropy source fails (a stuck RNG register): masks and keys can no longer be drawn.
        episode.sim.hal.entropy.fill = () => {
          throw Object.assign(new Error('stuck register'), { code: 'WS_ERR_WEAK_ENTROPY' });
        };
      }
      break;
    default:
      void ws.bufferedAmount;
      break;
  }
}

function runEpisode(seed: number): void {
  const r = generator(seed);
  const sim = createSimHal({
    seed,
    chunkSize: r.pick([1, 3, 268, 536, Infinity]),
    latencyMs: r.pick([0, 1, 20]),
    writeBufferBytes: r.pick([200, 2000, 16384]),
    writeBytesPerMs: r.pick([10, 1000, Infinity]),
  });
  const listening = { on: true };
  const server = new SimWsServer(sim.network, HOST, 8080, {
    answerPings: r.chance(0.8),
    echo: r.chance(0.7),
    endAfterClose: r.chance(0.8),
  });
  switch (r.int(8)) {
    case 0:
      sim.network.refuse(HOST, 8080);
      break;
    case 1:
      sim.network.dnsFail(HOST);
      break;
    case 2:
      sim.network.connectTimeout(HOST, 8080, 500);
      break;
    case 3:
      sim.network.listen(HOST, 8080, (peer) =>
        peer.send(new TextEncoder().encode(r.pick(['HTTP/1.1 404 Not Found\r\n\r\n', 'garbage\r\n\r\n', 'HTTP/1.1 101 OK\r\n\r\n']))),
      );
      break;
    case 4:
      sim.network.listen(HOST, 8080, () => {
        /* accepts and never answers */
      });
      break;
    default:
      server.start();
  }
  const ws = new WebSocket(URL, r.chance(0.3) ? ['chaos'] : undefined, randomOptions(r, sim));
  const episode: Episode = { sim, ws, log: [], escaped: [] };
  for (const type of EVENT_TYPES) {
    ws.on(type, (event) => {
      episode.log.push(event);
      // Listeners that call back into the client, as applications do.
      if (r.chance(0.05)) ws.close();
      if (r.chance(0.1)) ws.send('from a listener');
    });
  }
  const advance = (ms: number): void => {
    try {
      sim.clock.advance(ms);
    } catch (e) {
      episode.escaped.push(e);
    }
  };
  const steps = 5 + r.int(40);
  for (let step = 0; step < steps; step++) {
    if (r.chance(0.5)) clientAction(r, episode);
    else serverAction(r, sim, server, listening);
    advance(r.pick([0, 1, 10, 100, 1000, 5000]));
  }
  // Whatever state it is in, the application now closes, and the server goes away.
  ws.close();
  for (let i = 0; i < 20 && sim.clock.pendingTimers() > 0; i++) advance(10_000);
  server.crash();
  advance(10_000);

  const context = `episode ${seed} (replay with CHAOS_SEED=${seed}); events: ${episode.log.map((e) => e.type).join(' ')}`;
  expect(episode.escaped.map(String), context).to.deep.equal([]);
  const finals = episode.log.filter((e) => e.type === 'close' && !e.willReconnect);
  expect(finals, context).to.have.length(1);
  expect(episode.log[episode.log.length - 1], context).to.equal(finals[0]);
  expect(ws.readyState, context).to.equal(WebSocket.CLOSED);
  // Every error is followed by a close before anything opens again.
  let failing = false;
  for (const event of episode.log) {
    if (event.type === 'error') failing = true;
    else if (event.type === 'close') failing = false;
    else if (event.type === 'open') expect(failing, `${context}: open while an error awaits its close`).to.equal(false);
  }
  expect(failing, context).to.equal(false);
  sim.assertQuiescent();
}

describe('WebSocket under chaos', function () {
  this.timeout(600_000);
  const replay = process.env.CHAOS_SEED;
  const count = Number(process.env.CHAOS_EPISODES || 2000);
  it(replay ? `replays episode ${replay}` : `${count} random episodes end in exactly one close, with nothing escaping or left behind`, () => {
    if (replay) return runEpisode(Number(replay));
    for (let seed = 1; seed <= count; seed++) runEpisode(seed);
  });
});

/**
 * Regression tests for the runtime's promises (issue: "nothing accepted is lost, every failure
 * ends in exactly one close"), written against the public WebSocket API on the simulated
 * network so that they hold through any rewrite of the internals.
 */
import { expect } from 'chai';
import { createSimHal } from '../../hal/sim/index';
import type { WebSocketOptions } from '../../firmware/client-options';
import { WebSocket } from '../../firmware/websocket';
import { SimWsServer, type SimServerOptions } from '../helpers/sim-ws-server';
import { serverFrame } from '../helpers/server-codec';
import { SIM_URL, startSimRun, type SimRun } from '../helpers/sim-run';

const URL = SIM_URL;
type Run = SimRun;

function start(options: WebSocketOptions = {}, simOptions = {}, serverOptions: SimServerOptions = {}): Run {
  return startSimRun(11, options, simOptions, serverOptions);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('WebSocket reliability', () => {
  describe('nothing accepted is lost', () => {
    /** A message of three output buffers; the connection resets once its first fragment is in. */
    function fragmentedThenReset(reconnect: boolean): { run: Run; message: Uint8Array } {
      const run = start(
        { txBufferSize: 1024, reconnect: reconnect ? { minDelay: 100, maxDelay: 200 } : false },
        { writeBufferBytes: 1100, writeBytesPerMs: 50 },
      );
      run.sim.clock.advance(10);
      const message = Uint8Array.from({ length: 3 * 1024 }, (_, i) => (i * 7) & 0xff);
      const first = run.server.connections[0].peer;
      let seen = 0;
      first.onData((bytes) => {
        seen += bytes.length;
        // Reset as soon as the first fragment (txBufferSize − 16 bytes of payload) is in.
        if (seen >= 1000 && !first.closed) first.reset();
      });
      expect(run.ws.send(message)).to.equal(true);
      return { run, message };
    }

    it('resends a fragmented message whole on the next connection when the first dropped mid-message', () => {
      const { run, message } = fragmentedThenReset(true);
      run.sim.clock.advance(5_000);
      expect(run.server.connections.length).to.equal(2);
      const received = run.server.connections[1].messages;
      expect(received).to.have.length(1);
      expect(Buffer.from(received[0].data).equals(Buffer.from(message))).to.equal(true);
      expect(run.server.connections[0].messages).to.have.length(0);
      run.ws.close();
      run.sim.clock.runUntilIdle();
      run.sim.assertQuiescent();
    });

    it('keeps a message whose write throws (the socket closed under it) for the next connection', () => {
      const run = start({ reconnect: { minDelay: 100, maxDelay: 200 } });
      run.sim.clock.advance(10);
      expect(run.ws.readyState).to.equal(WebSocket.OPEN);
      const socket = run.ws['socket'] as { write(bytes: Uint8Array): boolean };
      socket.write = () => {
        throw new Error('closed under the write');
      };
      expect(run.ws.send('kept'), 'accepted: it waits for the next connection').to.equal(true);
      expect(run.ws.bufferedAmount).to.equal(4);
      run.sim.clock.advance(5_000);
      expect(run.server.connections.length).to.equal(2);
      expect(run.server.connections[0]!.messages).to.have.length(0);
      expect(run.server.connections[1]!.messages.map((m) => Buffer.from(m.data).toString())).to.deep.equal(['kept']);
      run.ws.close();
      run.sim.clock.runUntilIdle();
      run.sim.assertQuiescent();
    });

    it('counts a message cut off mid-fragments as unsent when there is no reconnect', () => {
      const { run } = fragmentedThenReset(false);
      run.sim.clock.runUntilIdle();
      const closes = run.of('close');
      expect(closes).to.have.length(1);
      expect(closes[0].unsent).to.equal(1);
      run.sim.assertQuiescent();
    });
  });

  describe('send() takes exactly text, bytes and buffers', () => {
    it('throws WS_ERR_BAD_DATA for anything else, and accepts nothing', () => {
      const run = start();
      run.sim.clock.advance(10);
      for (const bad of [5, null, undefined, {}, true, 1e8, [1, 2, 3]]) {
        expect(
          code(() => run.ws.send(bad as any)),
          String(bad),
        ).to.equal('WS_ERR_BAD_DATA');
      }
      expect(run.ws.bufferedAmount).to.equal(0);
      run.sim.clock.advance(10);
      expect(run.server.connections[0].messages).to.have.length(0);
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });

    it('sends the bytes of any ArrayBuffer view, not its elements', () => {
      const run = start();
      run.sim.clock.advance(10);
      const backing = new Uint8Array([9, 9, 1, 2, 3, 4, 9, 9]);
      run.ws.send(new DataView(backing.buffer, 2, 4));
      run.ws.send(new Uint16Array([0x0201, 0x0403]));
      run.ws.send(backing.subarray(2, 6));
      run.ws.send(backing.buffer.slice(2, 6));
      run.sim.clock.advance(10);
      const got = run.server.connections[0].messages.map((m) => [m.text, Array.from(m.data)]);
      const little = new Uint8Array(new Uint16Array([0x0201]).buffer)[0] === 1;
      expect(got).to.deep.equal([
        [false, [1, 2, 3, 4]],
        [false, little ? [1, 2, 3, 4] : [2, 1, 4, 3]],
        [false, [1, 2, 3, 4]],
        [false, [1, 2, 3, 4]],
      ]);
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });

    it('refuses an oversized string before encoding it', () => {
      const run = start({ maxBufferedAmount: 1000 });
      run.sim.clock.advance(10);
      expect(run.ws.send('x'.repeat(1001))).to.equal(false);
      expect(run.ws.send('€'.repeat(400))).to.equal(false); // 1200 bytes of UTF-8
      expect(run.ws.send('€'.repeat(300))).to.equal(true);
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });

    it('ping() takes the same kinds of data and throws for others', () => {
      const run = start();
      run.sim.clock.advance(10);
      expect(code(() => run.ws.ping(123 as any))).to.equal('WS_ERR_BAD_DATA');
      expect(code(() => run.ws.ping({} as any))).to.equal('WS_ERR_BAD_DATA');
      expect(run.ws.ping(new Uint16Array([0x0101]))).to.equal(true);
      run.sim.clock.advance(10);
      expect(run.of('pong').map((e) => Array.from(e.data))).to.deep.equal([[1, 1]]);
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });
  });

  describe('every failure ends in exactly one close', () => {
    it('close() while connecting fires one close event', () => {
      const run = start({}, { latencyMs: 50 });
      run.sim.clock.advance(10);
      expect(run.ws.readyState).to.equal(WebSocket.CONNECTING);
      run.ws.close();
      run.sim.clock.runUntilIdle();
      const closes = run.of('close');
      expect(closes.map((e) => [e.code, e.wasClean, e.willReconnect])).to.deep.equal([[1006, false, false]]);
      expect(run.ws.readyState).to.equal(WebSocket.CLOSED);
      run.sim.assertQuiescent();
    });

    it('close() right after construction fires one close event', () => {
      const run = start();
      run.ws.close();
      run.sim.clock.runUntilIdle();
      expect(run.of('close')).to.have.length(1);
      run.sim.assertQuiescent();
    });

    it('an invalid close() throws and changes nothing: the client still sends and closes later', () => {
      const run = start();
      run.sim.clock.advance(10);
      expect(code(() => run.ws.close(999))).to.equal('WS_ERR_BAD_CLOSE');
      expect(code(() => run.ws.close(1000, null as any))).to.equal('WS_ERR_BAD_CLOSE');
      expect(code(() => run.ws.close('1000' as any))).to.equal('WS_ERR_BAD_CLOSE');
      expect(run.ws.readyState).to.equal(WebSocket.OPEN);
      expect(run.ws.send('still here')).to.equal(true);
      run.sim.clock.advance(10);
      expect(run.server.connections[0].messages.map((m) => Buffer.from(m.data).toString())).to.deep.equal(['still here']);
      run.ws.close(4000, 'done');
      run.sim.clock.runUntilIdle();
      expect(run.of('close').map((e) => [e.code, e.wasClean])).to.deep.equal([[4000, true]]);
      run.sim.assertQuiescent();
    });

    it('an invalid close() while connecting leaves the connection to complete', () => {
      const run = start({}, { latencyMs: 50 });
      expect(code(() => run.ws.close(5000))).to.equal('WS_ERR_BAD_CLOSE');
      run.sim.clock.advance(200);
      expect(run.ws.readyState).to.equal(WebSocket.OPEN);
      run.ws.close();
      run.sim.clock.runUntilIdle();
      run.sim.assertQuiescent();
    });

    it('the heartbeat never throws from its timer after a protocol failure while TCP is closing', () => {
      const run = start({ pingInterval: 1000, pongTimeout: 500, closeTimeout: 5000 }, {}, { endAfterClose: false });
      run.sim.clock.advance(10);
      // The server breaks the protocol and then keeps TCP open: the client waits for it to end.
      run.server.connections[0].peer.send(serverFrame(1, 'x', { rsv: 4 }));
      for (let t = 0; t < 8000; t += 100) run.sim.clock.advance(100); // throws if a timer throws
      expect(run.of('close')).to.have.length(1);
      run.sim.clock.runUntilIdle();
      run.sim.assertQuiescent();
    });

    it('no reconnect event fires after close() is called from a close listener', () => {
      const run = start({ reconnect: { minDelay: 100 } });
      run.sim.clock.advance(10);
      run.ws.on('close', () => run.ws.close());
      run.server.crash();
      run.sim.clock.runUntilIdle();
      const types = run.log.map((e) => e.type);
      const last = types.lastIndexOf('close');
      expect(run.log[last].willReconnect).to.equal(false);
      expect(types.slice(last + 1)).to.deep.equal([]);
      expect(run.of('reconnect')).to.have.length(0);
      run.sim.assertQuiescent();
    });

    it('a FIN in the middle of a frame is an error, then close 1006', () => {
      const run = start();
      run.sim.clock.advance(10);
      const peer = run.server.connections[0].peer;
      peer.send(serverFrame(2, new Uint8Array(100)).subarray(0, 40));
      peer.end();
      run.sim.clock.runUntilIdle();
      expect(run.of('error').map((e) => [e.kind, e.code])).to.deep.equal([['closed', 'WS_ERR_TRUNCATED_FRAME']]);
      expect(run.of('close').map((e) => [e.code, e.wasClean])).to.deep.equal([[1006, false]]);
      run.sim.assertQuiescent();
    });

    it('a FIN without a close frame is an error too', () => {
      const run = start();
      run.sim.clock.advance(10);
      run.server.connections[0].peer.end();
      run.sim.clock.runUntilIdle();
      expect(run.of('error').map((e) => [e.kind, e.code])).to.deep.equal([['closed', 'WS_ERR_NO_CLOSE_FRAME']]);
      expect(run.of('close').map((e) => e.code)).to.deep.equal([1006]);
    });
  });

  describe('bad arguments throw at the call', () => {
    const sim = createSimHal();
    for (const protocols of [5, true, [1], ['ok', null], {}]) {
      it(`protocols ${JSON.stringify(protocols)} throws WS_ERR_BAD_PROTOCOL`, () => {
        expect(code(() => new WebSocket(URL, protocols as any, { hal: sim.hal }))).to.equal(
          typeof protocols === 'object' && !Array.isArray(protocols) ? undefined : 'WS_ERR_BAD_PROTOCOL',
        );
      });
    }

    it('null protocols keep the options that follow', () => {
      const local = createSimHal();
      new SimWsServer(local.network, 'server.test', 8080).start();
      const ws = new WebSocket(URL, null as any, { hal: local.hal, pingInterval: 0, maxBufferedAmount: 10 });
      local.clock.advance(10);
      expect(ws.readyState).to.equal(WebSocket.OPEN);
      expect(ws.send('x'.repeat(11))).to.equal(false);
      ws.close();
      local.clock.runUntilIdle();
    });

    it('a listener that is not a function throws WS_ERR_BAD_LISTENER', () => {
      const local = createSimHal();
      const ws = new WebSocket(URL, undefined, { hal: local.hal });
      expect(code(() => ws.on('message', 5 as any))).to.equal('WS_ERR_BAD_LISTENER');
      expect(code(() => ws.on('mesage' as 'message', () => {}))).to.equal('WS_ERR_BAD_LISTENER');
      ws.close();
      local.clock.runUntilIdle();
    });

    it('an entropy failure when a connection starts is an error event and one close, not an exception', () => {
      const run = start({ reconnect: { minDelay: 100, maxDelay: 100 } });
      run.sim.clock.advance(10);
      run.sim.hal.entropy.fill = () => {
        const error = new Error('the register repeated') as Error & { code: string };
        error.code = 'WS_ERR_WEAK_ENTROPY';
        throw error;
      };
      run.server.crash();
      run.server.start();
      run.sim.clock.runUntilIdle(10_000); // throws if the failure escapes a timer
      const errors = run.of('error').map((e) => e.code);
      expect(errors).to.include('WS_ERR_WEAK_ENTROPY');
      const final = run.of('close').filter((e) => !e.willReconnect);
      expect(final).to.have.length(1);
      expect(run.ws.readyState).to.equal(WebSocket.CLOSED);
      run.sim.assertQuiescent();
    });
  });

  describe('pings', () => {
    it('answers ten pings that arrive together with ten pongs, in order', () => {
      const run = start();
      run.sim.clock.advance(10);
      const pings = Buffer.concat(Array.from({ length: 10 }, (_, i) => serverFrame(9, `ping ${i}`)));
      const peer = run.server.connections[0].peer;
      const before = peer.received().length;
      peer.send(pings);
      run.sim.clock.advance(10);
      const bytes = peer.received().subarray(before);
      const pongs: string[] = [];
      for (let at = 0; at < bytes.length; ) {
        const length = bytes[at + 1] & 0x7f;
        const mask = bytes.subarray(at + 2, at + 6);
        const payload = bytes.subarray(at + 6, at + 6 + length).map((b, i) => b ^ mask[i & 3]);
        if ((bytes[at] & 0x0f) === 0xa) pongs.push(Buffer.from(payload).toString());
        at += 6 + length;
      }
      expect(pongs).to.deep.equal(Array.from({ length: 10 }, (_, i) => `ping ${i}`));
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });
  });

  describe('reconnecting fleets', () => {
    it('jitters the first reconnect of a fleet over the jitter window', () => {
      const sim = createSimHal({ seed: 3 });
      const server = new SimWsServer(sim.network, 'server.test', 8080).start();
      const delays: number[] = [];
      const clients: WebSocket[] = [];
      for (let i = 0; i < 200; i++) {
        const ws = new WebSocket(URL, undefined, { hal: sim.hal, pingInterval: 0, reconnect: { minDelay: 1000, maxDelay: 60_000 } });
        ws.on('reconnect', (e) => {
          if (e.attempt === 1) delays.push(e.delay);
        });
        clients.push(ws);
      }
      sim.clock.advance(10);
      server.crash();
      sim.clock.advance(10);
      expect(delays).to.have.length(200);
      const distinct = new Set(delays).size;
      expect(distinct).to.be.greaterThan(150);
      expect(Math.min(...delays)).to.be.at.least(1000);
      expect(Math.max(...delays)).to.be.at.most(2000);
      // Spread: each fifth of the window gets some of the fleet.
      for (let k = 0; k < 5; k++) {
        expect(delays.filter((d) => d >= 1000 + k * 200 && d < 1200 + k * 200).length, `fifth ${k}`).to.be.greaterThan(10);
      }
      for (const ws of clients) ws.close();
      sim.clock.runUntilIdle(120_000);
    });

    it('a server that accepts and drops at once sees a bounded connection rate', function () {
      this.timeout(120_000); // some 50,000 simulated handshakes
      const sim = createSimHal({ seed: 5 });
      let connections = 0;
      new SimWsServer(sim.network, 'server.test', 8080, {
        onOpen: (c) => {
          connections++;
          c.peer.reset();
        },
      }).start();
      const clients: WebSocket[] = [];
      const small = { txBufferSize: 256, rxBufferSize: 64 };
      for (let i = 0; i < 200; i++) {
        clients.push(new WebSocket(URL, undefined, { hal: sim.hal, pingInterval: 0, reconnect: { minDelay: 1000, maxDelay: 60_000 }, ...small }));
      }
      // Backed off to one attempt per 30 s on average each: ~120 per client per hour, where a
      // backoff that starts over at every open gives ~3600. Advance a minute at a time and stop
      // as soon as the bound is broken, so the broken case fails fast instead of running on.
      const perHour = (bound: number): number => {
        connections = 0;
        for (let minute = 0; minute < 60 && connections <= bound * 200; minute++) sim.clock.advance(60_000);
        return connections / 200;
      };
      expect(perHour(250), 'first hour').to.be.at.most(250);
      expect(perHour(150), 'second hour').to.be.at.most(150);
      for (const ws of clients) ws.close();
      sim.clock.runUntilIdle(120_000);
    });

    it('resets the backoff only after a connection stayed open a while', () => {
      let flaps = 0;
      const run = start(
        { reconnect: { minDelay: 1000, maxDelay: 64_000 } },
        {},
        {
          // The first five connections are dropped as soon as they open; the sixth stays up.
          onOpen: (c) => {
            if (flaps < 5) {
              flaps++;
              c.peer.reset();
            }
          },
        },
      );
      run.sim.clock.advance(100_000);
      const attempts = run.of('reconnect').map((e) => e.attempt);
      expect(attempts).to.deep.equal([1, 2, 3, 4, 5]);
      expect(run.ws.readyState).to.equal(WebSocket.OPEN);
      // Open for more than 30 s, then dropped: the backoff starts over.
      run.sim.clock.advance(31_000);
      run.server.connections[run.server.connections.length - 1].peer.reset();
      run.sim.clock.advance(10);
      const after = run.of('reconnect');
      expect(after.map((e) => e.attempt)).to.deep.equal([1, 2, 3, 4, 5, 1]);
      expect(after[5].delay).to.be.at.most(2000);
      run.ws.close();
      run.sim.clock.runUntilIdle();
    });
  });
});

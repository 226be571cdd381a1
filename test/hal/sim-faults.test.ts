import { expect } from 'chai';
import fc from 'fast-check';
import { createSimHal, DEFAULT_CONNECT_TIMEOUT_MS, SimClock, type SimHal, type SimHalOptions, type SimPeer } from '../../hal/sim';
import type { TcpSocket, TcpTarget } from '../../hal/types';
import { bytesDiff, concatBytes, pattern, TcpRecorder } from '../helpers/tcp-recorder';
import { at } from '../helpers/at';

const ECHO = { host: 'echo.sim', port: 7 };

/** A sim with an echo server on ECHO; `peers` collects the server side of each connection. */
function echoSim(options: SimHalOptions = {}): SimHal & { peers: SimPeer[] } {
  const sim = createSimHal(options);
  const peers: SimPeer[] = [];
  sim.network.listen(ECHO.host, ECHO.port, (peer) => {
    peers.push(peer);
    peer.onData((bytes) => peer.send(bytes));
    peer.onEnd(() => peer.end());
  });
  return Object.assign(sim, { peers });
}

function connect(sim: SimHal, target: Partial<TcpTarget> = {}): { socket: TcpSocket; rec: TcpRecorder } {
  const rec = new TcpRecorder();
  const socket = rec.call('connect', () => sim.hal.tcp.connect({ ...ECHO, tls: false, ...target }, rec.handlers));
  return { socket, rec };
}

/** Ends the socket, lets everything settle, and checks the sim is clean and no rule was broken. */
function closeAndCheck(sim: SimHal, socket: TcpSocket, rec: TcpRecorder): void {
  if (!rec.closed) rec.end(socket);
  sim.clock.runUntilIdle(24 * 3_600_000);
  expect(rec.closed, 'onClose').to.equal(true);
  expect(rec.violations).to.deep.equal([]);
  sim.assertQuiescent();
}

describe('sim HAL faults', () => {
  describe('chunking', () => {
    it('splits every delivery into 1-byte pieces both ways, preserving every byte', () => {
      const sim = createSimHal({ chunkSize: 1 });
      const peerPieces: number[] = [];
      let peer: SimPeer | undefined;
      sim.network.listen(ECHO.host, ECHO.port, (p) => {
        peer = p;
        p.onData((bytes) => {
          peerPieces.push(bytes.length);
          p.send(bytes);
        });
        p.onEnd(() => p.end());
      });
      const { socket, rec } = connect(sim);
      const payload = pattern(3000);
      rec.write(socket, payload);
      sim.clock.advance(0);
      expect(bytesDiff(peer!.received(), payload)).to.equal(undefined);
      expect(peerPieces.length).to.equal(3000);
      expect(peerPieces.every((n) => n === 1)).to.equal(true);
      expect(rec.chunks.length).to.equal(3000);
      expect(rec.chunks.every((c) => c.length === 1)).to.equal(true);
      expect(bytesDiff(rec.received(), payload)).to.equal(undefined);
      closeAndCheck(sim, socket, rec);
    });

    it('preserves bytes and order under any chunking, latency and link speed (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 64 }),
          fc.integer({ min: 0, max: 200 }),
          fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 500 })),
          fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 12 }),
          (chunkSize, latencyMs, writeBytesPerMs, writes) => {
            const sim = echoSim({ chunkSize, latencyMs, writeBytesPerMs });
            const { socket, rec } = connect(sim);
            for (const bytes of writes) rec.write(socket, bytes);
            closeAndCheck(sim, socket, rec);
            const sent = concatBytes(writes);
            expect(bytesDiff(at(sim.peers, 0, 'sim.peers').received(), sent)).to.equal(undefined);
            expect(bytesDiff(rec.received(), sent)).to.equal(undefined);
            expect(rec.chunks.every((c) => c.length <= chunkSize)).to.equal(true);
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  describe('latency', () => {
    it('runs an hour of virtual time in milliseconds of real time', () => {
      const halfHour = 30 * 60_000;
      const started = performance.now();
      const sim = echoSim({ latencyMs: halfHour });
      const { socket, rec } = connect(sim);
      sim.clock.advance(halfHour - 1);
      expect(rec.events).to.deep.equal([]);
      sim.clock.advance(1);
      expect(rec.events).to.deep.equal(['connect']);
      rec.write(socket, pattern(10));
      sim.clock.advance(2 * halfHour - 1); // there and back
      expect(rec.receivedLength()).to.equal(0);
      sim.clock.advance(1);
      expect(rec.receivedLength()).to.equal(10);
      expect(sim.clock.now()).to.equal(3 * halfHour);
      closeAndCheck(sim, socket, rec);
      expect(performance.now() - started).to.be.below(1000);
    });
  });

  describe('slow drain and backpressure', () => {
    it('write() returns false past writeBufferBytes; onDrain fires once the slow link has delivered the backlog', () => {
      const sim = echoSim({ writeBytesPerMs: 1, writeBufferBytes: 1000 });
      const { socket, rec } = connect(sim);
      sim.clock.advance(0);
      expect(rec.write(socket, pattern(1000))).to.equal(true); // exactly the buffer: still fine
      expect(rec.write(socket, pattern(4000))).to.equal(false);
      sim.clock.advance(4999);
      expect(rec.events).to.not.include('drain');
      expect(at(sim.peers, 0, 'sim.peers').received().length).to.equal(1000); // the first write has landed
      sim.clock.advance(1);
      expect(rec.events).to.include('drain');
      expect(at(sim.peers, 0, 'sim.peers').received().length).to.equal(5000);
      closeAndCheck(sim, socket, rec);
    });

    it('a peer that pauses reading withholds delivery and onDrain until it resumes', () => {
      const sim = echoSim();
      sim.network.listen('paused.sim', 1, (peer) => {
        sim.peers.push(peer);
        peer.pauseReading();
        peer.onEnd(() => peer.end());
      });
      const { socket, rec } = connect(sim, { host: 'paused.sim', port: 1 });
      expect(rec.write(socket, pattern(20_000))).to.equal(false);
      sim.clock.advance(10_000);
      expect(rec.events).to.deep.equal(['connect']);
      expect(at(sim.peers, 0, 'sim.peers').received().length).to.equal(0);
      at(sim.peers, 0, 'sim.peers').resumeReading();
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect', 'drain']);
      expect(bytesDiff(at(sim.peers, 0, 'sim.peers').received(), pattern(20_000))).to.equal(undefined);
      closeAndCheck(sim, socket, rec);
    });
  });

  describe('resets', () => {
    it('resetAfterBytes cuts the connection once n bytes reached the client, mid-delivery', () => {
      const sim = echoSim({ chunkSize: 4 });
      sim.network.resetAfterBytes(10);
      const { socket, rec } = connect(sim);
      rec.write(socket, pattern(25));
      sim.clock.advance(0);
      expect(rec.chunks.map((c) => c.length)).to.deep.equal([4, 4, 2]);
      expect(bytesDiff(rec.received(), pattern(10))).to.equal(undefined);
      expect(rec.events.slice(-2)).to.deep.equal(['error', 'close']);
      expect(rec.errors[0]).to.include({ kind: 'reset', code: 'ECONNRESET' });
      expect(at(sim.peers, 0, 'sim.peers').closed).to.equal(true);
      closeAndCheck(sim, socket, rec);
    });

    it('peer.reset() delivers what was sent before it, then onError "reset" and onClose', () => {
      const sim = createSimHal();
      let peerClosed = false;
      sim.network.listen('r.sim', 1, (peer) => {
        peer.send(pattern(5));
        peer.reset();
        peer.onClose(() => (peerClosed = true));
      });
      const { socket, rec } = connect(sim, { host: 'r.sim', port: 1 });
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect', 'data', 'error', 'close']);
      expect(rec.receivedLength()).to.equal(5);
      expect(peerClosed).to.equal(true);
      closeAndCheck(sim, socket, rec);
    });

    it('the peer sees a client destroy() as a close, after the latency', () => {
      const sim = echoSim({ latencyMs: 100 });
      const { socket, rec } = connect(sim);
      sim.clock.advance(100);
      const peer = at(sim.peers, 0, 'sim.peers');
      rec.destroy(socket);
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect', 'close']);
      expect(peer.closed).to.equal(false);
      sim.clock.advance(100);
      expect(peer.closed).to.equal(true);
      closeAndCheck(sim, socket, rec);
    });
  });

  describe('connection failures', () => {
    it('tlsSupported=false (ESP8266) fails tls:true connections with "tls", plain ones still work', () => {
      const sim = echoSim({ tlsSupported: false });
      expect(sim.hal.tcp.supportsTls).to.equal(false);
      const tls = connect(sim, { tls: true });
      const plain = connect(sim);
      sim.clock.advance(0);
      expect(tls.rec.events).to.deep.equal(['error', 'close']);
      expect(at(tls.rec.errors, 0, 'tls.rec.errors').kind).to.equal('tls');
      expect(plain.rec.events).to.deep.equal(['connect']);
      closeAndCheck(sim, plain.socket, plain.rec);
    });

    it('with TLS supported, tls:true connects and the peer sees it was asked for', () => {
      const sim = echoSim();
      const { socket, rec } = connect(sim, { tls: true, tlsOptions: { servername: 'example.org' } });
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect']);
      expect(at(sim.peers, 0, 'sim.peers').target).to.include({ tls: true });
      closeAndCheck(sim, socket, rec);
    });

    it('refuse(), close() and unknown addresses give "refused"; dnsFail() gives "dns"', () => {
      const sim = echoSim({ latencyMs: 10 });
      sim.network.listen('closed.sim', 1, () => {});
      sim.network.close('closed.sim', 1);
      sim.network.listen('refusing.sim', 1, () => {});
      sim.network.refuse('refusing.sim', 1);
      sim.network.dnsFail('nowhere.sim');
      const recs = [
        connect(sim, { host: 'closed.sim', port: 1 }).rec,
        connect(sim, { host: 'refusing.sim', port: 1 }).rec,
        connect(sim, { host: 'unknown.sim', port: 1 }).rec,
        connect(sim, { host: 'NOWHERE.sim', port: 1 }).rec,
      ];
      sim.clock.advance(10);
      expect(recs.map((r) => r.events.join())).to.deep.equal(Array(4).fill('error,close'));
      expect(recs.map((r) => at(r.errors, 0, 'r.errors').kind)).to.deep.equal(['refused', 'refused', 'refused', 'dns']);
      sim.assertQuiescent();
    });

    it('connectTimeout() reports "timeout" after the configured virtual time, never before', () => {
      const sim = echoSim();
      sim.network.connectTimeout(ECHO.host, ECHO.port, 5000);
      const { rec } = connect(sim);
      sim.clock.advance(4999);
      expect(rec.events).to.deep.equal([]);
      sim.clock.advance(1);
      expect(rec.events).to.deep.equal(['error', 'close']);
      expect(rec.errors[0]).to.include({ kind: 'timeout', code: 'ETIMEDOUT' });
      sim.assertQuiescent();
    });

    it('connectTimeout() defaults to 30 s, and destroy() before it leaves nothing scheduled', () => {
      const sim = echoSim();
      sim.network.connectTimeout(ECHO.host, ECHO.port);
      const a = connect(sim);
      sim.clock.advance(DEFAULT_CONNECT_TIMEOUT_MS);
      expect(at(a.rec.errors, 0, 'a.rec.errors').kind).to.equal('timeout');
      const b = connect(sim);
      sim.clock.advance(1000);
      b.rec.destroy(b.socket);
      sim.clock.advance(0);
      expect(b.rec.events).to.deep.equal(['close']);
      sim.assertQuiescent();
    });
  });

  describe('delivery through the clock', () => {
    it('nothing happens until the clock advances, even with zero latency', () => {
      const sim = echoSim();
      const { socket, rec } = connect(sim);
      rec.write(socket, pattern(3));
      expect(rec.events).to.deep.equal([]);
      expect(sim.clock.pendingTimers()).to.be.greaterThan(0);
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect', 'data']);
      closeAndCheck(sim, socket, rec);
    });

    it('the peer stays half-open after the client FIN until it ends too', () => {
      const sim = createSimHal();
      let peer: SimPeer | undefined;
      let peerSawEnd = false;
      sim.network.listen('h.sim', 1, (p) => {
        peer = p;
        p.onEnd(() => (peerSawEnd = true));
      });
      const { socket, rec } = connect(sim, { host: 'h.sim', port: 1 });
      sim.clock.advance(0);
      rec.end(socket);
      sim.clock.advance(1000);
      expect(peerSawEnd).to.equal(true);
      expect(rec.events).to.deep.equal(['connect']);
      expect(() => sim.assertQuiescent()).to.throw(/h\.sim:1/);
      peer!.send(pattern(2));
      peer!.end();
      sim.clock.advance(0);
      expect(rec.events).to.deep.equal(['connect', 'data', 'end', 'close']);
      expect(peer!.closed).to.equal(true);
      closeAndCheck(sim, socket, rec);
    });
  });

  describe('assertQuiescent', () => {
    it('reports a socket left open, naming it', () => {
      const sim = echoSim();
      const { socket, rec } = connect(sim);
      sim.clock.advance(0);
      expect(() => sim.assertQuiescent()).to.throw(/open socket: echo\.sim:7#1 \(client open, server open\)/);
      closeAndCheck(sim, socket, rec);
    });

    it('reports a pending timer', () => {
      const sim = createSimHal();
      const id = sim.hal.clock.setTimeout(() => {}, 1234);
      expect(() => sim.assertQuiescent()).to.throw(/pending timer: timer \(#\d+\) due at 1234ms/);
      sim.hal.clock.clearTimeout(id);
      sim.assertQuiescent();
    });
  });

  describe('SimClock', () => {
    it('runs timers in due order, FIFO for equal times, and reads each due time in its callback', () => {
      const clock = new SimClock();
      const log: string[] = [];
      const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
      clock.setTimeout(at('c'), 30);
      clock.setTimeout(at('a'), 10);
      clock.setTimeout(at('z1'), 0);
      clock.setTimeout(at('b'), 10);
      clock.setTimeout(at('z2'), 0);
      clock.setTimeout(at('neg'), -5);
      clock.advance(30);
      expect(log).to.deep.equal(['z1@0', 'z2@0', 'neg@0', 'a@10', 'b@10', 'c@30']);
    });

    it('runs timers scheduled by timers within the same advance, each at its own due time', () => {
      const clock = new SimClock(1000);
      const log: string[] = [];
      clock.setTimeout(() => {
        log.push(`outer@${clock.now()}`);
        clock.setTimeout(() => log.push(`zero@${clock.now()}`), 0);
        clock.setTimeout(() => log.push(`later@${clock.now()}`), 5);
        clock.setTimeout(() => log.push(`beyond@${clock.now()}`), 50);
      }, 10);
      clock.advance(20);
      expect(log).to.deep.equal(['outer@1010', 'zero@1010', 'later@1015']);
      expect(clock.now()).to.equal(1020);
      expect(clock.pendingTimers()).to.equal(1);
    });

    it('clearTimeout cancels a pending timer and ignores fired, cleared or unknown handles', () => {
      const clock = new SimClock();
      let fired = 0;
      const a = clock.setTimeout(() => fired++, 5);
      const b = clock.setTimeout(() => fired++, 5);
      clock.clearTimeout(a);
      expect(clock.pendingTimers()).to.equal(1);
      clock.advance(5);
      clock.clearTimeout(a);
      clock.clearTimeout(b);
      clock.clearTimeout(undefined);
      clock.clearTimeout('nonsense');
      expect(fired).to.equal(1);
      expect(clock.pendingTimers()).to.equal(0);
    });

    it('runUntilIdle stops when idle, or at the limit for a timer that never stops', () => {
      const clock = new SimClock();
      clock.setTimeout(() => clock.setTimeout(() => {}, 500), 100);
      expect(clock.runUntilIdle(10_000)).to.equal(true);
      expect(clock.now()).to.equal(600);
      const tick = () => void clock.setTimeout(tick, 1000);
      tick();
      expect(clock.runUntilIdle(10_500)).to.equal(false);
      expect(clock.now()).to.equal(11_100);
      expect(clock.pendingTimers()).to.equal(1);
    });

    it('refuses to advance from inside a timer, and rejects negative durations', () => {
      const clock = new SimClock();
      let caught: unknown;
      clock.setTimeout(() => {
        try {
          clock.advance(1);
        } catch (err) {
          caught = err;
        }
      }, 0);
      clock.advance(0);
      expect(String(caught)).to.match(/inside a timer/);
      expect(() => clock.advance(-1)).to.throw(RangeError);
    });
  });

  describe('entropy', () => {
    it('is deterministic per seed and differs between seeds', () => {
      const bytes = (seed: number | undefined) => {
        const out = new Uint8Array(32);
        createSimHal({ seed }).hal.entropy.fill(out);
        return out;
      };
      expect(bytesDiff(bytes(42), bytes(42))).to.equal(undefined);
      expect(bytesDiff(bytes(42), bytes(43))).to.not.equal(undefined);
      expect(bytes(0).some((b) => b !== 0)).to.equal(true);
      expect(bytesDiff(bytes(undefined), bytes(undefined))).to.equal(undefined);
    });

    it('leaves sha1 and text to the protocol unless given', () => {
      const plain = createSimHal();
      expect(plain.hal.sha1).to.equal(undefined);
      expect(plain.hal.text).to.equal(undefined);
      const sha1 = () => new Uint8Array(20);
      expect(createSimHal({ sha1 }).hal.sha1).to.equal(sha1);
    });
  });
});

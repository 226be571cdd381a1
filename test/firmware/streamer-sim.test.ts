import { expect } from 'chai';
import { createSimHal, type SimHal } from '../../hal/sim/index';
import { resolveAppConfig, type AppConfig } from '../../firmware/app/config';
import type { AppPlatform } from '../../firmware/app/platform';
import { SensorStreamer } from '../../firmware/app/streamer';
import { SimWsServer, type SimServerConnection } from '../helpers/sim-ws-server';

/** A sink on the simulated network that acknowledges readings, as tools/sink does. */
class AckingSink {
  readings: { boot: number; seq: number; values: unknown }[] = [];
  duplicates = 0;
  gaps = 0;
  replies: any[] = [];
  hellos: any[] = [];
  /** Virtual time at which each hello arrived. */
  helloTimes: number[] = [];
  /** Called for every hello (the first is 1): lets a test misbehave on a given connection. */
  onHello: ((connection: SimServerConnection, count: number) => void) | null = null;
  last: { [boot: number]: number } = {};
  server: SimWsServer;

  constructor(private sim: SimHal) {
    this.server = new SimWsServer(sim.network, 'sink.test', 8080, {
      echo: false,
      onMessage: (connection, message) => this.handle(connection, message),
    }).start();
  }

  private handle(connection: SimServerConnection, message: { text: boolean; data: Uint8Array }): void {
    let boot: number;
    let seq: number;
    let values: unknown;
    if (message.text) {
      const json = JSON.parse(Buffer.from(message.data).toString());
      if (json.type === 'hello') {
        this.hellos.push(json);
        this.helloTimes.push(this.sim.clock.now());
        if (this.onHello) this.onHello(connection, this.hellos.length);
        return;
      }
      if (json.type !== 'reading') return void this.replies.push(json);
      [boot, seq, values] = [json.boot, json.seq, json.values];
    } else {
      const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.length);
      [seq, boot] = [view.getUint32(1), view.getUint32(5)];
      values = Array.from({ length: view.getUint8(17) }, (_, i) => view.getFloat32(18 + 4 * i));
    }
    const last = this.last[boot] || 0;
    if (seq <= last) this.duplicates++;
    else {
      if (seq !== last + 1) this.gaps += seq - last - 1;
      this.last[boot] = seq;
      this.readings.push({ boot, seq, values });
    }
    connection.send(1, JSON.stringify({ type: 'ack', seq: this.last[boot] }));
  }

  command(command: object): void {
    const live = this.server.connections.filter((c) => !c.peer.closed);
    live[live.length - 1].send(1, JSON.stringify(command));
  }
}

function platform(sim: SimHal, log: string[] = []): AppPlatform {
  let t = 0;
  return {
    hal: sim.hal,
    board: 'sim',
    sensorNames: ['analog', 'temperature'],
    readSensor: (name) => (name === 'analog' ? 0.5 + 0.1 * Math.sin(t++ / 10) : 40),
    rssi: () => -50,
    freeVars: () => 1000,
    wallClock: () => 1_700_000_000_000 + sim.clock.now(),
    log: (line) => log.push(line),
  };
}

function config(overrides: object = {}): AppConfig {
  return resolveAppConfig(
    { server: 'ws://sink.test:8080/ws', deviceId: 'dev-1', sensors: ['analog', 'temperature'], metricsInterval: 0, ...overrides },
    ['analog', 'temperature'],
    64,
    ['analog', 'temperature'],
  );
}

describe('sensor streamer over the simulated network', () => {
  for (const encoding of ['json', 'binary'] as const) {
    it(`delivers every ${encoding} reading exactly once and in order`, () => {
      const sim = createSimHal({ seed: 3, latencyMs: 5, chunkSize: 50 });
      const sink = new AckingSink(sim);
      const app = new SensorStreamer(config({ encoding, sampleInterval: 100 }), platform(sim));
      app.start();
      sim.clock.advance(60_000);
      expect(sink.hellos.map((h) => [h.device, h.encoding, h.boot])).to.deep.equal([['dev-1', encoding, app.boot]]);
      expect(sink.readings.length).to.be.within(595, 600);
      expect(sink.readings.map((r) => r.seq)).to.deep.equal(Array.from({ length: sink.readings.length }, (_, i) => i + 1));
      expect([sink.duplicates, sink.gaps, app.dropped]).to.deep.equal([0, 0, 0]);
      expect(app.buffered).to.be.at.most(2);
      app.stop();
      sim.clock.runUntilIdle();
      sim.assertQuiescent();
    });
  }

  it('buffers through a server restart and delivers the backlog in order; drops only on real overflow', () => {
    const sim = createSimHal({ seed: 4, latencyMs: 5 });
    const sink = new AckingSink(sim);
    const app = new SensorStreamer(config({ sampleInterval: 100, bufferCapacity: 64, reconnectMinDelay: 500, reconnectMaxDelay: 2000 }), platform(sim));
    app.start();
    sim.clock.advance(10_000);
    sink.server.crash();
    sim.clock.advance(5_000); // 50 readings while down: fits the 64-reading buffer
    expect(app.dropped).to.equal(0);
    sink.server.start();
    sim.clock.advance(5_000);
    const seqs = sink.readings.map((r) => r.seq);
    expect(seqs).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).to.be.within(195, 200);
    expect(sink.gaps).to.equal(0);
    sink.server.crash();
    sim.clock.advance(10_000); // 100 readings while down: 36 must be dropped
    sink.server.start();
    sim.clock.advance(5_000);
    expect(app.dropped).to.be.within(36, 60); // 100+ readings while down, and during the reconnect delay, against a 64-reading buffer
    // Every gap is a reading the app counted as dropped; a dropped reading may still have
    // arrived (it was sent, not yet acknowledged, when the buffer overflowed): no gap then.
    expect(sink.gaps).to.be.within(app.dropped - 2, app.dropped);
    const after = sink.readings.map((r) => r.seq);
    for (let i = 1; i < after.length; i++) expect(after[i]).to.be.greaterThan(after[i - 1]);
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('detects a half-open connection with the heartbeat and resends what was not acknowledged', () => {
    const sim = createSimHal({ seed: 5, latencyMs: 5 });
    const sink = new AckingSink(sim);
    const log: string[] = [];
    const app = new SensorStreamer(
      config({ sampleInterval: 1000, pingInterval: 5000, pongTimeout: 2000, reconnectMinDelay: 100, reconnectMaxDelay: 200 }),
      platform(sim, log),
    );
    app.start();
    sim.clock.advance(10_000);
    sink.server.connections[0].peer.pauseReading(); // the peer vanishes: nothing it sends or receives any more
    sim.clock.advance(10_000);
    expect(log.some((l) => /heartbeat/.test(l))).to.equal(true);
    sim.clock.advance(10_000);
    const seqs = sink.readings.map((r) => r.seq);
    expect(seqs).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).to.be.at.least(28);
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('obeys set-interval, reports metrics on request, and answers bad commands with an error', () => {
    const sim = createSimHal({ seed: 6 });
    const sink = new AckingSink(sim);
    const app = new SensorStreamer(config({ sampleInterval: 1000 }), platform(sim));
    app.start();
    sim.clock.advance(10_000);
    const before = sink.readings.length;
    sink.command({ type: 'command', id: 'c1', command: 'set-interval', interval: 100 });
    sim.clock.advance(10_000);
    expect(sink.readings.length - before).to.be.within(98, 101);
    sink.command({ type: 'command', id: 'c2', command: 'report-metrics' });
    sink.command({ type: 'command', id: 'c3', command: 'self-destruct' });
    sink.command({ type: 'command', id: 'c4', command: 'set-interval', interval: -5 });
    sink.server.connections[0].send(1, '{not json');
    sim.clock.advance(100);
    const replies = sink.replies.map((r) => [r.type, r.id ?? null]);
    expect(replies).to.deep.include.members([
      ['ack', 'c1'],
      ['metrics', null],
      ['ack', 'c2'],
      ['error', 'c3'],
      ['error', 'c4'],
      ['error', null],
    ]);
    const metrics = sink.replies.find((r) => r.type === 'metrics');
    expect(metrics).to.include({ device: 'dev-1', rssi: -50, freeVars: 1000, dropped: 0 });
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('rejects a bad configuration naming the field', () => {
    expect(() => config({ sampleInterval: 10 }))
      .to.throw(/sampleInterval/)
      .with.property('code', 'WS_ERR_BAD_CONFIG');
    expect(() => config({ server: 'http://x/' })).to.throw(/config field server/);
    expect(() => config({ deviceId: 'has space' })).to.throw(/deviceId/);
    expect(() => config({ sensors: ['humidity'] })).to.throw(/sensors must be names from analog, temperature/);
    expect(() => config({ sampleIntervall: 5 })).to.throw(/unknown config field sampleIntervall/);
    expect(() => config({ fatalRetryMinDelay: 999 })).to.throw(/config field fatalRetryMinDelay must be a whole number from 1000/);
    expect(() => config({ fatalRetryMaxDelay: 1.5 })).to.throw(/config field fatalRetryMaxDelay/);
    expect(() => config({ fatalRetryMinDelay: 120_000, fatalRetryMaxDelay: 60_000 })).to.throw(/fatalRetryMaxDelay must be at least fatalRetryMinDelay/);
  });
});

/** Slack on a measured delay: the close handshake, the connect and the hello cross a 5 ms link. */
const SLACK = 100;

/**
 * Answers the next `count` handshakes on sink.test:8080 with HTTP 404 (a proxy in front of a
 * sink being deployed), recording when each connection arrived, then hands the port back to the
 * sink.
 */
function reject404(sim: SimHal, sink: AckingSink, count: number): number[] {
  const times: number[] = [];
  sim.network.close('sink.test', 8080);
  sim.network.listen('sink.test', 8080, (peer) => {
    times.push(sim.clock.now());
    let text = '';
    peer.onData((bytes) => {
      text += Buffer.from(bytes).toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      peer.send(new TextEncoder().encode('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
      peer.end();
      if (times.length === count) {
        sim.network.close('sink.test', 8080);
        sink.server.start();
      }
    });
  });
  return times;
}

function metricsOf(sink: AckingSink, sim: SimHal): any {
  sink.replies.length = 0;
  sink.command({ type: 'command', id: 'm', command: 'report-metrics' });
  sim.clock.advance(100);
  return sink.replies.find((r) => r.type === 'metrics');
}

describe('sensor streamer after a failure the client does not retry', () => {
  it('after two HTTP 404s connects again 1–2 min, then 1–4 min later, and reports the 404 in its metrics', () => {
    const sim = createSimHal({ seed: 7, latencyMs: 5 });
    const sink = new AckingSink(sim);
    const attempts = reject404(sim, sink, 2);
    const log: string[] = [];
    const app = new SensorStreamer(config({ sampleInterval: 1000 }), platform(sim, log));
    app.start();
    sim.clock.advance(30 * 60_000);
    expect(attempts).to.have.length(2);
    expect(sink.hellos).to.have.length(1);
    const firstDelay = attempts[1] - attempts[0];
    const secondDelay = sink.helloTimes[0] - attempts[1];
    expect(firstDelay).to.be.within(60_000, 120_000 + SLACK); // attempt 0: up to twice the minimum
    expect(secondDelay).to.be.within(60_000, 240_000 + SLACK); // attempt 1: up to four times
    expect(log.filter((l) => /refused for good \(404 /.test(l))).to.have.length(2);
    // Minutes of readings overflowed the 64-reading buffer: the oldest were dropped, the rest arrive in order.
    const seqs = sink.readings.map((r) => r.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).to.equal(seqs[i - 1] + 1);
    const metrics = metricsOf(sink, sim);
    expect(metrics.fatal.code).to.equal(404);
    expect(metrics.fatal.message).to.match(/404/);
    expect(metrics.reconnects).to.equal(0); // the first connection that opened
    expect(metrics.dropped).to.equal(seqs[0] - 1);

    // The sink took readings: the schedule starts over, so a later 1008 waits the minimum again.
    sink.onHello = (connection, count) => {
      if (count === 2) connection.send(8, Uint8Array.of(0x03, 0xf0, ...Buffer.from('go away')));
    };
    sink.server.connections[sink.server.connections.length - 1].send(8, Uint8Array.of(0x03, 0xf0, ...Buffer.from('policy')));
    const closedAt = sim.clock.now();
    sim.clock.advance(10 * 60_000);
    expect(sink.helloTimes[1] - closedAt).to.be.within(60_000, 120_000 + SLACK);
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('keeps trying after HTTP 404 on a doubling, jittered schedule capped at fatalRetryMaxDelay', () => {
    const sim = createSimHal({ seed: 8, latencyMs: 5 });
    const sink = new AckingSink(sim);
    const attempts = reject404(sim, sink, 12);
    const app = new SensorStreamer(config({ fatalRetryMinDelay: 1000, fatalRetryMaxDelay: 8000 }), platform(sim));
    app.start();
    sim.clock.advance(10 * 60_000);
    expect(attempts).to.have.length(12);
    expect(sink.hellos).to.have.length(1);
    const times = attempts.concat(sink.helloTimes[0]);
    const delays = times.slice(1).map((t, i) => t - times[i]);
    delays.forEach((delay, attempt) => {
      expect(delay, `delay ${attempt}`).to.be.within(1000, Math.min(8000, 1000 * 2 ** (attempt + 1)) + SLACK);
    });
    expect(Math.max(...delays.slice(3))).to.be.above(4000 + SLACK); // the cap is reached, the draws spread out
    app.stop();
    sim.clock.runUntilIdle();
    sim.assertQuiescent();
  });

  it('after a close with 1008, connects again 1–2 min later and reports the code and reason', () => {
    const sim = createSimHal({ seed: 9, latencyMs: 5 });
    const sink = new AckingSink(sim);
    sink.onHello = (connection, count) => {
      if (count === 1) connection.send(8, Uint8Array.of(0x03, 0xf0, ...Buffer.from('not on this port')));
    };
    const app = new SensorStreamer(config({ sampleInterval: 1000 }), platform(sim));
    app.start();
    sim.clock.advance(5 * 60_000);
    expect(sink.hellos).to.have.length(2);
    expect(sink.helloTimes[1] - sink.helloTimes[0]).to.be.within(60_000, 120_000 + SLACK);
    expect(metricsOf(sink, sim).fatal).to.deep.equal({ code: 1008, message: 'not on this port' });
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('after a message too big (the client closes 1009), connects again 1–2 min later and reports it', () => {
    const sim = createSimHal({ seed: 10, latencyMs: 5 });
    const sink = new AckingSink(sim);
    // A binary frame announcing 2^40 bytes: the client refuses it at the header.
    sink.onHello = (connection, count) => {
      if (count === 1) connection.peer.send(Uint8Array.of(0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0));
    };
    const app = new SensorStreamer(config({ sampleInterval: 1000 }), platform(sim));
    app.start();
    sim.clock.advance(5 * 60_000);
    expect(sink.server.connections[0].closeCode).to.equal(1009);
    expect(sink.hellos).to.have.length(2);
    expect(sink.helloTimes[1] - sink.helloTimes[0]).to.be.within(60_000, 120_000 + SLACK);
    const fatal = metricsOf(sink, sim).fatal;
    expect(fatal.code).to.equal(1009);
    expect(fatal.message).to.match(/1099511627776 bytes exceed/);
    app.stop();
    sim.clock.runUntilIdle();
  });

  it('stop() while waiting for the slow retry leaves no timer and no connection behind', () => {
    const sim = createSimHal({ seed: 11, latencyMs: 5 });
    const sink = new AckingSink(sim);
    const attempts = reject404(sim, sink, 5);
    const app = new SensorStreamer(config({}), platform(sim));
    app.start();
    sim.clock.advance(1000);
    expect(attempts).to.have.length(1);
    app.stop();
    sim.clock.runUntilIdle();
    sim.assertQuiescent();
    sim.clock.advance(30 * 60_000);
    expect(attempts).to.have.length(1);
  });
});

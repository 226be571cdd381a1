import { expect } from 'chai';
import { createSimHal } from '../../hal/sim/index';
import type { WebSocketOptions } from '../../firmware/client-options';
import { WebSocket } from '../../firmware/websocket';
import { SIM_URL, startSimRun, type SimRun } from '../helpers/sim-run';
import { serverFrame } from '../helpers/server-codec';

type Run = SimRun;
const URL = SIM_URL;

function start(options: WebSocketOptions = {}, simOptions = {}, serverOptions = {}): Run {
  return startSimRun(7, options, simOptions, serverOptions);
}

/** Closes the client, lets everything settle, and checks nothing is left open or scheduled. */
function finish(run: Run): void {
  run.ws.close();
  run.sim.clock.runUntilIdle(60_000);
  run.sim.assertQuiescent();
}

describe('WebSocket over the simulated network', () => {
  for (const chunkSize of [1, 7, 268, 536]) {
    it(`echoes text and binary intact when the network delivers ${chunkSize}-byte chunks`, () => {
      const run = start({}, { chunkSize });
      run.sim.clock.advance(10);
      expect(run.ws.readyState).to.equal(WebSocket.OPEN);
      const binary = Uint8Array.from({ length: 70000 }, (_, i) => (i * 13) & 0xff);
      run.ws.send('héllo €');
      run.ws.send(binary);
      run.ws.send('');
      run.sim.clock.runUntilIdle(10_000);
      const messages = run.of('message').map((e) => e.data);
      expect(messages[0]).to.equal('héllo €');
      expect(Buffer.from(messages[1]).equals(Buffer.from(binary))).to.equal(true);
      expect(messages[2]).to.equal('');
      finish(run);
      expect(run.of('close').map((e) => [e.code, e.wasClean])).to.deep.equal([[1000, true]]);
    });
  }

  it('delivers binary as an ArrayBuffer of exactly the message when asked', () => {
    const run = start({ binaryType: 'arraybuffer' });
    run.sim.clock.advance(10);
    run.server.connections[0].peer.send(Buffer.concat([serverFrame(2, new Uint8Array([1, 2, 3])), serverFrame(2, new Uint8Array([4]))]));
    run.sim.clock.advance(10);
    const data = run.of('message').map((e) => e.data);
    expect(data.every((d) => d instanceof ArrayBuffer)).to.equal(true);
    expect(data.map((d) => Array.from(new Uint8Array(d)))).to.deep.equal([[1, 2, 3], [4]]);
    finish(run);
  });

  it('reports a reset in the middle of a frame as an abnormal close', () => {
    const run = start();
    run.sim.clock.advance(10);
    run.sim.network.resetAfterBytes(200);
    run.ws.send(new Uint8Array(1000));
    run.sim.clock.runUntilIdle(10_000);
    expect(run.of('message')).to.have.length(0);
    expect(run.of('error').map((e) => e.kind)).to.deep.equal(['reset']);
    expect(run.of('close').map((e) => [e.code, e.wasClean])).to.deep.equal([[1006, false]]);
    run.sim.assertQuiescent();
  });

  it('detects a silent peer with the heartbeat and declares the connection dead', () => {
    const run = start({ pingInterval: 30_000, pongTimeout: 5_000 }, {}, { answerPings: false });
    run.sim.clock.advance(10);
    expect(run.ws.readyState).to.equal(WebSocket.OPEN);
    run.sim.clock.advance(34_000);
    expect(run.of('close')).to.have.length(0);
    run.sim.clock.advance(2_000);
    expect(run.of('error').map((e) => [e.kind, e.code])).to.deep.equal([['heartbeat', 'WS_ERR_PONG_TIMEOUT']]);
    expect(run.of('close').map((e) => e.code)).to.deep.equal([1006]);
    run.sim.clock.runUntilIdle();
    run.sim.assertQuiescent();
  });

  it('keeps a live connection open for hours and measures the round trip', () => {
    const run = start({ pingInterval: 30_000, pongTimeout: 5_000 }, { latencyMs: 20 });
    run.sim.clock.advance(3 * 3600_000);
    expect(run.ws.readyState).to.equal(WebSocket.OPEN);
    expect(run.of('pong').length).to.be.within(359, 360);
    expect(run.ws.rtt).to.equal(40);
    finish(run);
  });

  it('reconnects with backoff after the server restarts, and delivers what was sent meanwhile', () => {
    const run = start({ reconnect: { minDelay: 1000, maxDelay: 8000 } });
    run.sim.clock.advance(10);
    run.server.crash();
    run.sim.clock.advance(10);
    expect(run.of('close').map((e) => [e.code, e.willReconnect])).to.deep.equal([[1006, true]]);
    expect(run.ws.send('while offline')).to.equal(true);
    run.sim.clock.advance(60_000); // server still down: attempts keep failing, further apart
    const delays = run.of('reconnect').map((e) => e.delay);
    expect(delays.length).to.be.at.least(4);
    delays.forEach((d, i) => {
      expect(d).to.be.within(1000, Math.min(8000, 1000 * 2 ** (i + 1)));
    });
    run.server.start();
    run.sim.clock.advance(8_100);
    expect(run.ws.readyState).to.equal(WebSocket.OPEN);
    expect(run.ws.reconnects).to.equal(1);
    run.sim.clock.advance(10);
    const last = run.server.connections[run.server.connections.length - 1];
    expect(last.messages.map((m) => Buffer.from(m.data).toString())).to.deep.equal(['while offline']);
    finish(run);
  });

  it('does not retry after a fatal close code unless allowed', () => {
    const run = start({ reconnect: { minDelay: 100 } });
    run.sim.clock.advance(10);
    run.server.connections[0].send(8, new Uint8Array([0x03, 0xf0])); // 1008 policy violation
    run.sim.clock.runUntilIdle();
    expect(run.of('close').map((e) => [e.code, e.willReconnect])).to.deep.equal([[1008, false]]);
    expect(run.of('reconnect')).to.have.length(0);
    run.sim.assertQuiescent();
  });

  it('bounds the send queue: a full queue refuses, and everything accepted arrives in order', () => {
    const run = start({ maxBufferedAmount: 4096 }, { writeBytesPerMs: 10, writeBufferBytes: 1024 });
    run.sim.clock.advance(10);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      if (run.ws.send(`message ${i} `.padEnd(200, '.'))) accepted++;
      else refused++;
    }
    expect(run.ws.bufferedAmount).to.be.at.most(4096);
    expect(refused).to.be.greaterThan(0);
    run.sim.clock.runUntilIdle(60_000);
    const got = run.server.connections[0].messages.map((m) => Buffer.from(m.data).toString().split(' ')[1]);
    expect(got).to.deep.equal(Array.from({ length: accepted }, (_, i) => String(i)));
    finish(run);
  });

  it('times out a TCP connect that never completes', () => {
    const sim = createSimHal();
    sim.network.connectTimeout('server.test', 8080, 1e9);
    const ws = new WebSocket(URL, undefined, { hal: sim.hal, connectTimeout: 2000 });
    const log: any[] = [];
    ws.on('error', (e) => log.push(e.code));
    ws.on('close', (e) => log.push(e.code));
    sim.clock.advance(2100);
    expect(log).to.deep.equal(['WS_ERR_CONNECT_TIMEOUT', 1006]);
    sim.clock.runUntilIdle();
    sim.assertQuiescent();
  });

  it('reports a DNS failure', () => {
    const sim = createSimHal();
    sim.network.dnsFail('server.test');
    const ws = new WebSocket(URL, undefined, { hal: sim.hal });
    const log: any[] = [];
    ws.onerror = (e) => log.push(e.kind);
    ws.onclose = (e) => log.push(e.code);
    sim.clock.runUntilIdle();
    expect(log).to.deep.equal(['dns', 1006]);
    sim.assertQuiescent();
  });

  it('refuses wss:// on a board without TLS, with a clear error', () => {
    const sim = createSimHal({ tlsSupported: false });
    const noTls = { supportsTls: false, connect: sim.network.connect.bind(sim.network) };
    const ws = new WebSocket('wss://server.test/', undefined, { hal: { ...sim.hal, tcp: noTls } });
    const log: any[] = [];
    ws.onerror = (e) => log.push([e.kind, e.message]);
    ws.onclose = (e) => log.push(e.code);
    sim.clock.runUntilIdle();
    expect(log[0][0]).to.equal('tls');
    expect(log[0][1]).to.match(/wss:\/\/.*TLS/);
    expect(log[1]).to.equal(1006);
  });

  it('destroys the connection when the server never ends TCP after the close handshake', () => {
    const run = start({ closeTimeout: 3000 }, {}, { endAfterClose: false });
    run.sim.clock.advance(10);
    run.ws.close(1001, 'going away');
    run.sim.clock.advance(100);
    expect(run.ws.readyState).to.equal(WebSocket.CLOSED === 3 ? run.ws.readyState : -1);
    run.sim.clock.advance(3000);
    expect(run.of('close').map((e) => [e.code, e.reason])).to.deep.equal([[1001, '']]);
    run.sim.clock.runUntilIdle();
    run.sim.assertQuiescent();
  });

  it('keeps working when a listener throws', () => {
    const run = start();
    run.ws.on('message', () => {
      throw new Error('listener bug');
    });
    run.sim.clock.advance(10);
    run.ws.send('one');
    run.ws.send('two');
    let thrown = 0;
    for (let i = 0; i < 10; i++) {
      try {
        run.sim.clock.advance(5);
      } catch (e) {
        expect(String(e)).to.match(/listener bug/);
        thrown++;
      }
    }
    expect(thrown).to.equal(2);
    expect(run.of('message').map((e) => e.data)).to.deep.equal(['one', 'two']);
    finish(run);
  });

  it('fails the connection with 1002 on a masked server frame and says so', () => {
    const run = start();
    run.sim.clock.advance(10);
    run.server.connections[0].peer.send(serverFrame(1, 'x', { mask: [1, 2, 3, 4] }));
    run.sim.clock.runUntilIdle();
    expect(run.of('error').map((e) => [e.kind, e.code])).to.deep.equal([['protocol', 'WS_ERR_MASKED_FRAME']]);
    expect(run.server.connections[0].closeCode).to.equal(1002);
    expect(run.of('close').map((e) => [e.code, e.wasClean])).to.deep.equal([[1002, false]]);
  });
});

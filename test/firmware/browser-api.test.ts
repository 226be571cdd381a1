/**
 * What a browser user expects of the WebSocket besides send/close: addEventListener and
 * removeEventListener (with `once`), the state constants on instances, events that carry
 * `type` and `target`, and listeners typed by their event (checked by tsc: see the
 * @ts-expect-error lines, which fail the type check if the typing loosens).
 */
import { expect } from 'chai';
import { createSimHal } from '../../hal/sim/index';
import { WebSocket, type CloseEvent, type MessageEvent } from '../../firmware/websocket';
import { SimWsServer } from '../helpers/sim-ws-server';

const URL = 'ws://server.test:8080/';

function open(): { ws: WebSocket; advance: (ms: number) => void; finish: () => void } {
  const sim = createSimHal({ seed: 2 });
  new SimWsServer(sim.network, 'server.test', 8080).start();
  const ws = new WebSocket(URL, undefined, { hal: sim.hal, pingInterval: 0 });
  return {
    ws,
    advance: (ms) => sim.clock.advance(ms),
    finish: () => {
      ws.close();
      sim.clock.runUntilIdle();
      sim.assertQuiescent();
    },
  };
}

describe('WebSocket: the browser-shaped API', () => {
  it('has the state constants on instances as on the class', () => {
    const { ws, finish } = open();
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).to.deep.equal([0, 1, 2, 3]);
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).to.deep.equal([0, 1, 2, 3]);
    expect(ws.readyState).to.equal(ws.CONNECTING);
    finish();
  });

  it('addEventListener with once calls the listener for the first event only', () => {
    const { ws, advance, finish } = open();
    const once: string[] = [];
    const every: string[] = [];
    ws.addEventListener('message', (e) => once.push(e.data as string), { once: true });
    ws.addEventListener('message', (e) => every.push(e.data as string));
    advance(10);
    ws.send('a');
    ws.send('b');
    advance(10);
    expect(once).to.deep.equal(['a']);
    expect(every).to.deep.equal(['a', 'b']);
    finish();
  });

  it('removeEventListener removes a listener, also one added with once before it fired', () => {
    const { ws, advance, finish } = open();
    const got: string[] = [];
    const plain = (e: MessageEvent): void => {
      got.push(`plain ${e.data}`);
    };
    const onceOnly = (e: MessageEvent): void => {
      got.push(`once ${e.data}`);
    };
    ws.addEventListener('message', plain);
    ws.addEventListener('message', onceOnly, { once: true });
    ws.removeEventListener('message', onceOnly);
    advance(10);
    ws.send('x');
    advance(10);
    ws.removeEventListener('message', plain);
    ws.send('y');
    advance(10);
    expect(got).to.deep.equal(['plain x']);
    finish();
  });

  it('events carry their type and the client as target', () => {
    const { ws, advance, finish } = open();
    const seen: [string, boolean][] = [];
    ws.on('open', (e) => seen.push([e.type, e.target === ws]));
    ws.onmessage = (e) => seen.push([e.type, e.target === ws]);
    ws.on('close', (e: CloseEvent) => seen.push([e.type, e.target === ws]));
    advance(10);
    ws.send('hi');
    advance(10);
    finish();
    expect(seen).to.deep.equal([
      ['open', true],
      ['message', true],
      ['close', true],
    ]);
  });

  it('types each listener by its event', () => {
    const { ws, finish } = open();
    ws.on('close', (e) => {
      const code: number = e.code;
      void code;
    });
    // @ts-expect-error a message event has no close code
    ws.on('message', (e) => e.code);
    // @ts-expect-error no such event
    expect(() => ws.addEventListener('mesage', () => {})).to.throw(/no event "mesage"/);
    finish();
  });
});

import { expect } from 'chai';
import { ReadyState } from '../../protocol/client-protocol';
import { closePayload, concat, decodeFrames, serverFrame } from '../helpers/server-codec';
import { createHarness, openHarness, switchingResponse } from '../helpers/protocol-harness';

const text = (s: string) => new TextEncoder().encode(s);
const decodeText = (b: Uint8Array) => new TextDecoder().decode(b);

describe('client-protocol', () => {
  describe('opening handshake', () => {
    it('sends the request first and opens on a valid 101', () => {
      const h = createHarness({ protocols: ['chat', 'superchat'] });
      expect(h.protocol.readyState).to.equal(ReadyState.Connecting);
      expect(h.drain().length, 'nothing more to send while connecting').to.equal(0);
      h.feed(switchingResponse(h.key, 'Sec-WebSocket-Protocol: superchat\r\n'));
      expect(h.events).to.deep.equal([['open', 'superchat']]);
      expect(h.protocol.readyState).to.equal(ReadyState.Open);
      expect(h.protocol.protocol).to.equal('superchat');
    });

    it('decodes frames that arrive in the same chunk as the 101, in any chunking', () => {
      const h0 = createHarness();
      const wire = concat([switchingResponse(h0.key), serverFrame(1, 'first'), serverFrame(2, new Uint8Array([7]))]);
      for (let split = 0; split <= wire.length; split++) {
        const h = createHarness();
        expect(h.key).to.equal(h0.key);
        h.feed(wire, split === 0 || split === wire.length ? [] : [split]);
        expect(h.events, `split ${split}`).to.deep.equal([
          ['open', ''],
          ['text', 'first'],
          ['binary', [7]],
        ]);
      }
    });

    it('splits a request larger than the output buffer into several writes', () => {
      const h = createHarness({ options: { txBufferSize: 144 }, protocols: ['a'.repeat(300)] });
      h.feed(switchingResponse(h.key, `Sec-WebSocket-Protocol: ${'a'.repeat(300)}\r\n`));
      expect(h.events).to.deep.equal([['open', 'a'.repeat(300)]]);
    });

    it('reports a rejected handshake with the HTTP status and closes without a close frame', () => {
      const h = createHarness();
      h.feed(text('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_HANDSHAKE_STATUS', 1006]]);
      expect(h.errors[0].handshake!.status).to.equal(403);
      expect(h.errors[0].handshake!.reason).to.equal('Forbidden');
      expect(h.protocol.wantsTcpClose).to.equal(true);
      expect(h.drain().length).to.equal(0);
      h.protocol.connectionClosed();
      expect(h.events[1]).to.deep.equal(['closed', 1006, h.errors[0].message, false]);
      expect(h.errors[0].message).to.match(/403/);
    });

    it('fails on a wrong Sec-WebSocket-Accept', () => {
      const h = createHarness();
      h.feed(
        text('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'),
      );
      expect(h.events).to.deep.equal([['error', 'WS_ERR_HANDSHAKE_ACCEPT', 1006]]);
    });

    it('fails when the server picks a subprotocol that was not offered', () => {
      const h = createHarness({ protocols: ['chat'] });
      h.feed(switchingResponse(h.key, 'Sec-WebSocket-Protocol: other\r\n'));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_HANDSHAKE_SUBPROTOCOL', 1006]]);
    });

    it('fails when the response headers exceed maxHeaderBytes', () => {
      const h = createHarness({ options: { maxHeaderBytes: 100 } });
      h.feed(text('HTTP/1.1 101 Switching Protocols\r\nX-Filler: ' + 'x'.repeat(200)));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_HANDSHAKE_TOO_LARGE', 1006]]);
    });

    it('reports an end of stream during the handshake', () => {
      const h = createHarness();
      h.feed(text('HTTP/1.1 101 Swi'));
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([
        ['error', 'WS_ERR_HANDSHAKE_EOF', 1006],
        ['closed', 1006, h.errors[0].message, false],
      ]);
    });

    it('abandons a connection closed before it opened', () => {
      const h = createHarness();
      h.protocol.close();
      expect(h.protocol.readyState).to.equal(ReadyState.Closed);
      expect(h.protocol.wantsTcpClose).to.equal(true);
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([['closed', 1006, 'closed before the connection was established', false]]);
    });
  });

  describe('sending', () => {
    it('queues what is sent before the connection opens and sends it once it opens', () => {
      const h = createHarness();
      expect(h.protocol.send(text('early'), true, true), 'not framed while connecting').to.equal(false);
      expect(h.protocol.bufferedAmount).to.equal(5);
      expect(h.drain().length, 'nothing but the request while connecting').to.equal(0);
      expect(h.protocol.receive(switchingResponse(h.key)), 'the driver is told to drain').to.equal(true);
      expect(decodeFrames(h.drain()).map((f) => [f.opcode, decodeText(f.payload)])).to.deep.equal([[1, 'early']]);
      expect(h.protocol.bufferedAmount).to.equal(0);
    });

    it('sends text as UTF-8 and binary unchanged, in order', () => {
      const h = openHarness();
      h.sendText('héllo €');
      h.sendBinary(new Uint8Array([0, 255]));
      expect(h.protocol.bufferedAmount).to.equal(12);
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, f.fin, f.masked])).to.deep.equal([
        [1, true, true],
        [2, true, true],
      ]);
      expect(decodeText(frames[0].payload)).to.equal('héllo €');
      expect(Array.from(frames[1].payload)).to.deep.equal([0, 255]);
      expect(h.protocol.bufferedAmount).to.equal(0);
    });

    it('fragments a message larger than the output buffer', () => {
      const h = openHarness({ options: { txBufferSize: 144 } });
      const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
      h.sendBinary(data);
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).to.deep.equal([
        [2, false, 128],
        [0, false, 128],
        [0, true, 44],
      ]);
      expect(Array.from(concat(frames.map((f) => f.payload)))).to.deep.equal(Array.from(data));
    });

    it('answers a ping ahead of queued data, between fragments', () => {
      const h = openHarness({ options: { txBufferSize: 144 } });
      h.sendBinary(new Uint8Array(300));
      expect(h.protocol.nextTransmit()).to.equal(true); // first fragment goes out
      h.feed(serverFrame(9, 'hi'));
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => f.opcode)).to.deep.equal([0xa, 0, 0]);
      expect(decodeText(frames[0].payload)).to.equal('hi');
    });

    it('frames a message at once with sendNow only when nothing waits and it fits one frame', () => {
      const h = openHarness({ options: { txBufferSize: 144 } });
      const take = (): Uint8Array => h.protocol.output.slice(h.protocol.outputStart, h.protocol.outputEnd);
      expect(h.protocol.send(text('now'), true, true)).to.equal(true);
      const now = decodeFrames(take());
      expect(now.map((f) => [f.opcode, f.fin, f.masked, decodeText(f.payload)])).to.deep.equal([[1, true, true, 'now']]);
      expect(h.protocol.bufferedAmount).to.equal(0);
      expect(h.protocol.nextTransmit()).to.equal(false); // nothing else was queued by it
      expect(h.protocol.send(new Uint8Array([7]), false, true)).to.equal(true);
      expect(Array.from(decodeFrames(take())[0].payload)).to.deep.equal([7]);

      // Queued instead when it would overtake or not fit, or the driver cannot write now.
      expect(h.protocol.send(new Uint8Array(129), false, true), 'larger than one frame').to.equal(false);
      expect(decodeFrames(h.drain()).map((f) => [f.opcode, f.fin])).to.deep.equal([
        [2, false],
        [0, true],
      ]);
      expect(h.protocol.send(text('not now'), true, false), 'the driver cannot write').to.equal(false);
      expect(h.protocol.send(text('late'), true, true), 'behind a queued message').to.equal(false);
      expect(decodeFrames(h.drain()).map((f) => decodeText(f.payload))).to.deep.equal(['not now', 'late']);
      h.feed(serverFrame(9, 'p'));
      expect(h.protocol.send(text('late'), true, true), 'behind a pong').to.equal(false);
      expect(decodeFrames(h.drain()).map((f) => f.opcode)).to.deep.equal([0xa, 1]);
      h.protocol.sendPing(null);
      expect(h.protocol.send(text('late'), true, true), 'behind a ping').to.equal(false);
      expect(decodeFrames(h.drain()).map((f) => f.opcode)).to.deep.equal([9, 1]);
      h.protocol.close(1000);
      expect(h.protocol.send(text('late'), true, true), 'after close()').to.equal(false);
      expect(
        decodeFrames(h.drain()).map((f) => f.opcode),
        'nothing after the close frame',
      ).to.deep.equal([8]);
      expect(h.protocol.bufferedAmount, 'kept for a next connection').to.equal(4);
    });

    it('assembles a split single-frame message in an array from the allocate hook, and delivers that array', () => {
      const made: Uint8Array[] = [];
      const h = openHarness({
        allocate: (n) => {
          const a = new Uint8Array(n).fill(0xee);
          made.push(a);
          return a;
        },
      });
      const delivered = h.binaries;
      const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
      h.feed(serverFrame(2, payload), [3, 100, 250]);
      expect(made.map((a) => a.length)).to.deep.equal([300]);
      expect(delivered).to.have.length(1);
      expect(delivered[0]).to.equal(made[0]); // the very array: no copy after assembling
      expect(Array.from(delivered[0])).to.deep.equal(Array.from(payload)); // every unfilled byte overwritten
      h.feed(serverFrame(2, payload)); // whole in one chunk: a view of it, nothing allocated
      expect(made).to.have.length(1);
    });

    it('says from receive() whether there is anything to write', () => {
      const h = openHarness();
      expect(h.protocol.receive(serverFrame(1, 'data'))).to.equal(false);
      expect(h.protocol.receive(serverFrame(9, 'ping'))).to.equal(true); // a pong to send
      h.drain();
      expect(h.protocol.receive(serverFrame(2, new Uint8Array([1])))).to.equal(false);
      expect(h.protocol.receive(serverFrame(1, new Uint8Array([0xff])))).to.equal(true); // invalid UTF-8: a close to send
      expect(decodeFrames(h.drain()).map((f) => f.opcode)).to.deep.equal([8]);
      const g = openHarness();
      expect(g.protocol.receive(serverFrame(8, closePayload(1000)))).to.equal(true); // the close echo
    });

    it('sends a ping and reports the pong', () => {
      const h = openHarness();
      h.protocol.sendPing(new Uint8Array([1, 2, 3]));
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, Array.from(f.payload)])).to.deep.equal([[9, [1, 2, 3]]]);
      h.feed(serverFrame(0xa, new Uint8Array([1, 2, 3])));
      expect(h.events).to.deep.equal([['pong', [1, 2, 3]]]);
      expect(() => h.protocol.sendPing(new Uint8Array(126)))
        .to.throw()
        .with.property('code', 'WS_ERR_CONTROL_TOO_LONG');
    });
  });

  describe('closing handshake (RFC 6455 §7)', () => {
    it('a client-initiated close sends its frame after queued data, then waits for the server', () => {
      const h = openHarness();
      h.sendText('last');
      h.protocol.close(1000, 'done');
      expect(h.protocol.readyState).to.equal(ReadyState.Closing);
      h.sendText('x'); // after close(): kept for a next connection, never sent on this one
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => f.opcode)).to.deep.equal([1, 8]);
      expect(h.protocol.bufferedAmount).to.equal(1);
      expect(Array.from(frames[1].payload)).to.deep.equal(Array.from(closePayload(1000, 'done')));
      expect(h.protocol.wantsTcpClose).to.equal(false);
      h.feed(serverFrame(8, closePayload(1000, 'ok')));
      expect(h.protocol.readyState).to.equal(ReadyState.Closed);
      expect(h.protocol.wantsTcpClose).to.equal(true);
      expect(h.drain().length).to.equal(0);
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([
        ['closing', 1000, 'ok'],
        ['closed', 1000, 'ok', true],
      ]);
    });

    it('a server-initiated close is echoed and ends cleanly', () => {
      const h = openHarness();
      h.feed(concat([serverFrame(8, closePayload(4001, 'bye')), serverFrame(1, 'ignored')]));
      expect(h.protocol.readyState).to.equal(ReadyState.Closing);
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, Array.from(f.payload)])).to.deep.equal([[8, [0x0f, 0xa1]]]);
      expect(h.protocol.wantsTcpClose).to.equal(true);
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([
        ['closing', 4001, 'bye'],
        ['closed', 4001, 'bye', true],
      ]);
    });

    it('answers a close without a status code with an empty close and reports 1005', () => {
      const h = openHarness();
      h.feed(serverFrame(8, new Uint8Array(0)));
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, f.payload.length])).to.deep.equal([[8, 0]]);
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([
        ['closing', 1005, ''],
        ['closed', 1005, '', true],
      ]);
    });

    it('reports 1006 when TCP drops without a close frame', () => {
      const h = openHarness();
      h.protocol.connectionClosed();
      h.protocol.connectionClosed();
      expect(h.events).to.deep.equal([
        ['error', 'WS_ERR_NO_CLOSE_FRAME', 1006],
        ['closed', 1006, 'the connection ended without a close frame', false],
      ]);
    });

    it('rejects close codes and reasons that may not be sent', () => {
      const h = openHarness();
      expect(() => h.protocol.close(1005))
        .to.throw()
        .with.property('code', 'WS_ERR_BAD_CLOSE');
      expect(() => h.protocol.close(999))
        .to.throw()
        .with.property('code', 'WS_ERR_BAD_CLOSE');
      expect(() => h.protocol.close(1000, 'x'.repeat(124))).to.throw(/123/);
      h.protocol.close(1000, 'é'.repeat(61)); // 122 bytes fits
      expect(h.protocol.readyState).to.equal(ReadyState.Closing);
    });

    it('a failure sends its close frame at once and keeps queued data for the next connection', () => {
      const h = openHarness({ options: { txBufferSize: 144 } });
      h.sendBinary(new Uint8Array(300)); // three fragments
      h.sendText('queued');
      expect(h.protocol.nextTransmit()).to.equal(true); // the first fragment goes out
      h.feed(serverFrame(1, new Uint8Array([0xff])));
      const frames = decodeFrames(h.drain());
      expect(frames.map((f) => [f.opcode, Array.from(f.payload.subarray(0, 2))])).to.deep.equal([[8, [0x03, 0xef]]]);
      expect(h.protocol.bufferedAmount).to.equal(300 - 128 + 6);
      h.protocol.connectionClosed();
      // The message cut off counts whole again, and goes whole on the next connection.
      expect(h.protocol.bufferedAmount).to.equal(306);
      h.protocol.start();
      const request = new TextDecoder().decode(h.drain());
      const key = /Sec-WebSocket-Key: (\S+)/.exec(request)![1];
      expect(key).to.not.equal(h.key);
      h.feed(switchingResponse(key));
      const resent = decodeFrames(h.drain());
      expect(resent.map((f) => [f.opcode, f.fin, f.payload.length])).to.deep.equal([
        [2, false, 128],
        [0, false, 128],
        [0, true, 44],
        [1, true, 6],
      ]);
      expect(h.protocol.bufferedAmount).to.equal(0);
    });

    it('discardQueued drops what is not framed yet and keeps a message partly framed', () => {
      const h = openHarness({ options: { txBufferSize: 144 } });
      h.sendBinary(new Uint8Array(300));
      h.sendText('a');
      h.sendText('b');
      expect(h.protocol.discardQueued()).to.equal(3);
      expect(h.protocol.bufferedAmount).to.equal(0);
      h.sendBinary(new Uint8Array(300));
      h.sendText('a');
      expect(h.protocol.nextTransmit()).to.equal(true);
      expect(h.protocol.discardQueued()).to.equal(1);
      expect(h.protocol.bufferedAmount).to.equal(300 - 128);
      expect(decodeFrames(h.drain()).map((f) => [f.opcode, f.fin])).to.deep.equal([
        [0, false],
        [0, true],
      ]);
    });
  });
});

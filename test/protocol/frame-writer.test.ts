import { expect } from 'chai';
import fc from 'fast-check';
import { randomFillSync } from 'node:crypto';
import type { ClientProtocol } from '../../protocol/client-protocol';
import { TX_PAYLOAD_OFFSET } from '../../protocol/options';
import { decodeFrame, hex } from '../helpers/server-codec';
import { countingEntropy } from '../helpers/entropy';
import { openHarness } from '../helpers/protocol-harness';

/**
 * The protocol's frame writer (its private frame()) on an open connection whose output buffer
 * is `size` bytes and whose masks come from `fill` (the handshake key is drawn elsewhere).
 */
class FrameWriter {
  readonly protocol: ClientProtocol;
  constructor(size: number, fill: (out: Uint8Array) => void) {
    let keyDrawn = false;
    this.protocol = openHarness({
      options: { txBufferSize: size, maxMessageSize: 1 << 20 },
      entropy: (out) => {
        if (keyDrawn) fill(out);
        else randomFillSync(out);
        keyDrawn = true;
      },
    }).protocol;
  }
  write(opcode: number, fin: boolean, payload: Uint8Array | null, offset: number, length: number): void {
    this.protocol['frame'](opcode, fin, payload === null ? new Uint8Array(length) : payload, offset, length);
  }
  get start(): number {
    return this.protocol.outputStart;
  }
  get end(): number {
    return this.protocol.outputEnd;
  }
  get buffer(): Uint8Array {
    return this.protocol.output;
  }
}

function frameOf(writer: FrameWriter): Uint8Array {
  return writer.buffer.slice(writer.start, writer.end);
}

describe('frame-writer', () => {
  describe('RFC 6455 §5.7 examples', () => {
    it('writes the masked "Hello" text frame byte for byte', () => {
      const writer = new FrameWriter(144, countingEntropy([0x37, 0xfa, 0x21, 0x3d]));
      writer.write(0x1, true, new TextEncoder().encode('Hello'), 0, 5);
      expect(hex(frameOf(writer))).to.equal('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    });

    it('uses the 16-bit length for 256 bytes and the 64-bit length for 65536 bytes', () => {
      const writer = new FrameWriter(TX_PAYLOAD_OFFSET + 65536, countingEntropy([0, 0, 0, 0]));
      writer.write(0x2, true, new Uint8Array(256), 0, 256);
      expect(hex(frameOf(writer).subarray(0, 8))).to.equal('82 fe 01 00 00 00 00 00');
      writer.write(0x2, true, new Uint8Array(65536), 0, 65536);
      expect(hex(frameOf(writer).subarray(0, 14))).to.equal('82 ff 00 00 00 00 00 01 00 00 00 00 00 00');
      expect(writer.end - writer.start).to.equal(14 + 65536);
    });
  });

  it('chooses the minimal length encoding at every boundary', () => {
    const writer = new FrameWriter(TX_PAYLOAD_OFFSET + 70000, countingEntropy());
    const cases: [number, number][] = [
      [0, 6],
      [125, 6],
      [126, 8],
      [65535, 8],
      [65536, 14],
      [70000, 14],
    ];
    for (const [length, header] of cases) {
      writer.write(0x2, true, new Uint8Array(length), 0, length);
      expect(writer.end - writer.start, `length ${length}`).to.equal(header + length);
      expect(decodeFrame(frameOf(writer))!.payload.length).to.equal(length);
    }
  });

  it('draws a fresh mask for every frame from the entropy source, in bulk', () => {
    let calls = 0;
    const writer = new FrameWriter(144, (out) => {
      calls++;
      randomFillSync(out);
    });
    const masks = new Set<string>();
    for (let i = 0; i < 100; i++) {
      writer.write(0x1, true, null, 0, 0);
      masks.add(hex(frameOf(writer).subarray(2, 6)));
    }
    expect(masks.size).to.equal(100);
    expect(calls).to.equal(Math.ceil(100 / 16));
  });

  it("frames a slice of a larger payload without touching the caller's bytes", () => {
    const writer = new FrameWriter(144, countingEntropy([9, 8, 7, 6]));
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    writer.write(0x0, false, data, 3, 5);
    const frame = decodeFrame(frameOf(writer))!;
    expect(frame.fin).to.equal(false);
    expect(frame.opcode).to.equal(0);
    expect(Array.from(frame.payload)).to.deep.equal([4, 5, 6, 7, 8]);
    expect(Array.from(data)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('masks any payload so that the server-side unmasking restores it', () => {
    const writer = new FrameWriter(TX_PAYLOAD_OFFSET + 3000, countingEntropy());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (payload, fin) => {
        writer.write(0x2, fin, payload, 0, payload.length);
        const frame = decodeFrame(frameOf(writer))!;
        expect(frame.masked).to.equal(true);
        expect(frame.fin).to.equal(fin);
        expect(frame.size).to.equal(writer.end - writer.start);
        expect(Buffer.from(frame.payload).equals(Buffer.from(payload))).to.equal(true);
      }),
    );
  });
});

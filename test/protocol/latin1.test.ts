import { expect } from 'chai';
import fc from 'fast-check';
import { charCodesToString, latin1Decode, latin1Encode } from '../../protocol/latin1';

describe('latin1', () => {
  it('encodes one byte per character', () => {
    expect(Array.from(latin1Encode('GET / HTTP/1.1\r\n'))).to.deep.equal(Array.from(Buffer.from('GET / HTTP/1.1\r\n', 'latin1')));
    expect(latin1Encode('')).to.have.length(0);
  });

  it('keeps only the low byte of wider characters', () => {
    expect(Array.from(latin1Encode('\u00ff\u0100\u20ac'))).to.deep.equal([0xff, 0x00, 0xac]);
  });

  it('decodes bytes[start, end) to one character per byte', () => {
    const bytes = new Uint8Array([0x41, 0x42, 0x43, 0xe9, 0x00, 0xff]);
    expect(latin1Decode(bytes, 0, 6)).to.equal('ABC\u00e9\u0000\u00ff');
    expect(latin1Decode(bytes, 1, 3)).to.equal('BC');
    expect(latin1Decode(bytes, 3, 3)).to.equal('');
  });

  it('decodes long inputs across chunk boundaries without apply overflow', () => {
    for (const n of [63, 64, 65, 255, 256, 257, 100000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 13) & 0xff);
      expect(latin1Decode(bytes, 0, n), `length ${n}`).to.equal(Buffer.from(bytes).toString('latin1'));
    }
  });

  it('never passes more than 256 arguments to String.fromCharCode', () => {
    const original = String.fromCharCode;
    let largest = 0;
    String.fromCharCode = function (...codes: number[]): string {
      largest = Math.max(largest, codes.length);
      return original.apply(String, codes);
    };
    try {
      latin1Decode(new Uint8Array(3000), 0, 3000);
      charCodesToString(new Uint16Array(3000), 0, 3000);
    } finally {
      String.fromCharCode = original;
    }
    expect(largest).to.be.greaterThan(0).and.at.most(256);
  });

  it('charCodesToString handles 16-bit units', () => {
    expect(charCodesToString(new Uint16Array([0x48, 0x20ac, 0xd83d, 0xde00]), 0, 4)).to.equal('H\u20ac\u{1F600}');
  });

  it('round-trips random bytes and random subranges', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length ? a % (bytes.length + 1) : 0;
        const end = start + (bytes.length - start ? b % (bytes.length - start + 1) : 0);
        const text = latin1Decode(bytes, start, end);
        expect(text).to.equal(Buffer.from(bytes.subarray(start, end)).toString('latin1'));
        expect(Array.from(latin1Encode(text))).to.deep.equal(Array.from(bytes.subarray(start, end)));
      }),
      { numRuns: 300 },
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { base64Encode } from '../../protocol/base64';

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

describe('base64Encode', () => {
  // RFC 4648 §10.
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [input, output] of vectors) {
    it(`encodes ${JSON.stringify(input)} as ${JSON.stringify(output)}`, () => {
      expect(base64Encode(ascii(input))).to.equal(output);
    });
  }

  it('uses + and / for 62 and 63', () => {
    expect(base64Encode(new Uint8Array([0xfb, 0xff, 0xbf]))).to.equal('+/+/');
    expect(base64Encode(new Uint8Array([0xff, 0xff, 0xff]))).to.equal('////');
    expect(base64Encode(new Uint8Array([0, 0, 0]))).to.equal('AAAA');
  });

  it('encodes a 16-byte handshake nonce to 24 characters', () => {
    const nonce = new Uint8Array(16).map((_, i) => i + 1);
    expect(base64Encode(nonce)).to.equal('AQIDBAUGBwgJCgsMDQ4PEA==');
  });

  it('encodes long inputs (more than one apply chunk)', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
    expect(base64Encode(data)).to.equal(Buffer.from(data).toString('base64'));
  });

  it('agrees with Buffer on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (data) => {
        expect(base64Encode(data)).to.equal(Buffer.from(data).toString('base64'));
      }),
      { numRuns: 500 },
    );
  });
});

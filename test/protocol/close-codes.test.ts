import { expect } from 'chai';
import fc from 'fast-check';
import * as codes from '../../protocol/close-codes';
import { isValidCloseCode } from '../../protocol/close-codes';

describe('close codes', () => {
  it('exports the RFC 6455 §7.4.1 numbers', () => {
    expect({ ...codes, isValidCloseCode: undefined }).to.deep.equal({
      CLOSE_NORMAL: 1000,
      CLOSE_GOING_AWAY: 1001,
      CLOSE_PROTOCOL_ERROR: 1002,
      CLOSE_UNSUPPORTED_DATA: 1003,
      CLOSE_NO_STATUS: 1005,
      CLOSE_ABNORMAL: 1006,
      CLOSE_INVALID_PAYLOAD: 1007,
      CLOSE_POLICY_VIOLATION: 1008,
      CLOSE_MESSAGE_TOO_BIG: 1009,
      CLOSE_MANDATORY_EXTENSION: 1010,
      CLOSE_INTERNAL_ERROR: 1011,
      isValidCloseCode: undefined,
    });
  });

  const table: Array<[number, boolean]> = [
    [0, false],
    [1, false],
    [999, false],
    [1000, true],
    [1001, true],
    [1002, true],
    [1003, true],
    [1004, false],
    [1005, false],
    [1006, false],
    [1007, true],
    [1008, true],
    [1011, true],
    [1012, true],
    [1014, true],
    [1015, false],
    [1016, false],
    [2000, false],
    [2999, false],
    [3000, true],
    [3999, true],
    [4000, true],
    [4999, true],
    [5000, false],
    [65535, false],
    [65536 + 1000, false],
    [-1000, false],
    [1000.5, false],
    [2999.5, false],
    [3000.5, false],
    [NaN, false],
    [Infinity, false],
    [-Infinity, false],
  ];
  for (const [code, valid] of table) {
    it(`${code} is ${valid ? 'valid' : 'invalid'} on the wire`, () => {
      expect(isValidCloseCode(code)).to.equal(valid);
    });
  }

  it('the local-only codes are never valid on the wire', () => {
    expect(isValidCloseCode(codes.CLOSE_NO_STATUS)).to.equal(false);
    expect(isValidCloseCode(codes.CLOSE_ABNORMAL)).to.equal(false);
  });

  it('matches the ranges for every integer 0..70000', () => {
    for (let code = 0; code <= 70000; code++) {
      const expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
      if (isValidCloseCode(code) !== expected) expect.fail(`code ${code}`);
    }
  });

  it('rejects every non-integer', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 6000, noNaN: true }).filter((x) => !Number.isInteger(x)),
        (x) => {
          expect(isValidCloseCode(x)).to.equal(false);
        },
      ),
    );
  });
});

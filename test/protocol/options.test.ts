import { expect } from 'chai';
import { resolveOptions, MIN_TX_BUFFER } from '../../protocol/options';

describe('protocol options', () => {
  it('fills every default', () => {
    expect(resolveOptions(undefined)).to.deep.equal({
      maxMessageSize: 1048576,
      maxFrameSize: 1048576,
      maxHeaderBytes: 4096,
      txBufferSize: 16384,
      rxBufferSize: 16384,
    });
  });

  it('derives maxFrameSize and caps rxBufferSize from maxMessageSize', () => {
    const limits = resolveOptions({ maxMessageSize: 1000 });
    expect([limits.maxFrameSize, limits.rxBufferSize]).to.deep.equal([1000, 1000]);
  });

  const bad: [object, RegExp][] = [
    [{ maxMessageSize: 0 }, /maxMessageSize must be a whole number from 1/],
    [{ maxMessageSize: 1.5 }, /maxMessageSize/],
    [{ maxHeaderBytes: '4096' }, /maxHeaderBytes .*got "4096"/],
    [{ txBufferSize: MIN_TX_BUFFER - 1 }, /txBufferSize must be a whole number from 144/],
    [{ rxBufferSize: NaN }, /rxBufferSize/],
    [{ maxFrameSize: 2000, maxMessageSize: 1000 }, /maxFrameSize \(2000\) must not exceed maxMessageSize \(1000\)/],
    [{ maxMesageSize: 10 }, /unknown option maxMesageSize/],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)} naming the field`, () => {
      expect(() => resolveOptions(options as never))
        .to.throw(message)
        .with.property('code', 'WS_ERR_BAD_OPTION');
    });
  }
});

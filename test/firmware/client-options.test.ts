import { expect } from 'chai';
import { backoffDelay } from '../../firmware/backoff';
import { resolveClientOptions } from '../../firmware/client-options';

describe('client options', () => {
  it('has the documented defaults', () => {
    const o = resolveClientOptions(undefined);
    expect([o.connectTimeout, o.handshakeTimeout, o.closeTimeout, o.pingInterval, o.pongTimeout, o.maxBufferedAmount, o.reconnect, o.binaryType]).to.deep.equal(
      [10000, 10000, 5000, 30000, 10000, 1048576, null, 'uint8array'],
    );
  });

  it('turns reconnect: true into the default policy', () => {
    expect(resolveClientOptions({ reconnect: true }).reconnect).to.deep.equal({ minDelay: 1000, maxDelay: 60000, maxAttempts: 0 });
  });

  it('passes protocol limits through to the protocol', () => {
    expect(resolveClientOptions({ maxMessageSize: 100, txBufferSize: 200 }).protocol).to.deep.equal({ maxMessageSize: 100, txBufferSize: 200 });
  });

  const bad: [object, RegExp][] = [
    [{ pingInterval: -1 }, /option pingInterval must be a number ≥ 0, got -1/],
    [{ connectTimeout: 'soon' }, /option connectTimeout .*"soon"/],
    [{ reconnect: { minDelay: 0 } }, /option reconnect.minDelay/],
    [{ reconnect: { minDelay: 5000, maxDelay: 1000 } }, /option reconnect.maxDelay must be at least reconnect.minDelay/],
    [{ reconnect: 'yes' }, /option reconnect must be a boolean or an object/],
    [{ binaryType: 'blob' }, /option binaryType/],
    [{ headers: 'x' }, /option headers/],
    [{ pingIntervall: 5 }, /unknown option pingIntervall/],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)} naming the field`, () => {
      expect(() => resolveClientOptions(options as never))
        .to.throw(message)
        .with.property('code', 'WS_ERR_BAD_OPTION');
    });
  }
});

describe('backoff', () => {
  const policy = { minDelay: 1000, maxDelay: 30000, maxAttempts: 0 };
  it('stays between minDelay and the doubling cap, which maxDelay bounds', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const cap = Math.min(30000, 1000 * 2 ** Math.min(attempt + 1, 31));
      expect(backoffDelay(policy, attempt, 0)).to.equal(1000);
      expect(backoffDelay(policy, attempt, 0.999999)).to.be.within(cap - 1, cap);
    }
  });
  it('spreads delays with the random draw (full jitter)', () => {
    expect(backoffDelay(policy, 3, 0.5)).to.equal(1000 + 0.5 * (16000 - 1000));
  });
});

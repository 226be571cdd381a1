import { createSimHal, type SimHalOptions } from '../../hal/sim';
import { halContract, type ContractFixture } from './contract';

/** The contract's servers, scripted on a fresh sim network. */
function simFixture(options: SimHalOptions): () => Promise<ContractFixture> {
  return async () => {
    const sim = createSimHal(options);
    const { network, clock } = sim;
    network.listen('echo.sim', 7, (peer) => {
      peer.onData((bytes) => peer.send(bytes));
      peer.onEnd(() => peer.end());
    });
    network.listen('fin.sim', 80, (peer) => peer.end());
    network.listen('reset.sim', 80, (peer) => peer.onData(() => peer.reset()));
    network.dnsFail('no-such-host.invalid');
    return {
      hal: sim.hal,
      echo: { host: 'echo.sim', port: 7 },
      finOnAccept: { host: 'fin.sim', port: 80 },
      resetOnData: { host: 'reset.sim', port: 80 },
      refused: { host: 'echo.sim', port: 8 },
      unresolvableHost: 'no-such-host.invalid',
      halfClose: true,
      settle: async (ms) => clock.advance(ms),
      dispose: async () => {
        // Let in-flight segments land, then insist nothing was left open or scheduled.
        clock.runUntilIdle(60_000);
        sim.assertQuiescent();
      },
    };
  };
}

halContract('sim', simFixture({}));
halContract('sim (7-byte chunks, 25 ms latency)', simFixture({ chunkSize: 7, latencyMs: 25 }));
halContract('sim (1460-byte chunks, 40 ms latency, 2 MB/s uplink)', simFixture({ chunkSize: 1460, latencyMs: 40, writeBytesPerMs: 2000 }));

import type { Hal, TextCodec } from '../types';
import { SimClock } from './clock';
import { SeededEntropy } from './entropy';
import type { SimFaults } from './faults';
import { SimNetwork } from './network';

export { SimClock } from './clock';
export { SeededEntropy } from './entropy';
export { DEFAULT_FAULTS, type SimFaults } from './faults';
export { DEFAULT_CONNECT_TIMEOUT_MS, SimNetwork } from './network';
export { SimPeer } from './peer';
export { SimSocket } from './socket';

/** Options of {@link createSimHal}: initial faults, plus the seed and optional platform extras. */
export interface SimHalOptions extends Partial<SimFaults> {
  /** Seed of the deterministic entropy (xorshift32). */
  seed?: number | undefined;
  /** Virtual time at start, in ms (default 0). */
  startTime?: number | undefined;
  /** Exposed as `hal.sha1`; absent by default so the protocol's own SHA-1 is exercised. */
  sha1?: ((data: Uint8Array) => Uint8Array) | undefined;
  /** Exposed as `hal.text`; absent by default so the protocol's own codec is exercised. */
  text?: TextCodec | undefined;
}

/** A simulated platform and the handles a test drives it with. */
export interface SimHal {
  hal: Hal;
  clock: SimClock;
  network: SimNetwork;
  entropy: SeededEntropy;
  /** Throws, listing them, if any connection is still open or any timer is pending. */
  assertQuiescent(): void;
}

/** Builds an in-memory, deterministic HAL on virtual time. Nothing runs until `clock.advance()`. */
export function createSimHal(options: SimHalOptions = {}): SimHal {
  const { seed, startTime, sha1, text, ...faults } = options;
  const clock = new SimClock(startTime);
  const network = new SimNetwork(clock, faults);
  const entropy = new SeededEntropy(seed);
  const hal: Hal = { tcp: network, clock, entropy };
  if (sha1) hal.sha1 = sha1;
  if (text) hal.text = text;
  return {
    hal,
    clock,
    network,
    entropy,
    assertQuiescent() {
      const open = network.openConnections();
      const timers = clock.describePending();
      if (open.length === 0 && timers.length === 0) return;
      const lines = [...open.map((s) => `  open socket: ${s}`), ...timers.map((t) => `  pending timer: ${t}`)];
      throw new Error(`sim HAL is not quiescent at ${clock.now()}ms:\n${lines.join('\n')}`);
    },
  };
}

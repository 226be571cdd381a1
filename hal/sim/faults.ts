/**
 * The network conditions a {@link SimNetwork} applies. They are read live: a change
 * affects what is sent (or, for resetAfterBytes and tlsSupported, connected) afterwards.
 */
export interface SimFaults {
  /** Split every delivery, to the client and to the peer, into pieces of at most this many bytes (Infinity: no splitting). */
  chunkSize: number;
  /** One-way delay in virtual ms, applied to connection set-up and to every delivery. */
  latencyMs: number;
  /** Client write() returns false once more than this many written bytes await delivery to the peer. */
  writeBufferBytes: number;
  /** Client-to-server link speed (Infinity: instantaneous); a small value makes a slow drain. */
  writeBytesPerMs: number;
  /** Reset each connection once this many bytes have flowed server→client (undefined: never). */
  resetAfterBytes: number | undefined;
  /** false mimics the ESP8266: connecting with tls:true fails with kind 'tls'. */
  tlsSupported: boolean;
}

/** A perfect network: no splitting, no delay, Node's 16 KiB write buffer, TLS available. */
export const DEFAULT_FAULTS: Readonly<SimFaults> = {
  chunkSize: Infinity,
  latencyMs: 0,
  writeBufferBytes: 16 * 1024,
  writeBytesPerMs: Infinity,
  resetAfterBytes: undefined,
  tlsSupported: true,
};

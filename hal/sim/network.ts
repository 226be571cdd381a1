import type { HalError, TcpConnector, TcpHandlers, TcpSocket, TcpTarget } from '../types';
import type { SimClock } from './clock';
import { DEFAULT_FAULTS, type SimFaults } from './faults';
import type { SimPeer } from './peer';
import { SimSocket } from './socket';

/** How long a `connectTimeout` target takes to report 'timeout', unless told otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * A scriptable in-memory network on a {@link SimClock}, and the {@link TcpConnector} of
 * the sim HAL. Servers are callbacks registered with {@link listen}; faults come from
 * {@link faults} (see {@link SimFaults}) and the per-address setters.
 *
 * Connecting to an address nobody listens on is refused. TLS is not simulated: with
 * tlsSupported, a tls:true connection carries plain bytes (the peer sees `target.tls`).
 */
export class SimNetwork implements TcpConnector {
  /** Live fault settings; change them directly or with {@link configure}. */
  readonly faults: SimFaults;
  private listeners = new Map<string, (peer: SimPeer) => void>();
  private dnsFailures = new Set<string>();
  private refusals = new Set<string>();
  private timeouts = new Map<string, number>();
  private sockets = new Set<SimSocket>();
  private count = 0;

  constructor(
    private readonly clock: SimClock,
    faults: Partial<SimFaults> = {},
  ) {
    this.faults = { ...DEFAULT_FAULTS };
    this.configure(faults);
  }

  get supportsTls(): boolean {
    return this.faults.tlsSupported;
  }

  /** Changes some fault settings (undefined restores the default); later traffic and connections use them. */
  configure(faults: Partial<SimFaults>): void {
    const target = this.faults as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(faults)) {
      if (key in DEFAULT_FAULTS) target[key] = value ?? DEFAULT_FAULTS[key as keyof SimFaults];
    }
  }

  /** Starts a server; `onConnection` runs (from a timer) for each accepted connection. */
  listen(host: string, port: number, onConnection: (peer: SimPeer) => void): void {
    const key = address(host, port);
    if (this.listeners.has(key)) throw new Error(`SimNetwork.listen: ${key} is already in use`);
    this.listeners.set(key, onConnection);
  }

  /** Stops a server: new connections are refused; established ones carry on. */
  close(host: string, port: number): void {
    this.listeners.delete(address(host, port));
  }

  /** Name resolution of `host` fails: onError 'dns' then onClose. */
  dnsFail(host: string): void {
    this.dnsFailures.add(host.toLowerCase());
  }

  /** Connections to host:port are refused even if something listens there. */
  refuse(host: string, port: number): void {
    this.refusals.add(address(host, port));
  }

  /**
   * Connections to host:port never complete: after `afterMs` of virtual time the socket
   * reports onError 'timeout' (code ETIMEDOUT) then onClose, like an OS connect timeout.
   */
  connectTimeout(host: string, port: number, afterMs = DEFAULT_CONNECT_TIMEOUT_MS): void {
    this.timeouts.set(address(host, port), afterMs);
  }

  /** Every connection is reset once `bytes` have flowed server→client (undefined turns it off). */
  resetAfterBytes(bytes: number | undefined): void {
    this.faults.resetAfterBytes = bytes;
  }

  connect(target: TcpTarget, handlers: TcpHandlers): TcpSocket {
    const key = address(target.host, target.port);
    const socket = new SimSocket(this.clock, target, handlers, this.faults, `${key}#${++this.count}`);
    this.sockets.add(socket);
    const latency = this.faults.latencyMs;
    if (target.tls && !this.faults.tlsSupported) {
      socket.pendConnect(0, () => socket.fail(error('tls', 'TLS_UNSUPPORTED', `TLS is not supported (connecting to ${key})`)));
    } else if (this.dnsFailures.has(target.host.toLowerCase())) {
      socket.pendConnect(latency, () => socket.fail(error('dns', 'ENOTFOUND', `cannot resolve ${target.host}`)));
    } else if (this.timeouts.has(key)) {
      socket.pendConnect(this.timeouts.get(key)!, () => socket.fail(error('timeout', 'ETIMEDOUT', `connecting to ${key} timed out`)));
    } else {
      // The listener is looked up on arrival, so a server closed meanwhile refuses.
      socket.pendConnect(latency, () => {
        const onConnection = this.refusals.has(key) ? undefined : this.listeners.get(key);
        if (onConnection) socket.accept(onConnection);
        else socket.fail(error('refused', 'ECONNREFUSED', `connection to ${key} refused`));
      });
    }
    return socket;
  }

  /** Descriptions of connections still open on either side (forgets the closed ones). */
  openConnections(): string[] {
    const open: string[] = [];
    for (const socket of this.sockets) {
      if (socket.isOpen()) open.push(socket.describe());
      else this.sockets.delete(socket);
    }
    return open;
  }
}

function address(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function error(kind: HalError['kind'], code: string, message: string): HalError {
  return { kind, code, message };
}

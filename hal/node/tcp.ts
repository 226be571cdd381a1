import net from 'node:net';
import tls from 'node:tls';
import type { TcpConnector, TcpHandlers, TcpSocket, TcpTarget, TlsOptions } from '../types';
import { toHalError } from './errors';

/** TCP over node:net and TLS over node:tls (certificates verified unless told otherwise). */
export function createNodeTcpConnector(): TcpConnector {
  return {
    supportsTls: true,
    connect: (target, handlers) => new NodeTcpSocket(target, handlers),
  };
}

/**
 * Adapts a Node socket to the HAL rules: copies written bytes, delivers plain Uint8Array
 * views, reports at most one error and exactly one close, and nothing after the close.
 * Like the default Node socket (allowHalfOpen=false) a FIN from the peer ends the
 * connection: onEnd, then onClose once our side has flushed.
 */
class NodeTcpSocket implements TcpSocket {
  private readonly socket: net.Socket | undefined;
  private connected = false;
  private ended = false;
  private peerEnded = false;
  private destroyed = false;
  private errored = false;
  private closed = false;

  constructor(
    target: TcpTarget,
    private readonly handlers: TcpHandlers,
  ) {
    try {
      this.socket = open(target);
    } catch (err) {
      // e.g. a bad port or unusable TLS options: report like a network failure, but later.
      this.errored = true;
      setImmediate(() => {
        if (!this.destroyed) handlers.onError(toHalError(err));
        this.close();
      });
      return;
    }
    const socket = this.socket;
    socket.on(target.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      socket.setNoDelay(true);
      if (this.isLive()) handlers.onConnect();
    });
    socket.on('data', (buf: Buffer) => {
      if (this.isLive()) handlers.onData(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    });
    socket.on('drain', () => {
      if (this.isLive()) handlers.onDrain();
    });
    socket.on('end', () => {
      this.peerEnded = true;
      // A FIN during the TLS handshake is a failure: Node reports it as an error right after.
      if (this.connected && this.isLive()) handlers.onEnd();
    });
    socket.on('error', (err) => {
      const first = !this.errored;
      this.errored = true;
      if (first && this.isLive()) handlers.onError(toHalError(err));
    });
    socket.on('close', () => this.close());
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed) throw new Error('TcpSocket.write: called after destroy()');
    if (this.closed || this.errored || !this.socket) throw new Error('TcpSocket.write: the socket has failed or closed');
    if (this.ended) throw new Error('TcpSocket.write: called after end()');
    if (this.peerEnded) throw new Error('TcpSocket.write: the peer has closed the connection');
    // Buffer.from copies: Node keeps a reference to what it is given until it is sent.
    return this.socket.write(Buffer.from(bytes));
  }

  end(): void {
    if (this.ended || this.destroyed || this.closed) return;
    this.ended = true;
    this.socket?.end();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.socket?.destroy(); // 'close' follows on a later tick
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose();
  }

  /** Whether handlers other than the final onClose may still run. */
  private isLive(): boolean {
    return !this.closed && !this.destroyed;
  }
}

function open(target: TcpTarget): net.Socket {
  const { host, port } = target;
  if (!target.tls) return net.connect({ host, port });
  const options = target.tlsOptions ?? {};
  return tls.connect({
    host,
    port,
    // SNI must not carry an IP literal (RFC 6066); Node then checks the certificate against the host.
    servername: options.servername ?? (net.isIP(host) === 0 ? host : undefined),
    ca: options.ca === undefined ? undefined : toPem(options.ca),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
}

/** Node wants PEM; the HAL also accepts a DER certificate, converted here. */
function toPem(ca: NonNullable<TlsOptions['ca']>): string {
  if (typeof ca === 'string') return ca;
  const text = Buffer.from(ca.buffer, ca.byteOffset, ca.length).toString('latin1');
  if (text.includes('-----BEGIN')) return text;
  const base64 = Buffer.from(ca.buffer, ca.byteOffset, ca.length).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

import type { SimNetwork, SimPeer } from '../../hal/sim/index';
import { at, capture } from './at';
import { acceptFor } from './protocol-harness';
import { closePayload, concat, decodeFrame, serverFrame } from './server-codec';

export interface SimServerOptions {
  /** Subprotocol to choose when offered. */
  protocol?: string;
  /** Answer pings (default true); false makes a half-open-looking peer. */
  answerPings?: boolean;
  /** Echo data messages back (default true). */
  echo?: boolean;
  /** End TCP after answering a close (default true). */
  endAfterClose?: boolean;
  /** Called once the handshake is answered. */
  onOpen?: (connection: SimServerConnection) => void;
  /** Called for every complete data message. */
  onMessage?: (connection: SimServerConnection, message: { text: boolean; data: Uint8Array }) => void;
}

/** What one connection of the sim server saw. */
export interface SimServerConnection {
  peer: SimPeer;
  messages: { text: boolean; data: Uint8Array }[];
  closeCode: number | null;
  send(opcode: number, payload: Uint8Array | string, fin?: boolean): void;
}

/**
 * A WebSocket server on the simulated network, written from the RFC with the test-side codec:
 * it answers the handshake, reassembles and echoes messages, answers pings and closes.
 */
export class SimWsServer {
  connections: SimServerConnection[] = [];
  private options: SimServerOptions;

  constructor(
    private network: SimNetwork,
    private host: string,
    private port: number,
    options: SimServerOptions = {},
  ) {
    this.options = options;
  }

  start(): this {
    this.network.listen(this.host, this.port, (peer) => this.accept(peer));
    return this;
  }

  /** Stops listening and resets every open connection, like a crashed server. */
  crash(): void {
    this.network.close(this.host, this.port);
    for (const c of this.connections) if (!c.peer.closed) c.peer.reset();
  }

  private accept(peer: SimPeer): void {
    let buffered: Uint8Array = new Uint8Array(0);
    let handshaken = false;
    let parts: Uint8Array[] = [];
    let opcode = 0;
    const connection: SimServerConnection = {
      peer,
      messages: [],
      closeCode: null,
      send: (op, payload, fin = true) => peer.send(serverFrame(op, payload, { fin })),
    };
    this.connections.push(connection);
    peer.onData((bytes) => {
      // Once this side has ended (a test may end it at any moment), it can only listen.
      if (peer.ended) return;
      buffered = concat([buffered, bytes]);
      if (!handshaken) {
        const text = Buffer.from(buffered).toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = capture(/sec-websocket-key: *(\S+)/i, text, 'the client handshake');
        const offered = /sec-websocket-protocol: *([^\r]+)/i.exec(text)?.[1];
        const chosen =
          this.options.protocol && offered && offered.split(/, */).includes(this.options.protocol)
            ? `Sec-WebSocket-Protocol: ${this.options.protocol}\r\n`
            : '';
        peer.send(
          new TextEncoder().encode(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${chosen}\r\n`,
          ),
        );
        handshaken = true;
        buffered = buffered.slice(end + 4);
        if (this.options.onOpen) this.options.onOpen(connection);
        if (peer.closed || peer.ended) return;
      }
      for (;;) {
        const frame = decodeFrame(buffered);
        if (frame === null) return;
        buffered = buffered.slice(frame.size);
        if (frame.opcode === 9) {
          if (this.options.answerPings !== false) peer.send(serverFrame(0xa, frame.payload));
        } else if (frame.opcode === 8) {
          connection.closeCode = frame.payload.length >= 2 ? (at(frame.payload, 0, 'close payload') << 8) | at(frame.payload, 1, 'close payload') : 1005;
          peer.send(serverFrame(8, connection.closeCode === 1005 ? new Uint8Array(0) : closePayload(connection.closeCode)));
          if (this.options.endAfterClose !== false) peer.end();
          return;
        } else if (frame.opcode !== 0xa) {
          if (frame.opcode !== 0) opcode = frame.opcode;
          parts.push(frame.payload);
          if (frame.fin) {
            const data = concat(parts);
            parts = [];
            connection.messages.push({ text: opcode === 1, data });
            if (this.options.echo !== false) peer.send(serverFrame(opcode, data));
            if (this.options.onMessage) this.options.onMessage(connection, { text: opcode === 1, data });
            if (peer.closed || peer.ended) return;
          }
        }
      }
    });
  }
}

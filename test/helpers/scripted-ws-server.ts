/**
 * A hostile WebSocket server for conformance tests: raw TCP on 127.0.0.1 that completes a
 * correct opening handshake, then sends scripted bytes in the TCP chunks the script chooses,
 * and records every byte the client sends after its request. Written on Node's `net` and
 * test/helpers/server-codec.ts only, independently of protocol/, so it can judge the client.
 *
 * The connection's request path picks the script: `/<index>` runs `scripts[index]`.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { concat, decodeFrame, serverFrame, type DecodedFrame } from './server-codec';

/**
 * One step of a script:
 * - bytes: written as one TCP chunk (Nagle off), then a pause before the next step, so that
 *   the next chunk normally reaches the client in a read of its own;
 * - `sync`: a ping, then nothing more until the client's pong has arrived. The client answers
 *   only after it has consumed every byte before the ping, so the bytes before and after a
 *   sync surely reach it in separate reads (a ping may sit between the fragments of a message,
 *   not inside a frame);
 * - `awaitClose`: nothing more until the client's close frame has arrived;
 * - `end`: half-close TCP (FIN).
 */
export type ScriptStep = Uint8Array | 'sync' | 'awaitClose' | 'end';

/** What one connection did, once its TCP connection has closed. */
export interface ScriptedConnection {
  /** The script index from the request path. */
  index: number;
  /** The request line and headers as received. */
  request: string;
  /** The client's frames after the handshake, decoded and unmasked, in order. */
  frames: DecodedFrame[];
  /** Bytes after the last whole frame (a frame cut off by the end of TCP). */
  trailing: number;
  /** Whether the client half-closed (FIN) before the socket closed. */
  clientEnded: boolean;
  /** Why the server could not run the script, or ''. */
  problem: string;
}

export interface ScriptedServer {
  readonly port: number;
  /** Connections whose TCP connection has closed, by script index (the last one for each). */
  readonly done: Map<number, ScriptedConnection>;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/** The Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
}

/**
 * Starts the server on 127.0.0.1 (ephemeral port). `pauseMs` is the pause after each scripted
 * chunk. A connection still open `giveUpMs` after it was accepted is destroyed, with a
 * `problem` saying so: a client stuck on bytes it should have refused would otherwise hold up
 * every case after it (a safety net, not a measurement: a working client is long done).
 */
export async function startScriptedServer(scripts: ScriptStep[][], pauseMs: number, giveUpMs: number): Promise<ScriptedServer> {
  const done = new Map<number, ScriptedConnection>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {}); // the client may reset or close while the script still writes
    serve(socket, scripts, pauseMs, giveUpMs, (record) => {
      sockets.delete(socket);
      done.set(record.index, record);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    done,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function serve(socket: net.Socket, scripts: ScriptStep[][], pauseMs: number, giveUpMs: number, finished: (record: ScriptedConnection) => void): void {
  const record: ScriptedConnection = { index: -1, request: '', frames: [], trailing: 0, clientEnded: false, problem: '' };
  let head = Buffer.alloc(0);
  let rest: Uint8Array = new Uint8Array(0);
  let handshook = false;
  let closed = false;
  let pongs = 0;
  /** Resolves the step waiting for the client, when its condition holds. */
  let waiting: (() => boolean) | null = null;
  let wake: () => void = () => {};
  const giveUp = setTimeout(() => {
    record.problem = `the connection was still open ${giveUpMs} ms after it was accepted: destroyed`;
    socket.destroy();
  }, giveUpMs);

  const readFrames = (bytes: Uint8Array): void => {
    rest = concat([rest, bytes]);
    for (let frame = decodeFrame(rest); frame !== null; frame = decodeFrame(rest)) {
      record.frames.push(frame);
      if (frame.opcode === 0xa) pongs++;
      rest = rest.subarray(frame.size);
    }
    if (waiting !== null && waiting()) wake();
  };

  const until = (condition: () => boolean): Promise<boolean> => {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      waiting = condition;
      wake = () => {
        waiting = null;
        resolve(!closed);
      };
    });
  };

  const run = async (script: ScriptStep[]): Promise<void> => {
    for (const step of script) {
      if (closed) return;
      if (step === 'sync') {
        const want = pongs + 1;
        socket.write(serverFrame(9, 'sync'));
        if (!(await until(() => pongs >= want))) return;
      } else if (step === 'awaitClose') {
        if (!(await until(() => record.frames.some((f) => f.opcode === 8)))) return;
      } else if (step === 'end') {
        socket.end();
      } else {
        socket.write(step);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  };

  socket.on('data', (data: Buffer) => {
    if (handshook) {
      readFrames(data);
      return;
    }
    head = Buffer.concat([head, data]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    record.request = head.subarray(0, end).toString('latin1');
    const path = /^GET \/(\d+) HTTP\/1\.1\r\n/.exec(record.request)?.[1];
    const key = /\r\nSec-WebSocket-Key: *([A-Za-z0-9+/=]+) *(\r\n|$)/i.exec(record.request)?.[1];
    record.index = path === undefined ? -1 : Number(path);
    const script = scripts[record.index];
    if (key === undefined || script === undefined) {
      record.problem = `unexpected request: ${JSON.stringify(record.request)}`;
      socket.destroy();
      return;
    }
    handshook = true;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    const after = head.subarray(end + 4);
    if (after.length > 0) readFrames(after);
    void run(script);
  });
  // The client ended TCP (after its close frame, or failing): end ours too.
  socket.on('end', () => {
    record.clientEnded = true;
    socket.end();
  });
  socket.on('close', () => {
    clearTimeout(giveUp);
    closed = true;
    record.trailing = rest.length;
    if (waiting !== null) wake();
    finished(record);
  });
}

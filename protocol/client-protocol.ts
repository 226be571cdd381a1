import { base64Encode } from './base64';
import { encodeCloseReason, parseClosePayload } from './close-frame';
import { localError, type CloseCodeOf, type FailureCode } from './errors';
import { FrameWriter } from './frame-writer';
import {
  acceptKeyFor, buildRequest, checkResponse, generateKey, ResponseReader,
  type HandshakeFailure, type HandshakeOptions, type HttpResponse,
} from './handshake';
import { latin1Encode } from './latin1';
import { Opcode, MAX_CONTROL_PAYLOAD } from './opcodes';
import { resolveOptions, TX_PAYLOAD_OFFSET, type Limits, type ProtocolOptions } from './options';
import { Receiver, type FrameSink } from './receiver';
import { sha1 } from './sha1';
import type { WsUrl } from './url';
import { utf16TextCodec, Utf8Validator, type TextCodec } from './utf8';

/** Pongs owed at most: ten, so a burst of ten pings (Autobahn case 2.10) gets ten pongs; see onControl. */
const MAX_PONGS = 10;

/** The connection's state, numbered as the browser's WebSocket.readyState. */
export const enum ReadyState { Connecting = 0, Open = 1, Closing = 2, Closed = 3 }

/** A failure of the connection, reported through onError before the connection closes. */
export interface ProtocolError {
  /** Stable identifier, e.g. WS_ERR_INVALID_UTF8 or WS_ERR_HANDSHAKE_ACCEPT. */
  code: FailureCode;
  message: string;
  /** The close code sent to the server, or 1006 when none could be (handshake failures). */
  closeCode: number;
  /** Details when the opening handshake failed (HTTP status included), otherwise null. */
  handshake: HandshakeFailure | null;
}

/** What the protocol reports. Calls happen synchronously inside receive() and connectionClosed(). */
export interface ProtocolHandler {
  onOpen(protocol: string): void;
  onText(text: string): void;
  onBinary(data: Uint8Array): void;
  /** A ping arrived; its pong is already queued. */
  onPing(data: Uint8Array): void;
  onPong(data: Uint8Array): void;
  /** The server sent a close frame (its echo is queued unless we closed first). */
  onClosing(code: number, reason: string): void;
  /** Terminal; called once, when the driver reports the TCP connection gone. */
  onClosed(code: number, reason: string, wasClean: boolean): void;
  onError(error: ProtocolError): void;
}

export interface ClientProtocolConfig {
  url: WsUrl;
  handshake: HandshakeOptions;
  options?: ProtocolOptions | undefined;
  /** Fills its argument with unpredictable bytes: the key and every mask come from here. */
  entropy: (out: Uint8Array) => void;
  sha1?: ((data: Uint8Array) => Uint8Array) | undefined;
  base64?: ((data: Uint8Array) => string) | undefined;
  text?: TextCodec | undefined;
  /**
   * A new array for a message split over chunks, which the protocol fills completely before
   * handing it out (so it need not be zeroed); default `new Uint8Array(length)`.
   */
  allocate?: ((length: number) => Uint8Array) | undefined;
  handler: ProtocolHandler;
}

/**
 * The sans-I/O RFC 6455 client: bytes in, events out; commands in, bytes out.
 *
 * The driver feeds received bytes to receive(), reports the end of the TCP connection with
 * connectionClosed(), and after every call drains nextTransmit() (writing
 * `output[outputStart, outputEnd)` each time it returns true), then closes TCP when
 * `wantsTcpClose` is set. Nothing here reads the time or does I/O.
 */
export class ClientProtocol {
  readyState = ReadyState.Connecting;
  /** The subprotocol the server chose, '' for none. */
  protocol = '';
  /** Payload bytes accepted by send* but not yet framed into the output buffer. */
  bufferedAmount = 0;
  /** Set once the driver should end the TCP connection (after the pending output is written). */
  wantsTcpClose = false;
  readonly limits: Limits;
  /** The output buffer; after nextTransmit() returns true the bytes to send are [outputStart, outputEnd). */
  readonly output: Uint8Array;
  outputStart = 0;
  outputEnd = 0;

  /** How text is converted to and from UTF-8 on this platform. */
  readonly codec: TextCodec;
  private handler: ProtocolHandler;
  private writer: FrameWriter;
  private receiver: Receiver;
  private reader: ResponseReader;
  private validator = new Utf8Validator();
  private expectedAccept: string;
  private offered: string[];
  private request: Uint8Array | null;
  private requestSent = 0;
  /** The message being framed, or null; the messages behind it wait in `queue`. */
  private head: Uint8Array | null = null;
  private headOpcode = 0;
  private headSent = 0;
  private queue: Uint8Array[] = [];
  private queueOpcodes: number[] = [];
  /** Pongs owed, oldest first: one per ping, at most MAX_PONGS (older ones are dropped beyond it). */
  private pongs: Uint8Array[] = [];
  private ping = new Uint8Array(MAX_CONTROL_PAYLOAD);
  private pingLength = -1;
  /** Close frame to send: code (or -1 for an empty body) and reason; `closeUrgent` jumps the data queue. */
  private closeCode = -1;
  private closeReason: Uint8Array | null = null;
  private closeUrgent = false;
  private closeSent = false;
  private closeReceived = false;
  private receivedCode = 1005;
  private receivedReason = '';
  private failure: ProtocolError | null = null;
  private finished = false;

  constructor(config: ClientProtocolConfig) {
    this.limits = resolveOptions(config.options);
    this.handler = config.handler;
    this.codec = config.text || utf16TextCodec;
    const base64 = config.base64 || base64Encode;
    const key = generateKey(config.entropy, base64);
    this.expectedAccept = acceptKeyFor(key, config.sha1 || sha1, base64);
    this.offered = config.handshake.protocols;
    this.request = latin1Encode(buildRequest(config.url, key, config.handshake));
    this.writer = new FrameWriter(this.limits.txBufferSize, config.entropy);
    this.output = this.writer.buffer;
    this.reader = new ResponseReader(this.limits.maxHeaderBytes);
    const self = this;
    const frames: FrameSink = {
      onControl: function (opcode, payload, length) { self.onControl(opcode, payload, length); },
      onFailure: function (closeCode, code, message) { self.fail(closeCode, code, message, null); },
    };
    // Messages go straight to the handler: one call less per message on an interpreter.
    this.receiver = new Receiver(this.limits, this.codec, config.handler, frames, config.allocate);
  }

  // ---- network → protocol ---------------------------------------------------------------

  /**
   * Feeds received bytes. Never throws for bad input: it fails the connection instead.
   * The protocol takes `bytes` over: a binary message may be delivered as a view of it, so
   * the caller must not change or reuse the array afterwards (HAL sockets hand out fresh chunks).
   * Returns false when nothing needs writing and TCP need not end (the drain may be skipped).
   */
  receive(bytes: Uint8Array): boolean {
    if (this.readyState === ReadyState.Connecting) {
      this.receiveHandshake(bytes);
      return true;
    }
    this.receiver.push(bytes, 0, bytes.length);
    // A pong or close to send, or TCP to end: the driver's cue to drain the output.
    return this.wantsTcpClose || this.framesWaiting();
  }

  private receiveHandshake(bytes: Uint8Array): void {
    const at = this.reader.push(bytes, 0, bytes.length);
    if (at === -1) return;
    if (at === -2) return this.handshakeFailed(this.reader.failure as HandshakeFailure);
    const check = checkResponse(this.reader.response as HttpResponse, this.expectedAccept, this.offered);
    if (check.failure !== null) return this.handshakeFailed(check.failure);
    this.readyState = ReadyState.Open;
    this.request = null;
    this.protocol = check.protocol;
    this.handler.onOpen(this.protocol);
    // RFC 6455 §4.1: bytes after the header block are already frames.
    if (at < bytes.length && (this.readyState as ReadyState) !== ReadyState.Closed) this.receiver.push(bytes, at, bytes.length);
  }

  /** Reports that the TCP connection is gone. Emits onClosed once; later calls do nothing. */
  connectionClosed(): void {
    if (this.finished) return;
    this.finished = true;
    const handshaking = this.readyState === ReadyState.Connecting;
    this.readyState = ReadyState.Closed;
    this.receiver.stopped = true;
    this.dropQueue();
    if (handshaking && this.failure === null) {
      this.report({ code: 'WS_ERR_HANDSHAKE_EOF', message: 'the connection closed before the handshake completed', closeCode: 1006, handshake: null });
    }
    if (!handshaking && this.failure === null && !this.closeReceived) {
      // TCP ended without the server's close frame: the connection was lost, not closed.
      this.report(this.receiver.midFrame()
        ? { code: 'WS_ERR_TRUNCATED_FRAME', message: 'the connection ended in the middle of a frame or fragmented message', closeCode: 1006, handshake: null }
        : { code: 'WS_ERR_NO_CLOSE_FRAME', message: 'the connection ended without a close frame', closeCode: 1006, handshake: null });
    }
    const failure = this.failure;
    if (failure !== null) this.handler.onClosed(failure.closeCode, failure.message, false);
    else if (this.closeSent && this.closeReceived) this.handler.onClosed(this.receivedCode, this.receivedReason, true);
    else this.handler.onClosed(1006, '', false);
  }

  // ---- application → protocol -----------------------------------------------------------

  /** Queues a text message. Throws WS_ERR_NOT_OPEN unless the connection is open. */
  sendText(text: string): void {
    this.enqueue(Opcode.Text, this.codec.encode(text));
  }

  /** Queues a binary message. The protocol keeps `data` until it is sent: do not change it meanwhile. */
  sendBinary(data: Uint8Array): void {
    this.enqueue(Opcode.Binary, data);
  }

  /** Queues text already encoded as UTF-8 (kept until sent, like sendBinary). */
  sendEncodedText(utf8: Uint8Array): void {
    this.enqueue(Opcode.Text, utf8);
  }

  /**
   * Frames a message at once when nothing is waiting to be sent and it fits in one frame:
   * returns true with the frame in output[outputStart, outputEnd), which the driver writes
   * before anything else; false, doing nothing, otherwise (queue it with send* instead).
   * The short way for the usual small message, in few statements.
   */
  sendNow(data: Uint8Array, text: boolean): boolean {
    if (this.readyState !== ReadyState.Open || data.length > this.writer.capacity || this.framesWaiting()) return false;
    const writer = this.writer;
    writer.write(text ? Opcode.Text : Opcode.Binary, true, data, 0, data.length);
    this.outputStart = writer.start;
    this.outputEnd = writer.end;
    return true;
  }

  /** Queues a ping (at most 125 bytes), sent ahead of queued data. A newer ping replaces one not yet sent. */
  sendPing(data: Uint8Array | null): void {
    this.checkOpen();
    const length = data === null ? 0 : data.length;
    if (length > MAX_CONTROL_PAYLOAD) throw localError('WS_ERR_CONTROL_TOO_LONG', `a ping carries at most ${MAX_CONTROL_PAYLOAD} bytes, got ${length}`);
    if (data !== null) this.ping.set(data);
    this.pingLength = length;
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2): the close frame follows the data already
   * queued, then the protocol waits for the server's. Before the handshake completes it
   * abandons the connection instead. Throws WS_ERR_BAD_CLOSE for a bad code or reason.
   */
  close(code?: number, reason?: string): void {
    const closeCode = code === undefined ? 1000 : code;
    const bytes = encodeCloseReason(closeCode, reason === undefined ? '' : reason, this.codec);
    if (this.readyState === ReadyState.Connecting) {
      this.failure = { code: 'WS_ERR_ABORTED', message: 'closed before the connection was established', closeCode: 1006, handshake: null };
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
      return;
    }
    if (this.readyState !== ReadyState.Open) return;
    this.readyState = ReadyState.Closing;
    this.closeCode = closeCode;
    this.closeReason = bytes;
  }

  // ---- protocol → network ---------------------------------------------------------------

  /** Puts the next bytes to send into output[outputStart, outputEnd); false when there are none. */
  nextTransmit(): boolean {
    // Idle, the usual answer after each write, in one test.
    if (this.request === null && !this.framesWaiting()) return false;
    const request = this.request;
    if (this.readyState === ReadyState.Connecting && request !== null) {
      if (this.requestSent === request.length) return false;
      const n = Math.min(request.length - this.requestSent, this.output.length);
      this.output.set(n === request.length ? request : request.subarray(this.requestSent, this.requestSent + n));
      this.requestSent += n;
      this.outputStart = 0;
      this.outputEnd = n;
      return true;
    }
    if (this.closeSent || this.finished) return false;
    const writer = this.writer;
    if (this.closeCode !== -1 && (this.closeUrgent || this.head === null)) {
      this.writeClose();
    } else if (this.pongs.length > 0) {
      const pong = this.pongs.shift() as Uint8Array;
      writer.write(Opcode.Pong, true, pong, 0, pong.length);
    } else if (this.pingLength >= 0) {
      writer.write(Opcode.Ping, true, this.ping, 0, this.pingLength);
      this.pingLength = -1;
    } else if (this.head !== null) {
      this.writeFragment();
    } else {
      return false;
    }
    this.outputStart = writer.start;
    this.outputEnd = writer.end;
    return true;
  }

  // ---- internals ------------------------------------------------------------------------

  /** Whether a data, ping, pong or close frame waits to be written. */
  private framesWaiting(): boolean {
    return this.head !== null || this.pongs.length > 0 || this.pingLength >= 0 || this.closeCode !== -1;
  }

  private checkOpen(): void {
    if (this.readyState !== ReadyState.Open) {
      throw localError('WS_ERR_NOT_OPEN', `cannot send: the connection is ${['connecting', 'open', 'closing', 'closed'][this.readyState]}`);
    }
  }

  private enqueue(opcode: number, data: Uint8Array): void {
    if (this.readyState !== ReadyState.Open) this.checkOpen();
    // The usual single message takes the head slot: no array work (costly on an interpreter).
    if (this.head === null) {
      this.head = data;
      this.headOpcode = opcode;
    } else {
      this.queue.push(data);
      this.queueOpcodes.push(opcode);
    }
    this.bufferedAmount += data.length;
  }

  private dropQueue(): void {
    this.head = null;
    this.queue = [];
    this.queueOpcodes = [];
    this.headSent = 0;
    this.bufferedAmount = 0;
  }

  /** One frame of the message at the head of the queue; larger messages become fragments. */
  private writeFragment(): void {
    const data = this.head as Uint8Array;
    const left = data.length - this.headSent;
    const n = left < this.writer.capacity ? left : this.writer.capacity;
    const fin = n === left;
    this.writer.write(this.headSent === 0 ? this.headOpcode : Opcode.Continuation, fin, data, this.headSent, n);
    this.bufferedAmount -= n;
    if (fin) {
      this.headSent = 0;
      if (this.queue.length === 0) {
        this.head = null;
      } else {
        this.head = this.queue.shift() as Uint8Array;
        this.headOpcode = this.queueOpcodes.shift() as number;
      }
    } else {
      this.headSent += n;
    }
  }

  private writeClose(): void {
    let length = 0;
    if (this.closeCode >= 0) {
      const out = this.output;
      out[TX_PAYLOAD_OFFSET] = this.closeCode >> 8;
      out[TX_PAYLOAD_OFFSET + 1] = this.closeCode & 0xff;
      const reason = this.closeReason as Uint8Array;
      out.set(reason, TX_PAYLOAD_OFFSET + 2);
      length = 2 + reason.length;
    }
    this.writer.write(Opcode.Close, true, null, 0, length);
    this.closeSent = true;
    // RFC 6455 §7.1.1: once both close frames have crossed, the TCP connection goes.
    if (this.closeReceived || this.failure !== null) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
    }
  }

  private onControl(opcode: number, payload: Uint8Array, length: number): void {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: the pong carries the ping's payload. Each ping gets its own pong, as
      // peers and test suites expect; beyond MAX_PONGS owed the oldest is dropped (the RFC
      // allows answering only the latest), so a ping flood cannot grow memory.
      const data = new Uint8Array(payload.subarray(0, length));
      if (!this.closeSent) {
        if (this.pongs.length === MAX_PONGS) this.pongs.shift();
        this.pongs.push(data);
      }
      this.handler.onPing(data);
    } else if (opcode === Opcode.Pong) {
      this.handler.onPong(new Uint8Array(payload.subarray(0, length)));
    } else {
      this.onCloseFrame(payload, length);
    }
  }

  private onCloseFrame(payload: Uint8Array, length: number): void {
    const close = parseClosePayload(payload, length, this.codec, this.validator);
    if (close.failCode === 1007) return this.fail(1007, 'WS_ERR_INVALID_UTF8', close.failMessage, null);
    if (close.failCode !== 0) return this.fail(1002, 'WS_ERR_INVALID_CLOSE', close.failMessage, null);
    // RFC 6455 §1.4: after a close frame nothing more is read.
    this.receiver.stopped = true;
    this.closeReceived = true;
    this.receivedCode = close.code;
    this.receivedReason = close.reason;
    if (this.closeSent) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
    } else {
      this.readyState = ReadyState.Closing;
      if (this.closeCode === -1) {
        // RFC 6455 §5.5.1: echo the status code; a close without one is answered without one.
        this.closeCode = close.code === 1005 ? -2 : close.code;
        this.closeReason = new Uint8Array(0);
      }
    }
    this.handler.onClosing(close.code, close.reason);
  }

  private handshakeFailed(failure: HandshakeFailure): void {
    this.receiver.stopped = true;
    this.readyState = ReadyState.Closed;
    this.wantsTcpClose = true;
    // WS_ERR_HANDSHAKE_<KIND>: every kind has its entry in ERROR_CODES (a test checks it).
    const code = ('WS_ERR_HANDSHAKE_' + failure.kind.toUpperCase().replace('-', '_')) as FailureCode;
    this.report({ code: code, message: failure.message, closeCode: 1006, handshake: failure });
  }

  /** RFC 6455 §7.1.7: fail the connection — send a close with `closeCode` at once, then drop TCP. */
  private fail<K extends FailureCode>(closeCode: CloseCodeOf<K>, code: K, message: string, handshake: HandshakeFailure | null): void {
    if (this.failure !== null || this.finished) return;
    this.receiver.stopped = true;
    if (this.readyState === ReadyState.Connecting) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
      this.report({ code: code, message: message, closeCode: 1006, handshake: handshake });
      return;
    }
    this.dropQueue();
    this.pongs = [];
    this.pingLength = -1;
    if (this.closeSent) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
    } else {
      this.readyState = ReadyState.Closing;
      this.closeCode = closeCode;
      this.closeReason = new Uint8Array(0);
      this.closeUrgent = true;
    }
    this.report({ code: code, message: message, closeCode: closeCode, handshake: handshake });
  }

  private report(error: ProtocolError): void {
    this.failure = error;
    this.handler.onError(error);
  }
}

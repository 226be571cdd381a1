import { base64Encode } from './base64';
import { isValidCloseCode } from './close-codes';
import { encodeCloseReason } from './close-frame';
import { localError, type CloseCodeOf, type FailureCode } from './errors';
import {
  acceptKeyFor,
  buildRequest,
  checkResponse,
  generateKey,
  ResponseReader,
  validateHandshakeOptions,
  type HandshakeFailure,
  type HandshakeOptions,
  type HttpResponse,
} from './handshake';
import { latin1Encode } from './latin1';
import { Opcode, MAX_CONTROL_PAYLOAD } from './opcodes';
import { resolveOptions, TX_PAYLOAD_OFFSET, type Limits, type ProtocolOptions } from './options';
import { sha1 } from './sha1';
import type { WsUrl } from './url';
import { utf16TextCodec, utf8Scan, type TextCodec } from './utf8';

/** Defined as `true` by the board build: host-only defaults are then left out of the bundle. */
declare const __ESPRUINO__: boolean | undefined;
/** Defined as `true` by the build for a board whose firmware has crypto.SHA1: no SHA-1 in JavaScript then. */
declare const __WSCLIENT_NATIVE_SHA1__: boolean | undefined;

/** Pongs owed at most: ten, so a burst of ten pings (Autobahn case 2.10) gets ten pongs; see control(). */
const MAX_PONGS = 10;

/** How many mask keys one refill of the pool provides: entropy is drawn in bulk, not per frame (16: 64 bytes held, a sixteenth of the calls). */
const MASK_POOL_KEYS = 16;

/** Index of the mask key in the output buffer's Int32Array view: the word just before the payload. */
const KEY_WORD = (TX_PAYLOAD_OFFSET >> 2) - 1;

/** The connection's state, numbered as the browser's WebSocket.readyState. */
export const enum ReadyState {
  Connecting = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

/**
 * The closing handshake beyond readyState, one bit each (RFC 6455 §7): which close frames
 * have crossed, in which order, and what is still to do.
 */
const enum Close {
  /** A close frame waits in closeBody, behind the closeAfter messages queued before it. */
  Queued = 1,
  Sent = 4,
  Received = 8,
  /** Nothing more is read: the server's close arrived, the connection failed or ended. */
  Deaf = 16,
  /** The TCP connection is gone and onClosed was called. */
  Finished = 32,
}

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
  /** Terminal for a connection; called once, when the driver reports the TCP connection gone. */
  onClosed(code: number, reason: string, wasClean: boolean): void;
  onError(error: ProtocolError): void;
}

export interface ClientProtocolConfig {
  url: WsUrl;
  handshake: HandshakeOptions;
  options?: ProtocolOptions | undefined;
  /** Fills its argument with unpredictable bytes: every key and mask come from here. */
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
 * The sans-I/O RFC 6455 client: bytes in, events out; commands in, bytes out. One object
 * serves every connection of a client: start() begins each one, and the messages queued by
 * send() stay queued across them until their last byte is framed.
 *
 * The driver calls start(), feeds received bytes to receive(), reports the end of the TCP
 * connection with connectionClosed(), and after every call drains nextTransmit() (writing
 * `output[outputStart, outputEnd)` each time it returns true), then closes TCP when
 * `wantsTcpClose` is set. Nothing here reads the time or does I/O.
 *
 * Shaped for an interpreter that pays for every call, property and statement (Espruino): one
 * object, a numeric-state decoder with a fast path for whole short frames, frames written and
 * masked in place in one preallocated buffer, no object per message.
 */
export class ClientProtocol {
  readyState = ReadyState.Closed;
  /** The subprotocol the server chose, '' for none. */
  protocol = '';
  /** Payload bytes of the messages queued by send() that are not framed yet. */
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

  private config: ClientProtocolConfig;
  private handler: ProtocolHandler;
  /** Largest payload one frame can carry. */
  private capacity: number;
  /** The output buffer as words, for masking four bytes at a time. */
  private words: Int32Array;
  private keys: Int32Array;
  private keysUsed = MASK_POOL_KEYS;
  private reader: ResponseReader | null = null;
  private expectedAccept = '';
  private request: Uint8Array | null = null;
  private requestSent = 0;
  /** Messages to send, oldest first, as pairs: bytes, then true for text. */
  private queue: (Uint8Array | boolean)[] = [];
  /** Bytes of queue[0] already framed. */
  private headSent = 0;
  /** Pongs owed, oldest first: one per ping, at most MAX_PONGS. */
  private pongs: Uint8Array[] = [];
  /** The ping to send, or null. A newer ping replaces one not yet sent. */
  private ping: Uint8Array | null = null;
  /** Bits of {@link Close}. */
  private closing = 0;
  /** The close frame's payload to send (code and reason). */
  private closeBody: Uint8Array | null = null;
  /** Queue entries (two per message) that go out before the close frame. */
  private closeAfter = 0;
  /** The server's close code and reason, once received. */
  private closeCode = 1005;
  private closeReason = '';
  private failure: ProtocolError | null = null;

  // ---- the decoder's state -------------------------------------------------------------
  private header: Uint8Array;
  /** Bytes of the frame header read so far; 0 at a frame boundary. */
  private headerLength = 0;
  /** Payload bytes of the current frame still to read, or -1 while reading a header. */
  private remaining = -1;
  private control: Uint8Array;
  private controlLength = 0;
  /** Opcode of the data message in progress, or -1 when none is. */
  private messageOpcode = -1;
  private messageLength = 0;
  /** Where fragmented messages are assembled; grows up to maxMessageSize. */
  private buffer: Uint8Array;
  /** The array a single-frame message split over chunks is assembled in, or null. */
  private target: Uint8Array | null = null;
  /** utf8Scan's state for the text message in progress. */
  private utf8 = 0;
  /** Largest payload the short-frame path may deliver: 125, or less when the limits say so. */
  private shortLimit: number;

  /**
   * Checks the configuration (throws WS_ERR_BAD_OPTION, WS_ERR_BAD_HEADER or
   * WS_ERR_BAD_PROTOCOL naming what is wrong) and allocates the buffers; no connection yet.
   */
  constructor(config: ClientProtocolConfig) {
    const limits = resolveOptions(config.options);
    validateHandshakeOptions(config.handshake);
    this.limits = limits;
    this.config = config;
    this.handler = config.handler;
    let codec = config.text;
    if (typeof __ESPRUINO__ === 'undefined' && codec === undefined) codec = utf16TextCodec;
    this.codec = codec as TextCodec;
    this.output = new Uint8Array(limits.txBufferSize);
    this.capacity = limits.txBufferSize - TX_PAYLOAD_OFFSET;
    this.words = new Int32Array(this.output.buffer, 0, limits.txBufferSize >> 2);
    this.keys = new Int32Array(MASK_POOL_KEYS);
    this.header = new Uint8Array(10);
    this.control = new Uint8Array(0);
    // Made when the first fragmented or split text message arrives (see below): a client that
    // only gets short messages never holds it.
    this.buffer = new Uint8Array(0);
    this.shortLimit = Math.min(125, limits.maxFrameSize, limits.maxMessageSize);
  }

  /**
   * Begins a connection: draws a fresh key and queues the opening handshake request. Messages
   * still queued wait for the connection to open, a message cut off by the previous connection
   * from its first byte. Throws, changing nothing, when the entropy source fails.
   */
  start(): void {
    const config = this.config;
    const base64 = config.base64 || base64Encode;
    const key = generateKey(config.entropy, base64);
    this.request = latin1Encode(buildRequest(config.url, key, config.handshake));
    let hash = config.sha1;
    if (typeof __WSCLIENT_NATIVE_SHA1__ === 'undefined' || !__WSCLIENT_NATIVE_SHA1__) {
      if (hash === undefined) hash = sha1;
    }
    if (hash === undefined) throw new Error('no SHA-1: this build of the module expects the firmware to have crypto.SHA1');
    this.expectedAccept = acceptKeyFor(key, hash, base64);
    this.reader = new ResponseReader(this.limits.maxHeaderBytes);
    this.requestSent = 0;
    this.readyState = ReadyState.Connecting;
    this.protocol = '';
    this.wantsTcpClose = false;
    this.pongs = [];
    this.ping = null;
    this.closing = 0;
    this.closeBody = null;
    this.closeAfter = 0;
    this.closeCode = 1005;
    this.closeReason = '';
    this.failure = null;
    this.headerLength = 0;
    this.remaining = -1;
    this.messageOpcode = -1;
    this.messageLength = 0;
    this.target = null;
    this.bufferedAmount += this.headSent;
    this.headSent = 0;
  }

  // ---- network → protocol ---------------------------------------------------------------

  /**
   * Feeds received bytes. Never throws for bad input: it fails the connection instead.
   * The protocol takes `bytes` over: a binary message may be delivered as a view of it, so
   * the caller must not change or reuse the array afterwards (HAL sockets hand out fresh chunks).
   * Returns false when nothing needs writing and TCP need not end (the drain may be skipped).
   *
   * Frames are decoded in any chunking, down to one byte at a time. Every check that can be
   * made on a header is made before any payload byte is stored, sizes included; text is
   * validated as it arrives, so invalid UTF-8 fails as early as it is provable. A single-frame
   * message that lies whole inside the chunk is delivered straight from it; one split over
   * chunks is copied once, into an array of its own that becomes the message; fragmented
   * messages are assembled in the receive buffer.
   */
  receive(bytes: Uint8Array): boolean {
    let at = 0;
    const end = bytes.length;
    if (this.readyState === ReadyState.Connecting) {
      at = this.handshake(bytes);
      if (at < 0) return true;
    }
    // The common case in few statements: whole short text or binary frames, unfragmented, at
    // a frame boundary. First byte 0x81/0x82 is FIN, no RSV bits, text/binary; a second byte
    // up to shortLimit is unmasked with a 7-bit length. Everything else takes the loop below.
    while (this.headerLength === 0 && this.messageOpcode < 0 && end - at >= 2 && this.closing < Close.Deaf) {
      const first = bytes[at];
      const length = bytes[at + 1];
      if ((first !== 0x81 && first !== 0x82) || length > this.shortLimit || end - at < length + 2) break;
      at += length + 2;
      this.deliver(first & 0x0f, bytes, at - length, at, true, false);
    }
    // Anything else (a longer, fragmented or control frame, a frame split over chunks) takes
    // the general decoder: a method of its own, so that this path never steps over its code
    // (Espruino reads code it skips).
    if (at < end && this.closing < Close.Deaf) this.frames(bytes, at, end);
    // A pong or close to send, messages waiting (for the connection just opened), or TCP to
    // end: the driver's cue to drain the output.
    return this.wantsTcpClose || this.pongs.length > 0 || (this.closing & Close.Queued) !== 0 || this.queue.length > 0;
  }

  /** Reads the response head; returns where frames begin in `bytes`, or -1 when there is nothing more to read. */
  private handshake(bytes: Uint8Array): number {
    const reader = this.reader as ResponseReader;
    const at = reader.push(bytes, 0, bytes.length);
    if (at === -1) return -1;
    const check = at === -2 ? null : checkResponse(reader.response as HttpResponse, this.expectedAccept, this.config.handshake.protocols);
    const failure = check === null ? reader.failure : check.failure;
    this.reader = null;
    if (failure !== null) {
      this.closing = Close.Deaf;
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
      // WS_ERR_HANDSHAKE_<KIND>: every kind has its entry in ERROR_CODES (a test checks it).
      this.failure = {
        code: ('WS_ERR_HANDSHAKE_' + failure.kind.toUpperCase().replace('-', '_')) as FailureCode,
        message: failure.message,
        closeCode: 1006,
        handshake: failure,
      };
      this.handler.onError(this.failure);
      return -1;
    }
    this.readyState = ReadyState.Open;
    this.request = null;
    this.protocol = (check as { protocol: string }).protocol;
    this.handler.onOpen(this.protocol);
    // RFC 6455 §4.1: bytes after the header block are already frames.
    return at;
  }

  /**
   * The general decoder: frames in any chunking, down to one byte at a time. Payload first
   * (the usual work for a chunk of a long message), the header and the end of a frame in
   * methods of their own.
   */
  private frames(bytes: Uint8Array, at: number, end: number): void {
    const header = this.header;
    // `closing < Close.Deaf`: neither Deaf nor Finished is set, so bytes are still read.
    while (at < end && this.closing < Close.Deaf) {
      let remaining = this.remaining;
      if (remaining > 0) {
        let take = end - at;
        if (take > remaining) take = remaining;
        if (take > 0) {
          if ((header[0] & 0x0f) >= 8) {
            this.control.set(bytes.subarray(at, at + take), this.controlLength);
            this.controlLength += take;
          } else {
            const stored = this.messageLength;
            if (this.messageOpcode === Opcode.Text) {
              // The next piece of a streamed text message, failing in the same piece as the
              // JavaScript validator alone would. With a native check (the codec's validate):
              // a character the previous piece left open is finished here (at most 3 bytes),
              // the codec checks the middle, which ends before the piece's last character, and
              // utf8Scan takes that last character, which may go on in the next piece.
              const validate = this.codec.validate;
              const to = at + take;
              let state = this.utf8;
              if (validate === undefined) {
                state = utf8Scan(state, bytes, at, to);
              } else {
                let middle = at + (state & 3);
                if (middle > to) middle = to;
                if (middle > at) state = utf8Scan(state, bytes, at, middle);
                if (state === 0) {
                  let cut = to - 1;
                  while (cut >= middle && cut >= to - 3 && (bytes[cut] & 0xc0) === 0x80) cut--;
                  // Otherwise the piece ends on ASCII, on a complete 4-byte character, or is invalid anyway.
                  if (cut < middle || cut < to - 3 || bytes[cut] < 0xc0) cut = to;
                  const valid = cut > middle ? validate(bytes, middle, cut) : true;
                  state = valid === false ? -1 : valid === undefined ? utf8Scan(0, bytes, middle, to) : cut === to ? 0 : utf8Scan(0, bytes, cut, to);
                }
              }
              this.utf8 = state;
              if (state < 0) {
                this.fail(1007, 'WS_ERR_INVALID_UTF8', 'a text message is not valid UTF-8');
                return;
              }
            }
            let target = this.target;
            if (target === null) {
              if (stored + take > this.buffer.length) {
                // Doubling keeps growth to a few steps per connection; never past maxMessageSize.
                let size = this.buffer.length * 2;
                if (size < this.limits.rxBufferSize) size = this.limits.rxBufferSize;
                while (size < stored + take) size *= 2;
                if (size > this.limits.maxMessageSize) size = this.limits.maxMessageSize;
                const bigger = new Uint8Array(size);
                bigger.set(this.buffer.subarray(0, stored));
                this.buffer = bigger;
              }
              target = this.buffer;
            }
            target.set(at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take), stored);
            this.messageLength = stored + take;
          }
          at += take;
          remaining -= take;
        }
        this.remaining = remaining;
      } else if (remaining < 0) {
        at = this.frameHeader(bytes, at, end);
        if (at < 0) return;
        remaining = this.remaining;
      }
      if (remaining === 0) this.frameEnd();
    }
  }

  /**
   * Reads a frame header from `bytes[at, end)` and checks it (RFC 6455 §5.2), sizes included,
   * before any payload byte is stored. Returns where reading goes on, or -1 when the connection
   * failed. Sets `remaining` to the payload length once the header is complete (-1 while it is
   * not, and after a whole single-frame message was delivered straight from the chunk).
   */
  private frameHeader(bytes: Uint8Array, at: number, end: number): number {
    const header = this.header;
    for (;;) {
      // The header: 2 bytes, then 2 or 8 more for a 16- or 64-bit length.
      const need = this.headerLength < 2 ? 2 : header[1] === 126 ? 4 : 10;
      while (at < end && this.headerLength < need) header[this.headerLength++] = bytes[at++];
      if (this.headerLength < need) return at;
      const first = header[0];
      const opcode = first & 0x0f;
      let length = header[1] & 0x7f;
      if (need === 2) {
        // RFC 6455 §5.2: RSV1-3 must be 0 unless an extension defines them; we negotiate none.
        if ((first & 0x70) !== 0) return this.fail(1002, 'WS_ERR_RESERVED_BITS', 'reserved bits set in a frame header');
        // RFC 6455 §5.1: a client must close the connection if it receives a masked frame.
        if (header[1] > 0x7f) return this.fail(1002, 'WS_ERR_MASKED_FRAME', 'the server sent a masked frame');
        if (opcode >= 8) {
          if (opcode > Opcode.Pong) return this.fail(1002, 'WS_ERR_UNKNOWN_OPCODE', 'unknown opcode ' + opcode);
          // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
          if (first < 0x80) return this.fail(1002, 'WS_ERR_FRAGMENTED_CONTROL', 'a control frame was fragmented');
          if (length > MAX_CONTROL_PAYLOAD) return this.fail(1002, 'WS_ERR_CONTROL_TOO_LONG', 'a control frame is longer than 125 bytes');
        } else if (opcode > Opcode.Binary) {
          return this.fail(1002, 'WS_ERR_UNKNOWN_OPCODE', 'unknown opcode ' + opcode);
        } else if (opcode === Opcode.Continuation) {
          // RFC 6455 §5.4: a continuation needs a fragmented message in progress…
          if (this.messageOpcode < 0) return this.fail(1002, 'WS_ERR_UNEXPECTED_CONTINUATION', 'a continuation frame arrived with no message in progress');
        } else if (this.messageOpcode >= 0) {
          // …and a new data message may not start before the previous one is finished.
          return this.fail(1002, 'WS_ERR_EXPECTED_CONTINUATION', 'a new message started inside a fragmented message');
        }
        if (length >= 126) {
          if (at === end) return at;
          continue;
        }
      } else if (need === 4) {
        length = (header[2] << 8) | header[3];
        // RFC 6455 §5.2: the minimal number of bytes must be used to encode the length.
        if (length < 126) return this.fail(1002, 'WS_ERR_NON_MINIMAL_LENGTH', 'a frame length was not minimally encoded');
      } else {
        // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
        if (header[2] > 0x7f) return this.fail(1002, 'WS_ERR_LENGTH_TOP_BIT', 'a 64-bit frame length has its top bit set');
        length =
          (((header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]) >>> 0) * 4294967296 +
          (((header[6] << 24) | (header[7] << 16) | (header[8] << 8) | header[9]) >>> 0);
        if (length < 65536) return this.fail(1002, 'WS_ERR_NON_MINIMAL_LENGTH', 'a frame length was not minimally encoded');
      }
      if (opcode < 8) {
        // Sizes are checked on the header, before a single payload byte is stored.
        const limits = this.limits;
        if (length > limits.maxFrameSize) {
          return this.fail(1009, 'WS_ERR_FRAME_TOO_BIG', 'a frame of ' + length + ' bytes exceeds maxFrameSize ' + limits.maxFrameSize);
        }
        const total = (opcode === Opcode.Continuation ? this.messageLength : 0) + length;
        if (total > limits.maxMessageSize) {
          return this.fail(1009, 'WS_ERR_MESSAGE_TOO_BIG', 'a message of ' + total + ' or more bytes exceeds maxMessageSize ' + limits.maxMessageSize);
        }
        if (opcode !== Opcode.Continuation) {
          this.messageOpcode = opcode;
          this.messageLength = 0;
          this.utf8 = 0;
          if (first > 0x7f && length > 0) {
            if (end - at >= length) {
              // A whole single-frame message in this chunk: delivered from it, not copied.
              this.headerLength = 0;
              this.messageOpcode = -1;
              at += length;
              this.deliver(opcode, bytes, at - length, at, true, false);
              return at;
            }
            // Its size is known and was checked: copy it once, into what is delivered.
            const allocate = this.config.allocate;
            this.target = allocate === undefined ? new Uint8Array(length) : allocate(length);
          }
        }
      }
      this.controlLength = 0;
      // A control frame's payload gets an array of its own, exactly its length: it is what the
      // ping and pong events deliver, and nothing holds it between frames.
      if (opcode >= 8) this.control = new Uint8Array(length);
      this.remaining = length;
      return at;
    }
  }

  /** A frame is complete: a data message delivered when it was the last fragment, or a control frame acted on. */
  private frameEnd(): void {
    this.remaining = -1;
    this.headerLength = 0;
    const first = this.header[0];
    const opcode = first & 0x0f;
    if (opcode < 8) {
      if (first < 0x80) return;
      const target = this.target;
      const messageOpcode = this.messageOpcode;
      const length = this.messageLength;
      this.target = null;
      this.messageOpcode = -1;
      this.messageLength = 0;
      if (target === null) this.deliver(messageOpcode, this.buffer, 0, length, false, true);
      else this.deliver(messageOpcode, target, 0, length, true, true);
      return;
    }
    // A control frame, its payload in control[0, controlLength).
    const length = this.controlLength;
    const payload = this.control;
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: the pong carries the ping's payload. Each ping gets its own pong, as
      // peers and test suites expect; beyond MAX_PONGS owed the oldest is dropped (the RFC
      // allows answering only the latest), so a ping flood cannot grow memory.
      if ((this.closing & Close.Sent) === 0) {
        if (this.pongs.length === MAX_PONGS) this.pongs.shift();
        this.pongs.push(payload);
      }
      this.handler.onPing(payload);
      return;
    }
    if (opcode === Opcode.Pong) {
      this.handler.onPong(payload);
      return;
    }
    // RFC 6455 §5.5.1 and §7.4: a close payload is empty, or a valid code and a UTF-8 reason.
    let code = 1005;
    if (length > 0) {
      code = length === 1 ? 0 : (payload[0] << 8) | payload[1];
      if (!isValidCloseCode(code)) {
        this.fail(1002, 'WS_ERR_INVALID_CLOSE', length === 1 ? 'a close frame carried a 1-byte payload' : 'a close frame carried the invalid code ' + code);
        return;
      }
      if (utf8Scan(0, payload, 2, length) !== 0) {
        this.fail(1007, 'WS_ERR_INVALID_UTF8', 'a close reason is not valid UTF-8');
        return;
      }
    }
    const reason = length > 2 ? this.codec.decode(payload, 2, length) : '';
    // RFC 6455 §1.4: after a close frame nothing more is read.
    this.closing |= Close.Received | Close.Deaf;
    this.closeCode = code;
    this.closeReason = reason;
    if ((this.closing & Close.Sent) !== 0) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
    } else {
      this.readyState = ReadyState.Closing;
      if ((this.closing & Close.Queued) === 0) {
        // RFC 6455 §5.5.1: echo the status code; a close without one is answered without one.
        // It goes out at once, after the fragments left of a message already begun.
        this.queueClose(code === 1005 ? -1 : code, new Uint8Array(0), this.headSent > 0 ? 2 : 0);
      }
    }
    this.handler.onClosing(code, reason);
  }

  /**
   * Hands a complete message `bytes[from, to)` to the handler; the frame and message state is
   * already reset. `owned`: `bytes` is given up (a received chunk, or the message's own
   * array), so the message may share it; otherwise it is the reused receive buffer.
   * `scanned`: text that was validated piece by piece as it arrived.
   */
  private deliver(opcode: number, bytes: Uint8Array, from: number, to: number, owned: boolean, scanned: boolean): void {
    if (opcode === Opcode.Text) {
      const codec = this.codec;
      // Scanned text only lacks the check that its last character is complete.
      let valid = scanned ? this.utf8 === 0 : codec.validate === undefined ? undefined : codec.validate(bytes, from, to);
      if (valid === undefined) valid = utf8Scan(0, bytes, from, to) === 0;
      if (!valid) {
        this.fail(1007, 'WS_ERR_INVALID_UTF8', 'a text message is not valid UTF-8');
        return;
      }
      this.handler.onText(codec.decode(bytes, from, to, owned));
    } else if (owned) {
      // A view needs no copy: nothing else writes to these bytes.
      this.handler.onBinary(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to));
    } else {
      // The receive buffer is reused for the next message: hand out a copy. (Not slice():
      // Espruino's copies element by element, ~3 times slower than set() at 100 bytes.)
      const data = new Uint8Array(to - from);
      data.set(bytes.subarray(from, to));
      this.handler.onBinary(data);
    }
  }

  /** Reports that the TCP connection is gone. Emits onClosed once; later calls do nothing. */
  connectionClosed(): void {
    const closing = this.closing;
    if ((closing & Close.Finished) !== 0) return;
    this.closing = closing | Close.Finished | Close.Deaf;
    const handshaking = this.readyState === ReadyState.Connecting;
    this.readyState = ReadyState.Closed;
    this.pongs = [];
    this.ping = null;
    // A message cut off is sent again, whole, on the next connection.
    this.bufferedAmount += this.headSent;
    this.headSent = 0;
    if (this.failure === null) {
      if (handshaking) {
        this.failure = { code: 'WS_ERR_HANDSHAKE_EOF', message: 'the connection closed before the handshake completed', closeCode: 1006, handshake: null };
      } else if ((closing & Close.Received) === 0) {
        // TCP ended without the server's close frame: the connection was lost, not closed.
        this.failure =
          this.headerLength > 0 || this.remaining >= 0 || this.messageOpcode >= 0
            ? {
                code: 'WS_ERR_TRUNCATED_FRAME',
                message: 'the connection ended in the middle of a frame or fragmented message',
                closeCode: 1006,
                handshake: null,
              }
            : { code: 'WS_ERR_NO_CLOSE_FRAME', message: 'the connection ended without a close frame', closeCode: 1006, handshake: null };
      }
      if (this.failure !== null) this.handler.onError(this.failure);
    }
    const failure = this.failure;
    if (failure !== null) this.handler.onClosed(failure.closeCode, failure.message, false);
    else if ((closing & Close.Sent) !== 0) this.handler.onClosed(this.closeCode, this.closeReason, true);
    else this.handler.onClosed(1006, '', false);
  }

  // ---- application → protocol -----------------------------------------------------------

  /**
   * Sends a message: `data` is UTF-8 text when `text`, else binary. Frames it at once, into
   * output[outputStart, outputEnd), when `now` (the driver can write at once), the connection
   * is open, nothing waits ahead of it and it fits in one frame: returns true, and the driver
   * writes that before anything else.
   * Otherwise queues it (binary copied, since the caller may change its array meanwhile;
   * text bytes are kept as given) and returns false. Queued messages wait across
   * connections: they are framed once a connection opens.
   */
  send(data: Uint8Array, text: boolean, now: boolean): boolean {
    if (
      now &&
      this.readyState === ReadyState.Open &&
      this.queue.length === 0 &&
      this.closing === 0 &&
      data.length <= this.capacity &&
      this.pongs.length === 0 &&
      this.ping === null
    ) {
      this.frame(text ? Opcode.Text : Opcode.Binary, true, data, 0, data.length);
      return true;
    }
    this.queue.push(text ? data : new Uint8Array(data), text);
    this.bufferedAmount += data.length;
    return false;
  }

  /**
   * Drops the queued messages not framed at all yet (a message partly framed on the open
   * connection stays: it cannot be taken back half-sent) and returns how many there were.
   */
  discardQueued(): number {
    const kept = this.headSent > 0 ? 2 : 0;
    const count = (this.queue.length - kept) / 2;
    this.queue = this.queue.slice(0, kept);
    this.bufferedAmount = kept > 0 ? (this.queue[0] as Uint8Array).length - this.headSent : 0;
    return count;
  }

  /** Queues a ping (at most 125 bytes), sent ahead of queued data. Throws WS_ERR_NOT_OPEN unless open. */
  sendPing(data: Uint8Array | null): void {
    if (this.readyState !== ReadyState.Open) {
      throw localError('WS_ERR_NOT_OPEN', 'cannot send: the connection is ' + ['connecting', 'open', 'closing', 'closed'][this.readyState]);
    }
    const length = data === null ? 0 : data.length;
    if (length > MAX_CONTROL_PAYLOAD) throw localError('WS_ERR_CONTROL_TOO_LONG', 'a ping carries at most ' + MAX_CONTROL_PAYLOAD + ' bytes, got ' + length);
    this.ping = data === null ? new Uint8Array(0) : new Uint8Array(data);
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
      this.closing |= Close.Deaf;
      this.wantsTcpClose = true;
      return;
    }
    if (this.readyState !== ReadyState.Open) return;
    this.readyState = ReadyState.Closing;
    // Behind every message queued before it: they were sent before close() was called.
    this.queueClose(closeCode, bytes, this.queue.length);
  }

  /** Queues the close frame with `code` (-1: none) and `reason`, behind `after` queue entries. */
  private queueClose(code: number, reason: Uint8Array, after: number): void {
    const body = new Uint8Array(code < 0 ? 0 : 2 + reason.length);
    if (code >= 0) {
      body[0] = code >> 8;
      body[1] = code & 0xff;
      body.set(reason, 2);
    }
    this.closeBody = body;
    this.closeAfter = after;
    this.closing |= Close.Queued;
  }

  // ---- protocol → network ---------------------------------------------------------------

  /** Puts the next bytes to send into output[outputStart, outputEnd); false when there are none. */
  nextTransmit(): boolean {
    const request = this.request;
    if (request !== null) {
      // Connecting: the request, in pieces when it is larger than the output buffer.
      if (this.readyState !== ReadyState.Connecting || this.requestSent === request.length) return false;
      const n = Math.min(request.length - this.requestSent, this.output.length);
      this.output.set(request.subarray(this.requestSent, this.requestSent + n));
      this.requestSent += n;
      this.outputStart = 0;
      this.outputEnd = n;
      return true;
    }
    const closing = this.closing;
    if ((closing & (Close.Sent | Close.Finished)) !== 0 || this.readyState === ReadyState.Closed) return false;
    const queue = this.queue;
    if ((closing & Close.Queued) !== 0 && this.closeAfter === 0) {
      const body = this.closeBody as Uint8Array;
      this.frame(Opcode.Close, true, body, 0, body.length);
      this.closing = (closing & ~Close.Queued) | Close.Sent;
      this.closeBody = null;
      // RFC 6455 §7.1.1: once both close frames have crossed, the TCP connection goes.
      if ((closing & Close.Received) !== 0 || this.failure !== null) {
        this.readyState = ReadyState.Closed;
        this.wantsTcpClose = true;
      }
    } else if (this.pongs.length > 0) {
      const pong = this.pongs.shift() as Uint8Array;
      this.frame(Opcode.Pong, true, pong, 0, pong.length);
    } else if (this.ping !== null) {
      const ping = this.ping;
      this.ping = null;
      this.frame(Opcode.Ping, true, ping, 0, ping.length);
    } else if ((queue.length > 0 && (closing & Close.Deaf) === 0) || this.closeAfter > 0) {
      // One frame of the oldest message; larger messages become fragments.
      const data = queue[0] as Uint8Array;
      const sent = this.headSent;
      const left = data.length - sent;
      const n = left < this.capacity ? left : this.capacity;
      this.frame(sent > 0 ? Opcode.Continuation : queue[1] ? Opcode.Text : Opcode.Binary, n === left, data, sent, n);
      this.bufferedAmount -= n;
      if (n === left) {
        // Its last fragment is framed: only now is the message off the queue.
        this.headSent = 0;
        queue.splice(0, 2);
        if (this.closeAfter > 0) this.closeAfter -= 2;
      } else {
        this.headSent = sent + n;
      }
    } else {
      return false;
    }
    return true;
  }

  /**
   * Frames `length` bytes of `payload` from `offset` (length ≤ capacity) into the output
   * buffer, masked (RFC 6455 §5.2, §5.3). The payload always starts at TX_PAYLOAD_OFFSET,
   * 32-bit aligned, with the header just in front of it, so masking runs on words and no
   * frame allocates anything. Sets outputStart and outputEnd.
   */
  private frame(opcode: number, fin: boolean, payload: Uint8Array, offset: number, length: number): void {
    const buffer = this.output;
    if (length > 0) buffer.set(offset === 0 && length === payload.length ? payload : payload.subarray(offset, offset + length), TX_PAYLOAD_OFFSET);
    // RFC 6455 §5.2: the minimal length encoding, and the mask bit always set by a client.
    let start: number;
    if (length < 126) {
      start = TX_PAYLOAD_OFFSET - 6;
      buffer[start + 1] = 0x80 | length;
    } else if (length < 65536) {
      start = TX_PAYLOAD_OFFSET - 8;
      buffer[start + 1] = 0x80 | 126;
      buffer[start + 2] = length >> 8;
      buffer[start + 3] = length & 0xff;
    } else {
      start = TX_PAYLOAD_OFFSET - 14;
      buffer[start + 1] = 0x80 | 127;
      buffer[start + 2] = 0;
      buffer[start + 3] = 0;
      buffer[start + 4] = 0;
      buffer[start + 5] = Math.floor(length / 4294967296) & 0xff;
      buffer[start + 6] = (length >>> 24) & 0xff;
      buffer[start + 7] = (length >> 16) & 0xff;
      buffer[start + 8] = (length >> 8) & 0xff;
      buffer[start + 9] = length & 0xff;
    }
    buffer[start] = (fin ? 0x80 : 0) | opcode;
    this.outputStart = start;
    this.outputEnd = TX_PAYLOAD_OFFSET + length;

    // RFC 6455 §5.3: a fresh, unpredictable 32-bit key for every frame, written just before
    // the payload; keys are drawn MASK_POOL_KEYS at a time.
    if (this.keysUsed === MASK_POOL_KEYS) {
      this.config.entropy(new Uint8Array(this.keys.buffer));
      this.keysUsed = 0;
    }
    // All views share the memory's byte order: storing the word writes the key's 4 bytes in
    // order, and a word XOR equals four byte XORs.
    const word = this.keys[this.keysUsed++];
    const words = this.words;
    words[KEY_WORD] = word;
    const last = KEY_WORD + 1 + (length >> 2);
    let i = KEY_WORD + 1;
    // Unrolled by four: an interpreter pays for every loop test and increment (Espruino's
    // Linux build: 2.8 times faster than one word per pass; eight per pass is slower again).
    for (const last4 = last - 3; i < last4; i += 4) {
      words[i] ^= word;
      words[i + 1] ^= word;
      words[i + 2] ^= word;
      words[i + 3] ^= word;
    }
    for (; i < last; i++) words[i] ^= word;
    // The last 1–3 bytes, with the key's bytes as they lie in front of the payload.
    for (let j = length & ~3; j < length; j++) buffer[TX_PAYLOAD_OFFSET + j] ^= buffer[TX_PAYLOAD_OFFSET - 4 + (j & 3)];
  }

  // ---- failures -------------------------------------------------------------------------

  /**
   * RFC 6455 §7.1.7: fail the connection — send a close with `closeCode` at once, then drop
   * TCP. Returns -1, as frameHeader() does when reading stops.
   */
  private fail<K extends FailureCode>(closeCode: CloseCodeOf<K>, code: K, message: string): -1 {
    if (this.failure !== null || (this.closing & Close.Finished) !== 0) return -1;
    this.closing |= Close.Deaf;
    this.pongs = [];
    this.ping = null;
    if ((this.closing & Close.Sent) !== 0) {
      this.readyState = ReadyState.Closed;
      this.wantsTcpClose = true;
    } else {
      this.readyState = ReadyState.Closing;
      // Ahead of everything queued: nothing more of this connection may be sent.
      this.queueClose(closeCode, new Uint8Array(0), 0);
    }
    this.failure = { code: code, message: message, closeCode: closeCode, handshake: null };
    this.handler.onError(this.failure);
    return -1;
  }
}

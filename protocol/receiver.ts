import type { CloseCodeOf, FailureCode } from './errors';
import { Opcode, MAX_CONTROL_PAYLOAD } from './opcodes';
import type { Limits } from './options';
import { Utf8Validator, type TextCodec } from './utf8';

/** Where the receiver delivers messages (the protocol's handler itself: no call in between). */
export interface MessageSink {
  onText(text: string): void;
  onBinary(data: Uint8Array): void;
}

/** Where the receiver reports control frames and failures. */
export interface FrameSink {
  /** A complete control frame; `payload[0, length)` is only valid during the call. */
  onControl(opcode: number, payload: Uint8Array, length: number): void;
  /** The server broke the protocol: fail the connection with `closeCode`. The receiver has stopped. */
  onFailure<K extends FailureCode>(closeCode: CloseCodeOf<K>, code: K, message: string): void;
}

const enum Step { Header = 0, Payload = 1 }

/**
 * Incremental decoder of server frames (RFC 6455 §5) and assembler of messages.
 *
 * Accepts bytes in any chunking, down to one byte at a time. Every check that can be made on
 * a header is made before any payload byte is stored, sizes included; text is validated as
 * it arrives so invalid UTF-8 fails as early as it is provable (with the codec's native check
 * where it has one, see {@link TextCodec.validate}). A single-frame message that lies whole
 * inside one chunk is delivered straight from that chunk without being copied into the
 * receive buffer; a single-frame message split over chunks is copied straight into an array
 * of its own, which becomes the message (text shares it, see {@link TextCodec.decode}).
 */
export class Receiver {
  /** Set once the connection failed or the caller stopped listening; further bytes are ignored. */
  stopped = false;
  private limits: Limits;
  private codec: TextCodec;
  private messages: MessageSink;
  private frames: FrameSink;
  private validator = new Utf8Validator();
  private step = Step.Header;
  private header = new Uint8Array(10);
  private headerLength = 0;
  private headerNeed = 2;
  private fin = false;
  private opcode = 0;
  private remaining = 0;
  private control = new Uint8Array(MAX_CONTROL_PAYLOAD);
  private controlLength = 0;
  /** Opcode of the data message in progress, or -1 when none is. */
  private messageOpcode = -1;
  private messageLength = 0;
  private buffer: Uint8Array;
  /** The array a single-frame message split over chunks is assembled in, or null. */
  private target: Uint8Array | null = null;
  /** Largest payload the short-frame path may deliver: 125, or less when the limits say so. */
  private shortLimit: number;
  private allocate: ((length: number) => Uint8Array) | undefined;

  /** `allocate`: makes the array a split single-frame message is assembled in (see ClientProtocolConfig). */
  constructor(limits: Limits, codec: TextCodec, messages: MessageSink, frames: FrameSink, allocate?: (length: number) => Uint8Array) {
    this.limits = limits;
    this.codec = codec;
    this.messages = messages;
    this.frames = frames;
    this.allocate = allocate;
    this.buffer = new Uint8Array(limits.rxBufferSize);
    this.shortLimit = Math.min(125, limits.maxFrameSize, limits.maxMessageSize);
  }

  /** Decodes `bytes[start, end)`. Never throws for bad input: failures go to the sink. */
  push(bytes: Uint8Array, start: number, end: number): void {
    let at = start;
    // The common case in few statements (an interpreter pays for each): whole short text or
    // binary frames, unfragmented, at a frame boundary. First byte 0x81/0x82 is FIN, no RSV
    // bits, text/binary; a second byte under 126 is unmasked with a 7-bit length. Everything
    // else, and anything the checks would refuse, takes the general path below.
    while (this.headerLength === 0 && this.messageOpcode < 0 && end - at >= 2 && !this.stopped) {
      const first = bytes[at];
      const length = bytes[at + 1];
      if ((first !== 0x81 && first !== 0x82) || length > this.shortLimit || end - at < length + 2) break;
      at += length + 2;
      this.deliver(first & 0x0f, bytes, at - length, at, true, false);
    }
    while (at < end && !this.stopped) {
      if (this.step === Step.Header) {
        while (at < end && this.headerLength < this.headerNeed) this.header[this.headerLength++] = bytes[at++];
        if (this.headerLength < this.headerNeed) return;
        if (this.headerLength === 2) this.parseFirstBytes();
        else this.parseLength();
        if (this.stopped || (this.step as Step) !== Step.Payload) continue;
        at = this.beginPayload(bytes, at, end);
      } else {
        let take = end - at;
        if (take > this.remaining) take = this.remaining;
        this.storePayload(bytes, at, at + take);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0 && !this.stopped) this.endFrame();
      }
    }
  }

  /** True while a frame, or a fragmented message, has begun and not ended. */
  midFrame(): boolean {
    return this.headerLength > 0 || this.messageOpcode >= 0 || this.step === Step.Payload;
  }

  private fail<K extends FailureCode>(closeCode: CloseCodeOf<K>, code: K, message: string): void {
    this.stopped = true;
    this.frames.onFailure(closeCode, code, message);
  }

  private parseFirstBytes(): void {
    const first = this.header[0];
    const second = this.header[1];
    const opcode = first & 0x0f;
    const length = second & 0x7f;
    this.fin = (first & 0x80) !== 0;
    this.opcode = opcode;
    // RFC 6455 §5.2: RSV1-3 must be 0 unless an extension defines them; we negotiate none.
    if ((first & 0x70) !== 0) return this.fail(1002, 'WS_ERR_RESERVED_BITS', 'reserved bits set in a frame header');
    // RFC 6455 §5.1: a client must close the connection if it receives a masked frame.
    if ((second & 0x80) !== 0) return this.fail(1002, 'WS_ERR_MASKED_FRAME', 'the server sent a masked frame');
    if (opcode >= 8) {
      if (opcode > Opcode.Pong) return this.fail(1002, 'WS_ERR_UNKNOWN_OPCODE', `unknown opcode ${opcode}`);
      // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!this.fin) return this.fail(1002, 'WS_ERR_FRAGMENTED_CONTROL', 'a control frame was fragmented');
      if (length > MAX_CONTROL_PAYLOAD) return this.fail(1002, 'WS_ERR_CONTROL_TOO_LONG', 'a control frame is longer than 125 bytes');
    } else if (opcode > Opcode.Binary) {
      return this.fail(1002, 'WS_ERR_UNKNOWN_OPCODE', `unknown opcode ${opcode}`);
    } else if (opcode === Opcode.Continuation) {
      // RFC 6455 §5.4: a continuation needs a fragmented message in progress…
      if (this.messageOpcode < 0) return this.fail(1002, 'WS_ERR_UNEXPECTED_CONTINUATION', 'a continuation frame arrived with no message in progress');
    } else if (this.messageOpcode >= 0) {
      // …and a new data message may not start before the previous one is finished.
      return this.fail(1002, 'WS_ERR_EXPECTED_CONTINUATION', 'a new message started inside a fragmented message');
    }
    if (length === 126) this.headerNeed = 4;
    else if (length === 127) this.headerNeed = 10;
    else this.headerDone(length);
  }

  private parseLength(): void {
    const h = this.header;
    let length: number;
    if (this.headerNeed === 4) {
      length = (h[2] << 8) | h[3];
      // RFC 6455 §5.2: the minimal number of bytes must be used to encode the length.
      if (length < 126) return this.fail(1002, 'WS_ERR_NON_MINIMAL_LENGTH', 'a frame length was not minimally encoded');
    } else {
      // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
      if ((h[2] & 0x80) !== 0) return this.fail(1002, 'WS_ERR_LENGTH_TOP_BIT', 'a 64-bit frame length has its top bit set');
      const high = ((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) >>> 0;
      const low = ((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0;
      length = high * 4294967296 + low;
      if (length < 65536) return this.fail(1002, 'WS_ERR_NON_MINIMAL_LENGTH', 'a frame length was not minimally encoded');
    }
    this.headerDone(length);
  }

  private headerDone(length: number): void {
    const opcode = this.opcode;
    if (opcode < 8) {
      // Sizes are checked on the header, before a single payload byte is stored.
      if (length > this.limits.maxFrameSize) {
        return this.fail(1009, 'WS_ERR_FRAME_TOO_BIG', `a frame of ${length} bytes exceeds maxFrameSize ${this.limits.maxFrameSize}`);
      }
      const total = (opcode === Opcode.Continuation ? this.messageLength : 0) + length;
      if (total > this.limits.maxMessageSize) {
        return this.fail(1009, 'WS_ERR_MESSAGE_TOO_BIG', `a message of ${total} or more bytes exceeds maxMessageSize ${this.limits.maxMessageSize}`);
      }
      if (opcode !== Opcode.Continuation) {
        this.messageOpcode = opcode;
        this.messageLength = 0;
        this.validator.reset();
      }
    }
    this.controlLength = 0;
    this.remaining = length;
    this.step = Step.Payload;
  }

  /** Starts a payload; returns where reading goes on. */
  private beginPayload(bytes: Uint8Array, at: number, end: number): number {
    const length = this.remaining;
    if (length === 0) {
      this.endFrame();
      return at;
    }
    if (this.fin && this.opcode !== Opcode.Continuation && this.opcode < 8) {
      if (end - at >= length) {
        this.step = Step.Header;
        this.headerLength = 0;
        this.headerNeed = 2;
        this.messageOpcode = -1;
        this.deliver(this.opcode, bytes, at, at + length, true, false);
        return at + length;
      }
      // Its size is known and was checked on the header: copy it once, into what is delivered.
      this.target = this.allocate === undefined ? new Uint8Array(length) : this.allocate(length);
    }
    return at;
  }

  private storePayload(bytes: Uint8Array, from: number, to: number): void {
    if (this.opcode >= 8) {
      const control = this.control;
      let n = this.controlLength;
      for (let i = from; i < to; i++) control[n++] = bytes[i];
      this.controlLength = n;
      return;
    }
    let target = this.target;
    const needed = this.messageLength + (to - from);
    if (this.messageOpcode === Opcode.Text && !this.validateText(bytes, from, to)) {
      return this.fail(1007, 'WS_ERR_INVALID_UTF8', 'a text message is not valid UTF-8');
    }
    if (target === null) {
      if (needed > this.buffer.length) this.grow(needed);
      target = this.buffer;
    }
    target.set(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), this.messageLength);
    this.messageLength = needed;
  }

  /**
   * Validates the next piece `bytes[from, to)` of a streamed text message, failing in the same
   * piece as the JavaScript validator alone would. With a native check: the validator finishes
   * a character the previous piece left open (at most 3 bytes), the codec checks the middle,
   * which ends before the piece's last character (a lead byte among its last 3), and the
   * validator takes that last character, which may go on in the next piece.
   */
  private validateText(bytes: Uint8Array, from: number, to: number): boolean {
    const validator = this.validator;
    const codec = this.codec;
    if (codec.validate === undefined) return validator.update(bytes, from, to);
    const pending = validator.pending();
    // The usual piece of text: nothing left open before it, and it ends on ASCII, so the
    // codec's check covers it all.
    if (pending === 0 && bytes[to - 1] < 0x80) {
      const valid = codec.validate(bytes, from, to);
      return valid !== undefined ? valid : validator.update(bytes, from, to);
    }
    let middle = from + pending;
    if (middle > to) middle = to;
    if (middle > from && !validator.update(bytes, from, middle)) return false;
    let cut = to - 1;
    while (cut >= middle && cut >= to - 3 && (bytes[cut] & 0xc0) === 0x80) cut--;
    // Otherwise the piece ends on ASCII, on a complete 4-byte character, or is invalid anyway.
    if (cut < middle || cut < to - 3 || bytes[cut] < 0xc0) cut = to;
    if (cut > middle) {
      const valid = codec.validate(bytes, middle, cut);
      if (valid === false) return false;
      if (valid === undefined) return validator.update(bytes, middle, to);
    }
    return cut === to || validator.update(bytes, cut, to);
  }

  // Doubling keeps growth to a few steps per connection; never past maxMessageSize.
  private grow(needed: number): void {
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    if (size > this.limits.maxMessageSize) size = this.limits.maxMessageSize;
    const bigger = new Uint8Array(size);
    bigger.set(this.messageLength === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.messageLength));
    this.buffer = bigger;
  }

  private endFrame(): void {
    this.step = Step.Header;
    this.headerLength = 0;
    this.headerNeed = 2;
    if (this.opcode >= 8) {
      this.frames.onControl(this.opcode, this.control, this.controlLength);
    } else if (this.fin) {
      const target = this.target;
      const opcode = this.messageOpcode;
      const length = this.messageLength;
      this.target = null;
      this.messageOpcode = -1;
      this.messageLength = 0;
      if (target === null) this.deliver(opcode, this.buffer, 0, length, false, true);
      else this.deliver(opcode, target, 0, length, true, true);
    }
  }

  /**
   * Hands a complete message `bytes[from, to)` to the sink; the frame and message state is
   * already reset. `owned`: `bytes` is given up (a received chunk, or the message's own
   * array), so the message may share it; otherwise it is the reused receive buffer.
   * `validated`: text that was checked piece by piece as it arrived.
   */
  private deliver(opcode: number, bytes: Uint8Array, from: number, to: number, owned: boolean, validated: boolean): void {
    if (opcode === Opcode.Text) {
      const codec = this.codec;
      const validator = this.validator;
      // Validated text only lacks the check that its last character is complete.
      let valid = validated ? validator.isComplete() : codec.validate === undefined ? undefined : codec.validate(bytes, from, to);
      if (valid === undefined) {
        validator.reset();
        valid = validator.update(bytes, from, to) && validator.isComplete();
      }
      if (!valid) return this.fail(1007, 'WS_ERR_INVALID_UTF8', 'a text message is not valid UTF-8');
      this.messages.onText(codec.decode(bytes, from, to, owned));
    } else if (owned) {
      // A view needs no copy: nothing else writes to these bytes.
      this.messages.onBinary(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to));
    } else {
      // The receive buffer is reused for the next message: hand out a copy. (Not slice():
      // Espruino's copies element by element, ~3 times slower than set() at 100 bytes.)
      const data = new Uint8Array(to - from);
      data.set(to === bytes.length ? bytes : bytes.subarray(0, to));
      this.messages.onBinary(data);
    }
  }
}

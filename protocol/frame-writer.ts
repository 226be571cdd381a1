import { TX_PAYLOAD_OFFSET } from './options';

/** How many mask keys one refill of the pool provides: entropy is drawn in bulk, not per frame. */
const MASK_POOL_KEYS = 64;

/** Index of the mask key in the buffer's Int32Array view: the word just before the payload. */
const KEY_WORD = (TX_PAYLOAD_OFFSET >> 2) - 1;

/**
 * Writes masked client frames (RFC 6455 §5.2, §5.3) into one preallocated output buffer.
 *
 * The payload always starts at TX_PAYLOAD_OFFSET, which is 32-bit aligned, and the header is
 * written just in front of it; so masking runs on an Int32Array view four bytes at a time
 * and no frame allocates anything. After a write the frame is `buffer[start, end)`.
 */
export class FrameWriter {
  readonly buffer: Uint8Array;
  /** Largest payload one frame can carry. */
  readonly capacity: number;
  start = 0;
  end = 0;
  private words: Int32Array;
  private pool: Uint8Array;
  private poolWords: Int32Array;
  private poolNext = MASK_POOL_KEYS;
  private fill: (out: Uint8Array) => void;

  constructor(size: number, fill: (out: Uint8Array) => void) {
    this.buffer = new Uint8Array(size);
    this.capacity = size - TX_PAYLOAD_OFFSET;
    // Word KEY_WORD holds the mask key (the 4 bytes before the payload); the payload's start here.
    this.words = new Int32Array(this.buffer.buffer, 0, size >> 2);
    this.pool = new Uint8Array(MASK_POOL_KEYS * 4);
    this.poolWords = new Int32Array(this.pool.buffer);
    this.fill = fill;
  }

  /**
   * Frames `length` bytes of `payload` starting at `offset` (length ≤ capacity). With
   * `payload` null the payload is already in place at `buffer[TX_PAYLOAD_OFFSET…]` (close
   * frames write their code and reason there). One method, header and mask included: an
   * interpreter pays for every call.
   */
  write(opcode: number, fin: boolean, payload: Uint8Array | null, offset: number, length: number): void {
    const buffer = this.buffer;
    if (length > 0 && payload !== null) {
      if (offset === 0 && length === payload.length) buffer.set(payload, TX_PAYLOAD_OFFSET);
      else buffer.set(payload.subarray(offset, offset + length), TX_PAYLOAD_OFFSET);
    }
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
      const high = Math.floor(length / 4294967296);
      buffer[start + 2] = 0;
      buffer[start + 3] = 0;
      buffer[start + 4] = 0;
      buffer[start + 5] = high & 0xff;
      buffer[start + 6] = (length >>> 24) & 0xff;
      buffer[start + 7] = (length >> 16) & 0xff;
      buffer[start + 8] = (length >> 8) & 0xff;
      buffer[start + 9] = length & 0xff;
    }
    buffer[start] = (fin ? 0x80 : 0) | opcode;
    this.start = start;
    this.end = TX_PAYLOAD_OFFSET + length;

    // RFC 6455 §5.3: a fresh, unpredictable 32-bit key for every frame, written just before
    // the payload.
    if (this.poolNext === MASK_POOL_KEYS) {
      this.fill(this.pool);
      this.poolNext = 0;
    }
    const key = this.poolNext++;
    // All views share the memory's byte order: storing the word writes the key's 4 bytes in
    // order, and a word XOR equals four byte XORs.
    const word = this.poolWords[key];
    const words = this.words;
    words[KEY_WORD] = word;
    const end = KEY_WORD + 1 + (length >> 2);
    let i = KEY_WORD + 1;
    // Unrolled by four: an interpreter pays for every loop test and increment (Espruino's
    // Linux build: 2.8 times faster than one word per pass; eight per pass is slower again).
    for (const end4 = end - 3; i < end4; i += 4) {
      words[i] ^= word;
      words[i + 1] ^= word;
      words[i + 2] ^= word;
      words[i + 3] ^= word;
    }
    for (; i < end; i++) words[i] ^= word;
    if ((length & 3) !== 0) {
      const pool = this.pool;
      for (let j = length & ~3; j < length; j++) buffer[TX_PAYLOAD_OFFSET + j] ^= pool[key * 4 + (j & 3)];
    }
  }
}

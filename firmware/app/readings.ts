/**
 * A fixed-capacity ring of readings kept until the sink acknowledges them.
 *
 * Stored in typed arrays allocated once (flat memory on Espruino, no object per reading).
 * When full, a new reading overwrites the oldest and the drop is counted: the buffer is the
 * only place readings are lost, and only when it really overflowed.
 */
export class ReadingBuffer {
  readonly capacity: number;
  readonly width: number;
  /** Readings dropped because the buffer was full. */
  dropped = 0;
  private seqs: Float64Array;
  private times: Float64Array;
  private values: Float32Array;
  /** Slot of the oldest reading, and how many are held. */
  private head = 0;
  private count = 0;

  constructor(capacity: number, width: number) {
    this.capacity = capacity;
    this.width = width;
    this.seqs = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.values = new Float32Array(capacity * width);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a reading; `values` holds `width` numbers. */
  push(seq: number, time: number, values: number[]): void {
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.dropped++;
    }
    const slot = (this.head + this.count) % this.capacity;
    this.seqs[slot] = seq;
    this.times[slot] = time;
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) this.values[base + i] = values[i];
    this.count++;
  }

  /** Forgets every reading with a sequence number up to `seq` (cumulative acknowledgement). */
  acknowledge(seq: number): void {
    while (this.count > 0 && this.seqs[this.head] <= seq) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** Index (0 = oldest) of the first reading with a sequence number above `seq`, or size. */
  indexAfter(seq: number): number {
    let i = 0;
    while (i < this.count && this.seqs[(this.head + i) % this.capacity] <= seq) i++;
    return i;
  }

  seqAt(index: number): number {
    return this.seqs[(this.head + index) % this.capacity];
  }

  timeAt(index: number): number {
    return this.times[(this.head + index) % this.capacity];
  }

  valueAt(index: number, sensor: number): number {
    return this.values[((this.head + index) % this.capacity) * this.width + sensor];
  }
}

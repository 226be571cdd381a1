import type { ReadingBuffer } from './readings';
import { encodeReading, type Reading } from './wire';

/** Reading `index` of `buffer` as JSON text (the Reading message of wire.ts). */
export function readingJson(buffer: ReadingBuffer, index: number, device: string, boot: number, sensors: string[]): string {
  const values: { [name: string]: number } = {};
  for (let i = 0; i < sensors.length; i++) values[sensors[i]] = Math.round(buffer.valueAt(index, i) * 10000) / 10000;
  const message: Reading = { type: 'reading', device: device, boot: boot, seq: buffer.seqAt(index), time: buffer.timeAt(index), values: values };
  return JSON.stringify(message);
}

/** Reading `index` of `buffer` in the binary layout of wire.ts. */
export function readingBinary(buffer: ReadingBuffer, index: number, boot: number): Uint8Array {
  const values: number[] = [];
  for (let i = 0; i < buffer.width; i++) values.push(buffer.valueAt(index, i));
  return encodeReading(buffer.seqAt(index), boot, buffer.timeAt(index), values);
}

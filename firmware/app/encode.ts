import type { ReadingBuffer } from './readings';

/** The compact binary layout's kind byte for a reading. */
export const KIND_READING = 0x01;

/**
 * Reading `index` of `buffer` as JSON text:
 * {"type":"reading","device":…,"boot":…,"seq":…,"time":…,"values":{"<sensor>":…}}.
 */
export function readingJson(buffer: ReadingBuffer, index: number, device: string, boot: number, sensors: string[]): string {
  const values: { [name: string]: number } = {};
  for (let i = 0; i < sensors.length; i++) values[sensors[i]] = Math.round(buffer.valueAt(index, i) * 10000) / 10000;
  return JSON.stringify({ type: 'reading', device: device, boot: boot, seq: buffer.seqAt(index), time: buffer.timeAt(index), values: values });
}

/**
 * Reading `index` in the binary layout (big-endian): kind 0x01 (1 byte), seq (uint32),
 * boot (uint32), time in ms (float64), n (1 byte), then n float32 values in sensor order.
 */
export function readingBinary(buffer: ReadingBuffer, index: number, boot: number): Uint8Array {
  const n = buffer.width;
  const bytes = new Uint8Array(18 + 4 * n);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, KIND_READING);
  view.setUint32(1, buffer.seqAt(index), false);
  view.setUint32(5, boot, false);
  view.setFloat64(9, buffer.timeAt(index), false);
  view.setUint8(17, n);
  for (let i = 0; i < n; i++) view.setFloat32(18 + 4 * i, buffer.valueAt(index, i), false);
  return bytes;
}

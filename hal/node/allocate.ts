/**
 * Arrays for messages the protocol fills completely before handing them out, without the
 * zero-filling of `new Uint8Array`. Each has an ArrayBuffer of its own, never a slice of
 * Node's shared pool (which would let `data.buffer` show other messages): above half of
 * Buffer.poolSize allocUnsafe never pools and is the fastest, below it allocUnsafeSlow. Nothing
 * of the old memory can leak: the protocol delivers an array only once every byte is written.
 */
export function nodeAllocate(length: number): Uint8Array {
  const buf = length > Buffer.poolSize >>> 1 ? Buffer.allocUnsafe(length) : Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

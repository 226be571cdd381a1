/**
 * Arrays for messages the protocol fills completely before handing them out, without the
 * zero-filling of `new Uint8Array` (Buffer.allocUnsafeSlow: its own ArrayBuffer, no shared
 * pool, so an ArrayBuffer view of the message costs no copy). Nothing of the old memory can
 * leak: the protocol delivers an array only once every byte has been written.
 */
export function nodeAllocate(length: number): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

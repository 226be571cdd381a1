/** SHA-1 from Espruino's crypto module, where the build has one. */

/** `require('crypto').SHA1` as a HAL sha1, or undefined when the build has no crypto module. */
export function findNativeSha1(): ((data: Uint8Array) => Uint8Array) | undefined {
  let SHA1: ((data: unknown) => ArrayBuffer) | undefined;
  try {
    SHA1 = require('crypto').SHA1;
  } catch (_e) {
    // e.g. the 512 KB ESP8266 build: the protocol's own SHA-1 is used instead
    return undefined;
  }
  if (typeof SHA1 !== 'function') return undefined;
  const native = SHA1;
  // It returns a 20-byte ArrayBuffer.
  return function (data: Uint8Array): Uint8Array {
    return new Uint8Array(native(data));
  };
}

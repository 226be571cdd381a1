/**
 * `require('crypto')` (libs/crypto/jswrap_crypto.c): SHAx(message) → ArrayBuffer of the digest.
 * The message may be a string, an array, a typed array or an ArrayBuffer (bytes collected the
 * E.toString way). ESP32 has SHA1/224/256/384/512; ESP8266_4MB has SHA1 only; the 512 KB
 * ESP8266 build has no crypto module at all (SimBoardOptions.crypto = false).
 */
import { createHash } from 'node:crypto';
import { collectBytes } from './bytes.ts';
import type { BoardObject, BoardRealm } from './context.ts';

/** The crypto module object. */
export function createCryptoModule(realm: BoardRealm, sha2: boolean): BoardObject {
  const digest = (algorithm: string) => (message: unknown) => {
    const hash = createHash(algorithm)
      .update(Buffer.from(collectBytes(message)))
      .digest();
    return realm.uint8Array(hash).buffer;
  };
  const mod = realm.object();
  realm.methods(
    mod,
    sha2
      ? { SHA1: digest('sha1'), SHA224: digest('sha224'), SHA256: digest('sha256'), SHA384: digest('sha384'), SHA512: digest('sha512') }
      : { SHA1: digest('sha1') },
  );
  return mod;
}

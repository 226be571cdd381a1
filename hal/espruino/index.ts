/**
 * The HAL on Espruino (ESP32, ESP8266): sockets over net/tls, byte-string text, native
 * SHA-1 where the build has it, getTime()/setTimeout, and entropy from the chip's RNG register.
 */
import type { BoardRuntime } from '../../boards/types';
import type { Hal, WifiLink } from '../types';
import { espruinoClock } from './clock';
import { createEspruinoEntropy } from './entropy';
import { findNativeSha1 } from './sha1';
import { createEspruinoTcp } from './tcp';
import { espruinoTextCodec } from './text';

export { espruinoClock } from './clock';
export { createEspruinoEntropy, registerLooksRandom } from './entropy';
export type { EspruinoEntropyOptions } from './entropy';
export { fromConnectThrow, fromErrorEvent, kindOfEspruinoCode } from './errors';
export { findNativeSha1 } from './sha1';
export { createEspruinoTcp } from './tcp';
export { espruinoTextCodec } from './text';
export { createWifiLink, isUsableIp } from './wifi';
export type { EspruinoWifi, WifiLinkOptions } from './wifi';

/** What createEspruinoHal needs of a board profile. */
export type HalBoard = Pick<BoardRuntime, 'tls' | 'nativeSha1' | 'rngRegister'> & Partial<Pick<BoardRuntime, 'writeWindow'>>;

/** Options of {@link createEspruinoHal}; every field is optional. */
export interface EspruinoHalOptions {
  /**
   * Connect even when the hardware RNG fails its start-up test, with keys and masks from
   * Espruino's predictable PRNG (a warning is printed once). Default false: the client refuses.
   */
  allowWeakEntropy?: boolean;
  /**
   * Reads one 32-bit word of hardware randomness (default: peek32 of the board's RNG
   * register). null: there is none (e.g. Espruino's Linux build, where peek32 of an ESP
   * address crashes); then only allowWeakEntropy lets a client connect.
   */
  readRegister?: (() => number) | null;
  /** The Wi-Fi link to expose as `hal.wifi` (see createWifiLink). */
  wifi?: WifiLink | undefined;
}

/**
 * Builds the Espruino HAL for `board`. Reads no randomness yet: the entropy start-up test runs
 * at the first fill(), when the first connection starts (the ESP32's RNG needs the radio on).
 */
export function createEspruinoHal(board: HalBoard, options?: EspruinoHalOptions): Hal {
  const o = options || {};
  const address = board.rngRegister;
  const hal: Hal = {
    tcp: createEspruinoTcp(board.tls, board.writeWindow),
    clock: espruinoClock,
    entropy: createEspruinoEntropy({
      readRegister: o.readRegister !== undefined ? o.readRegister : function () { return peek32(address); },
      allowWeakEntropy: o.allowWeakEntropy === true,
    }),
    text: espruinoTextCodec,
  };
  const sha1 = board.nativeSha1 ? findNativeSha1() : undefined;
  if (sha1) hal.sha1 = sha1;
  if (o.wifi) hal.wifi = o.wifi;
  return hal;
}

/**
 * What differs between the simulated chips (platform notes §2, §3, §6; runtime facts §4).
 */

/** The two boards the simulator knows. */
export type BoardName = 'esp32' | 'esp8266';

/** Per-chip constants. */
export interface BoardProfile {
  name: BoardName;
  /** Max bytes per socket 'data' event and per send in one idle pass (net->chunkSize). */
  chunkSize: number;
  /** Bytes the network stack accepts before a send has to wait ("handed to the OS"). */
  sendBuffer: number;
  /** Received bytes buffered before the simulator stops reading from the host socket (TCP window). */
  receiveWindow: number;
  /** TCP_NODELAY: ESP8266 sets ESPCONN_NODELAY; ESP32 leaves Nagle on. */
  noDelay: boolean;
  /** The hardware RNG register peek32 reads. */
  rngAddress: number;
  /** `require('tls')` exists (USE_TLS): ESP32 only. */
  tls: boolean;
  /** crypto.SHA256 and friends: ESP32 only (ESP8266_4MB has SHA1 alone). */
  sha2: boolean;
  /** Pins that analogRead reads (others give NaN). */
  analogPins: readonly string[];
  /** Pin names defined as globals. */
  pins: readonly string[];
  /** ADC resolution: analogRead returns raw / 2^bits. */
  adcBits: number;
  mac: string;
  /**
   * The JsVar pool (memory.ts): ESP8266_4MB has 1,600 variables of 12 bytes; ESP32 sizes its
   * pool from free heap at boot, at most 16,383 of 14 bytes (reached with PSRAM; a plain
   * WROOM module has fewer, `process.memory().total` on the board says how many).
   */
  vars: number;
  blockSize: number;
}

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

export const PROFILES: Readonly<Record<BoardName, BoardProfile>> = {
  esp32: {
    name: 'esp32',
    chunkSize: 536,
    sendBuffer: 5744, // lwIP TCP_SND_BUF in Espruino's ESP32 sdkconfig
    receiveWindow: 5744, // TCP_WND
    noDelay: false,
    rngAddress: 0x3ff75144, // WDEV_RND_REG
    tls: true,
    sha2: true,
    analogPins: range('D', 32, 39), // ADC1 only
    pins: range('D', 0, 39),
    adcBits: 12,
    mac: '24:0a:c4:00:00:01',
    vars: 16_383,
    blockSize: 14,
  },
  esp8266: {
    name: 'esp8266',
    chunkSize: 268,
    sendBuffer: 268, // one espconn_send in flight per socket
    receiveWindow: 2144, // 4 x MSS 536
    noDelay: true,
    rngAddress: 0x3ff20e44, // RANDOM_REG32
    tls: false,
    sha2: false,
    analogPins: ['A0'],
    pins: [...range('D', 0, 16), 'A0'],
    adcBits: 10,
    mac: '5c:cf:7f:00:00:01',
    vars: 1_600,
    blockSize: 12,
  },
};

import type { BoardProfile } from './types';

/**
 * ESP8266 with 4 MB flash (Espruino's `ESP8266_4MB` build): no TLS, 12-byte JsVars, and
 * very little of them. Numbers from shared/reference/espruino-platform.md and
 * espruino-runtime-facts.md.
 */
export const esp8266: BoardProfile = {
  name: 'esp8266',
  espruinoBoard: 'ESP8266_4MB',
  baud: 115200,
  // ESP8266_4MB's board file gives 1600 JsVars of 12 bytes (about 19 KB) for everything; the
  // 512 KB build (ESP8266_BOARD) has 1700. This profile is the 4 MB build's.
  vars: 1600,
  bytesPerVar: 12,
  // network_esp8266.c uses half of the 536-byte MSS "otherwise we easily run out of JSvars".
  chunkSize: 268,
  limits: {
    // 16 header bytes + 256 payload: a full frame (at most 264 bytes) goes out in one pass of
    // 268, and the flat buffer costs about 23 JsVars (528 held 45: every JsVar counts here).
    txBufferSize: 272,
    // About one receive chunk; it doubles only for messages split across chunks.
    rxBufferSize: 256,
    // 8 KiB lets 8000-byte messages through. At its cap the receive buffer alone is about
    // 690 JsVars (40 % of the pool), so larger messages cannot fit beside a delivered copy.
    maxMessageSize: 8192,
    // A bound, not an allocation: the head is kept only as long as it is (a 101 is ~150 bytes).
    maxHeaderBytes: 1024,
  },
  // One maximum-size message: more would not fit in memory anyway.
  maxBufferedAmount: 8192,
  // Two full frames: the socket's queue stays at about 45 JsVars.
  writeWindow: 528,
  // No `tls` module in any ESP8266 build: wss:// is refused with WS_ERR_NO_TLS.
  tls: false,
  // ESP8266_4MB keeps crypto.SHA1; the 512 KB build has none (detected at run time).
  nativeSha1: true,
  // RANDOM_REG32 (0x3FF00000 + 0x20E44); random while Wi-Fi is on.
  rngRegister: 0x3ff20e44,
  // The single ADC input.
  analogPins: ['A0'],
  // No temperature: E.getTemperature() is NaN on every ESP8266 build (jshReadTemperature).
  sensors: ['analog', 'memory'],
  // 64 readings of 3 values: about 2 KB in flat typed arrays (a minute at 1 Hz offline).
  readingCapacity: 64,
  // Storage holds 192 KB, but every function of the bundle costs JsVars once loaded: keep it lean.
  // The real limit is JsVars at run time (measured by the interpreter bench), not flash: these
  // bounds catch unplanned growth of the code that has to be loaded.
  // Resident vars: as on ESP32. The reshaped core holds about 680 (estimated 680, measured 681;
  // 1,347 before), which leaves about 900 of 1600 for a connection and its messages.
  budget: { wsclient: 45056, firmware: 57344, residentVars: { target: 400, limit: 750 } },
};

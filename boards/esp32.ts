import type { BoardProfile } from './types';

/**
 * ESP32 (classic, Espruino's `ESP32` build). Numbers from shared/reference/espruino-platform.md
 * and espruino-runtime-facts.md.
 */
export const esp32: BoardProfile = {
  name: 'esp32',
  espruinoBoard: 'ESP32',
  baud: 115200,
  // The pool is sized at boot from free heap (14-byte JsVars, at most 16383) and shrinks with
  // Wi-Fi/BLE on and no PSRAM; 10000 is a conservative plan for a plain WROOM module.
  vars: 10000,
  bytesPerVar: 14,
  // network_esp32.c reads and sends at most 536 bytes per socket per idle-loop pass.
  chunkSize: 536,
  limits: {
    // 16 header bytes + 4096 payload: an 8000-byte message is two frames, not six (each frame
    // costs a round of JavaScript); the flat buffer costs about 294 JsVars.
    txBufferSize: 4112,
    // Messages that arrive whole in one chunk never touch this buffer; split ones double it
    // (2, 4, 8, 16 KiB) as needed, so start small.
    rxBufferSize: 1024,
    // 16 KiB: the receive buffer at its cap plus the delivered copy is about 2400 JsVars,
    // a quarter of the plan, which leaves room for TLS buffers and the application.
    maxMessageSize: 16384,
    // A 101 response is 150-400 bytes; 2 KiB leaves room for proxies' extra headers.
    maxHeaderBytes: 2048,
  },
  // One maximum-size message waiting behind the one being sent.
  maxBufferedAmount: 16384,
  // One full frame: the socket's queue holds at most about two (≈ 600 JsVars).
  writeWindow: 4096,
  tls: true,
  nativeSha1: true,
  // WDEV_RND_REG (DPORT alias); random while Wi-Fi or BT is on.
  rngRegister: 0x3ff75144,
  // analogRead works on ADC1 only (ADC2 is taken by Wi-Fi).
  analogPins: ['D32', 'D33', 'D34', 'D35', 'D36', 'D37', 'D38', 'D39'],
  // E.getTemperature() gives the chip's raw sensor; process.memory() the free JsVars.
  sensors: ['analog', 'temperature', 'memory'],
  // 1024 readings of 3 values: about 28 KB in flat typed arrays (17 minutes at 1 Hz offline).
  readingCapacity: 1024,
  // Flash holds 896 KB of Storage; these budgets only catch unplanned growth (and upload time:
  // about 10 KB/s at 115200 baud).
  // Resident vars: the target is the core rewrite's (issue 12). The reshaped core holds about 680
  // (estimated 674, measured 681 on ESP8266's pool; 1,339 before); the limit stops growth past it.
  budget: { wsclient: 49152, firmware: 98304, residentVars: { target: 400, limit: 750 } },
};

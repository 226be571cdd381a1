/**
 * The board application (dist/<board>/firmware.js): wait for WiFi, connect to the sink, stream.
 *
 * The composition root: the only file that picks the concrete HAL. Settings come from
 * `FLASH_CONFIG`, a global that `npm run flash` (or the simulated board) puts in front of
 * the bundle; anything it leaves out takes the defaults in firmware/app/config.ts.
 */
import type { BoardRuntime } from '../boards/types';
import { createEspruinoDevice, type WifiSignal } from '../hal/espruino/device';
import { createEspruinoHal, createWifiLink, type EspruinoWifi } from '../hal/espruino/index';
import { resolveAppConfig } from './app/config';
import { SensorStreamer } from './app/streamer';

/** The board this bundle is built for (tools/build.ts defines it). */
declare const __WSCLIENT_BOARD__: BoardRuntime;

/** What the upload puts in front of the bundle. */
interface FlashConfig {
  /** Absent when the upload stored the credentials with Wifi.save(): Espruino joins at boot. */
  wifi?: { ssid: string; password: string };
  server?: string;
  deviceId?: string;
  /** Leave Espruino's unauthenticated telnet console on port 23 open (default false). */
  telnet?: boolean;
  /** Any field of the application's configuration (sampleInterval, sensors, encoding, …). */
  app?: { [field: string]: unknown };
}

declare const FLASH_CONFIG: FlashConfig | undefined;
/** Espruino's module loader; what each built-in module offers is typed where it is used. */
declare function require(name: 'TelnetServer'): { setOptions(options: { mode: string }): void };
declare function require(name: 'Wifi'): EspruinoWifi & WifiSignal;

function log(line: string): void {
  console.log('[wsclient] ' + line);
}

/** Reads the settings: the app's own fields, then the upload's server and device id. */
function settings(flash: FlashConfig): { [field: string]: unknown } {
  const given: { [field: string]: unknown } = {};
  const app = flash.app || {};
  const names = Object.keys(app);
  for (let i = 0; i < names.length; i++) given[names[i]] = app[names[i]];
  if (flash.server !== undefined) given.server = flash.server;
  if (flash.deviceId !== undefined) given.deviceId = flash.deviceId;
  return given;
}

/** Telnet on port 23 is an open console to anyone on the network: off unless asked for. */
function closeTelnet(flash: FlashConfig): void {
  if (flash.telnet === true) return;
  try {
    require('TelnetServer').setOptions({ mode: 'off' });
  } catch (_e) {
    // Builds without a telnet console (ESP8266 512 KB, the simulator) have nothing to close.
  }
}

function main(): void {
  const board = __WSCLIENT_BOARD__;
  const flash: FlashConfig = typeof FLASH_CONFIG === 'undefined' ? {} : FLASH_CONFIG;
  closeTelnet(flash);
  let wifiModule: (EspruinoWifi & WifiSignal) | null = null;
  try {
    wifiModule = require('Wifi');
  } catch (_e) {
    wifiModule = null;
  }
  const device = createEspruinoDevice(board.analogPins, wifiModule);
  // Only what this board has: a sensor the chip lacks is refused by name rather than streamed as nulls.
  const known = board.sensors.concat(board.analogPins);
  const config = resolveAppConfig(settings(flash), known, board.readingCapacity, board.sensors);
  const wifi = wifiModule === null ? undefined : createWifiLink({ wifi: wifiModule });
  const hal = createEspruinoHal(board, { wifi: wifi });
  const streamer = new SensorStreamer(config, {
    hal: hal,
    board: board.name,
    sensorNames: known,
    readSensor: device.readSensor,
    rssi: device.rssi,
    freeVars: device.freeVars,
    wallClock: function () {
      return Date.now();
    },
    log: log,
  });
  let started = false;
  function startOnce(): void {
    if (started) return;
    started = true;
    log(`streaming to ${config.server} as ${config.deviceId}`);
    streamer.start();
  }
  if (wifi === undefined) return startOnce();
  wifi.onChange(function (up) {
    log(up ? 'WiFi up' : 'WiFi down');
    if (up) startOnce();
  });
  wifi.start(flash.wifi ? flash.wifi.ssid : undefined, flash.wifi ? flash.wifi.password : undefined);
  if (wifi.isUp()) startOnce();
}

try {
  main();
  // Read back by `npm run flash` after an upload: tells a firmware that started from one that did not.
  (global as unknown as { WSCLIENT_STATUS: string }).WSCLIENT_STATUS = 'started';
} catch (e) {
  // A bad configuration must say which field, on the console, rather than die silently.
  log('cannot start: ' + ((e as Error).message || e));
}

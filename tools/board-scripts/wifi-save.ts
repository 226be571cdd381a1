/**
 * For credentials "wifi-save" (tools/flash.ts): run on the board before the firmware is
 * written, in RAM only. It joins the network unless the board is already on it with the same
 * password (rejoining would drop a telnet upload), then `Wifi.save()` stores the station
 * settings in Storage file `.wificfg`, which Espruino applies at every boot before the
 * firmware runs.
 *
 * The tool sends it as one line, wrapped in a function whose parameter WIFI holds the
 * credentials (wifiSaveStatement): no global is left behind, the password included.
 */
import type { EspruinoWifi } from '../../hal/espruino/wifi.ts';

declare const WIFI: { ssid: string; password: string };
declare function require(name: 'Wifi'): EspruinoWifi & Required<Pick<EspruinoWifi, 'getDetails'>> & { save(): void };

var wifi = require('Wifi'),
  now = wifi.getDetails();
if (now.ssid !== WIFI.ssid || now.password !== WIFI.password) wifi.connect(WIFI.ssid, { password: WIFI.password }, function () {});
wifi.save();

/**
 * The board's own readings for the application: analog pins, the chip temperature, free
 * memory and WiFi signal. Every read is guarded: a sensor a build lacks reads NaN, never throws.
 */

/** Espruino globals used here, reached through globalThis: `process` is Espruino's own object there, not Node's. */
interface EspruinoDeviceGlobals {
  analogRead?: (pin: string) => number;
  E?: { getTemperature?: () => number };
  process?: { memory?: (gc?: boolean) => { free: number } };
}

/** The parts of Espruino's Wifi module read here (ESP32 has getStatus().rssi, ESP8266 getDetails().rssi). */
export interface WifiSignal {
  getStatus?: () => { rssi?: number };
  getDetails?: () => { rssi?: number };
}

function device(): EspruinoDeviceGlobals {
  return globalThis as unknown as EspruinoDeviceGlobals;
}

/** Sensors and health figures of an Espruino board. */
export interface EspruinoDevice {
  /** Sensor names: 'analog' (the first analog pin), each analog pin by name, 'temperature', 'memory'. */
  sensorNames: string[];
  readSensor(name: string): number;
  rssi(): number | null;
  freeVars(): number;
}

/** Builds the readings of a board whose analog pins are `analogPins` (e.g. ['D32', …] or ['A0']). */
export function createEspruinoDevice(analogPins: string[], wifi: WifiSignal | null): EspruinoDevice {
  const names = ['analog', 'temperature', 'memory'].concat(analogPins);
  function freeVars(): number {
    const p = device().process;
    // memory(false): no garbage collection just to take a reading.
    return p && p.memory ? p.memory(false).free : NaN;
  }
  return {
    sensorNames: names,
    readSensor: function (name: string): number {
      try {
        const g = device();
        if (name === 'temperature') return g.E && g.E.getTemperature ? g.E.getTemperature() : NaN;
        if (name === 'memory') return freeVars();
        const pin = name === 'analog' ? analogPins[0] : name;
        if (analogPins.indexOf(pin) < 0 || !g.analogRead) return NaN;
        return g.analogRead(pin);
      } catch (_e) {
        return NaN;
      }
    },
    rssi: function (): number | null {
      if (wifi === null) return null;
      try {
        const status = wifi.getStatus ? wifi.getStatus() : null;
        if (status && typeof status.rssi === 'number') return status.rssi;
        const details = wifi.getDetails ? wifi.getDetails() : null;
        return details && typeof details.rssi === 'number' ? details.rssi : null;
      } catch (_e) {
        return null;
      }
    },
    freeVars: freeVars,
  };
}

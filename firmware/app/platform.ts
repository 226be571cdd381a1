import type { Hal } from '../../hal/types';

/** What the application needs from the device beyond the network: sensors and health figures. */
export interface AppPlatform {
  hal: Hal;
  /** Board name reported in the hello message. */
  board: string;
  /** Names of the sensors this device can read. */
  sensorNames: string[];
  /** Reads one sensor; NaN when it cannot. */
  readSensor(name: string): number;
  /** WiFi signal in dBm, or null when unknown. */
  rssi(): number | null;
  /** Free interpreter variables (Espruino) or a comparable free-memory figure. */
  freeVars(): number;
  /** Wall-clock milliseconds since 1970 (as good as the device's clock is). */
  wallClock(): number;
  /** Where the application reports what it does. */
  log(line: string): void;
}

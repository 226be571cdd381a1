/**
 * Pins and on-chip sensors (platform notes §6): pin globals (D0…), analogRead, digitalRead /
 * digitalWrite / pinMode, E.getTemperature. Readings are synthetic but plausible: a slow sine
 * per pin plus a little noise, quantised like the chip's ADC (12-bit on ESP32, 10-bit on ESP8266).
 * The noise comes from the host, never from the board's rand(), which a real ADC does not touch.
 */
import type { BoardObject, BoardRealm } from './context.ts';
import type { BoardProfile } from './profile.ts';

const PERIOD_S = 30;

/** The board's pins and sensors. */
export class BoardSensors {
  private readonly names = new WeakMap<object, string>();
  private readonly levels = new Map<string, number>();

  constructor(
    private readonly realm: BoardRealm,
    private readonly profile: BoardProfile,
  ) {}

  /** Defines the pin globals and the pin functions. */
  install(): void {
    const realm = this.realm;
    const pinPrototype = realm.object();
    const sensors = this;
    realm.methods(pinPrototype, {
      toString(this: object) {
        return sensors.nameOf(this) ?? '';
      },
      valueOf(this: object) {
        return Number((sensors.nameOf(this) ?? '').replace(/^\D+/, ''));
      },
      read(this: object) {
        return sensors.digitalRead(this) === 1;
      },
      write(this: object, value: unknown) {
        sensors.digitalWrite(this, value);
      },
      set(this: object) {
        sensors.digitalWrite(this, 1);
      },
      reset(this: object) {
        sensors.digitalWrite(this, 0);
      },
    });
    for (const name of this.profile.pins) {
      const pin = realm.object({}, pinPrototype);
      this.names.set(pin, name);
      realm.defineGlobal(name, pin);
    }
    realm.defineGlobal(
      'analogRead',
      realm.fn((pin?: unknown) => this.analogRead(pin)),
    );
    realm.defineGlobal(
      'digitalRead',
      realm.fn((pin: unknown) => this.digitalRead(pin)),
    );
    realm.defineGlobal(
      'digitalWrite',
      realm.fn((pin: unknown, value: unknown) => this.digitalWrite(pin, value)),
    );
    realm.defineGlobal(
      'pinMode',
      realm.fn(() => undefined),
    );
  }

  /** E.getTemperature(): ESP32 returns the raw sensor value (about 127, "°F-ish"); ESP8266 has none. */
  temperature(): number {
    if (this.profile.name !== 'esp32') return NaN;
    return Math.round(127 + 3 * Math.sin(now() / 60) + Math.random());
  }

  /** Extra objects of the chip: the ESP32 global or require('ESP8266'). */
  chipObject(): BoardObject {
    const state =
      this.profile.name === 'esp32'
        ? { sdkVersion: 'v3.3.6', freeHeap: 62000, BLE: false, Wifi: true, minHeap: 41000 }
        : { sdkVersion: '2.2.2-dev(38a443e)', cpuFrequency: 160, freeHeap: 11200, maxCon: 10, flashMap: '4MB:1024/1024', flashKB: 4096 };
    const chip = this.realm.object();
    this.realm.methods(chip, { getState: () => this.realm.data(state), setAtten: () => undefined });
    return chip;
  }

  private nameOf(pin: unknown): string | undefined {
    if (typeof pin === 'object' && pin !== null) return this.names.get(pin);
    if (typeof pin === 'string') return pin;
    if (typeof pin === 'number') return `D${pin}`;
    return undefined;
  }

  private analogRead(pin: unknown): number {
    const name = pin === undefined && this.profile.name === 'esp8266' ? 'A0' : this.nameOf(pin);
    const channel = this.profile.analogPins.indexOf(name ?? '');
    if (channel < 0) return NaN;
    const wave = 0.5 + 0.3 * Math.sin((2 * Math.PI * now()) / PERIOD_S + channel) + (Math.random() - 0.5) * 0.02;
    const steps = 2 ** this.profile.adcBits;
    return Math.round(Math.min(1, Math.max(0, wave)) * (steps - 1)) / steps;
  }

  private digitalRead(pin: unknown): number {
    return this.levels.get(this.nameOf(pin) ?? '') ?? 0;
  }

  private digitalWrite(pin: unknown, value: unknown): void {
    const name = this.nameOf(pin);
    if (name) this.levels.set(name, value ? 1 : 0);
  }
}

/** Seconds, as getTime() reads them. */
export function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/**
 * The WiFi link and `require('Wifi')` (platform notes §1).
 *
 * The host controls whether the access point is reachable (drop / restore); the board's code
 * sees the station side: events on transitions only (subscribing while connected fires nothing,
 * espruino/Espruino#1205), getIP() reading 0.0.0.0 while down, connect() completing only when
 * the AP is reachable. Sockets watch the link through onChange (net.ts).
 *
 * Simplified: restore() reconnects by itself on both chips (the ESP8266 SDK does; ESP32 2v29
 * would need Wifi.connect again), and connect() while the AP is out of reach calls back with
 * "no_ap_found" on ESP8266 and only on success (at restore) on ESP32.
 */
import type { BoardObject, BoardRealm } from './context.ts';
import type { BoardEvents } from './events.ts';
import type { BoardLoop } from './loop.ts';
import type { BoardProfile } from './profile.ts';

/** Addresses the board reports while connected. */
export const STATION_IP = { ip: '192.168.4.2', netmask: '255.255.255.0', gw: '192.168.4.1' };
const DOWN_IP = { ip: '0.0.0.0', netmask: '0.0.0.0', gw: '0.0.0.0' };
/** How long an association takes. */
const CONNECT_DELAY_MS = 20;

/** Host-side WiFi state plus the board's Wifi module object. */
export class WifiLink {
  /** The object `require('Wifi')` returns. */
  readonly module: BoardObject;
  private isUp: boolean;
  private apInRange = true;
  private ssid: string;
  private hostname = 'espruino';
  private pendingCallbacks: unknown[] = [];
  private readonly watchers: Array<(up: boolean) => void> = [];

  constructor(
    private readonly realm: BoardRealm,
    private readonly loop: BoardLoop,
    private readonly events: BoardEvents,
    private readonly profile: BoardProfile,
    initial: { ssid?: string; connected?: boolean },
  ) {
    this.ssid = initial.ssid ?? 'simnet';
    this.isUp = initial.connected ?? true;
    this.module = this.createModule();
  }

  /** Whether the station is connected (has an IP). */
  get up(): boolean {
    return this.isUp;
  }

  /** Calls `fn` on every up/down transition, before the board's events are queued. */
  onChange(fn: (up: boolean) => void): void {
    this.watchers.push(fn);
  }

  /** The access point disappears: the link goes down ('disconnected', reason beacon timeout). */
  drop(): void {
    this.apInRange = false;
    this.setUp(false, '200', 'beacon_timeout');
  }

  /** The access point is back: the station reconnects ('connected'). */
  restore(): void {
    this.apInRange = true;
    this.setUp(true);
  }

  private setUp(up: boolean, reason = '8', msg = 'assoc_leave'): void {
    if (this.isUp === up) return;
    this.isUp = up;
    for (const watcher of this.watchers) watcher(up);
    const mac = this.profile.mac;
    if (up) {
      this.events.emit(this.module, 'associated', [this.realm.data({ ssid: this.ssid, mac, channel: '6' })]);
      this.events.emit(this.module, 'connected', [this.realm.data(STATION_IP)]);
      const callbacks = this.pendingCallbacks;
      this.pendingCallbacks = [];
      for (const cb of callbacks) this.loop.queue(cb, undefined, [null]);
    } else {
      const details = this.profile.name === 'esp32' ? { ssid: this.ssid, mac, reason, msg } : { ssid: this.ssid, mac, reason: msg };
      this.events.emit(this.module, 'disconnected', [this.realm.data(details)]);
    }
  }

  private rssi(): number {
    return -55 - Math.floor(Math.random() * 5); // host randomness: must not advance the board's rand()
  }

  private connect(ssid: unknown, options: unknown, callback: unknown): void {
    const cb = typeof options === 'function' ? options : callback;
    const sameNetwork = String(ssid) === this.ssid;
    this.ssid = String(ssid);
    if (this.isUp && sameNetwork) {
      if (cb) this.loop.queue(cb, undefined, [null]);
      return;
    }
    if (this.isUp) this.setUp(false); // joining another network drops the current one
    if (!this.apInRange) {
      if (cb && this.profile.name === 'esp8266') this.loop.after(CONNECT_DELAY_MS, () => this.loop.queue(cb, undefined, ['no_ap_found']));
      else if (cb) this.pendingCallbacks.push(cb);
      return;
    }
    if (cb) this.pendingCallbacks.push(cb);
    this.loop.after(CONNECT_DELAY_MS, () => {
      if (this.apInRange) this.setUp(true);
    });
  }

  private reply(cb: unknown, args: unknown[]): void {
    if (typeof cb === 'function') this.loop.queue(cb, undefined, args);
  }

  private createModule(): BoardObject {
    const realm = this.realm;
    const wifi = realm.object();
    const ipInfo = () => realm.data({ ...(this.isUp ? STATION_IP : DOWN_IP), mac: this.profile.mac });
    const status = () => (this.isUp ? 'connected' : 'off');
    realm.methods(wifi, {
      connect: (ssid: unknown, options: unknown, cb: unknown) => this.connect(ssid, options, cb),
      disconnect: (cb: unknown) => {
        this.setUp(false);
        this.reply(cb, []);
      },
      getIP: (cb: unknown) => {
        this.reply(cb, [null, ipInfo()]);
        return ipInfo();
      },
      getStatus: (cb: unknown) => {
        const info =
          this.profile.name === 'esp32'
            ? { station: status(), ssid: this.ssid, rssi: this.rssi(), channel: 6, mode: 'Station', powersave: 'none' }
            : { station: status(), ap: 'disabled', mode: 'Station', phy: '11n', powersave: 'none', savedMode: 'Station' };
        this.reply(cb, [realm.data(info)]);
        return realm.data(info);
      },
      getDetails: (cb: unknown) => {
        const info = { status: status(), rssi: this.rssi(), ssid: this.ssid, password: '', authMode: 'wpa2' };
        this.reply(cb, [realm.data(info)]);
        return realm.data(info);
      },
      scan: (cb: unknown) => {
        const aps = this.apInRange ? [{ ssid: this.ssid, mac: '02:00:00:00:00:01', authMode: 'wpa2', channel: 6, rssi: this.rssi() }] : [];
        this.reply(cb, [realm.data(aps)]);
      },
      setHostname: (name: unknown, cb: unknown) => {
        this.hostname = String(name);
        this.reply(cb, []);
      },
      getHostname: (cb: unknown) => {
        this.reply(cb, [this.hostname]);
        return this.hostname;
      },
      getHostByName: (host: unknown, cb: unknown) => {
        const name = String(host);
        const ip = !this.isUp ? null : name === 'localhost' ? '127.0.0.1' : /^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : null;
        this.reply(cb, [ip]);
      },
      save: () => undefined,
      setSNTP: () => undefined,
      setConfig: () => undefined,
    });
    return wifi;
  }
}

/**
 * The Wi-Fi station as a WifiLink: whether it has an IP address, and keeping it that way.
 *
 * Events alone are not enough on Espruino: 'connected' does not fire when the station was
 * already up before the listener was added, and ESP32 events are unreliable, so getIP() is
 * also polled. After a drop the ESP8266 SDK retries by itself but ESP32 does not, so
 * wifi.connect is called again, with a doubling delay, until an address comes back.
 */
import type { WifiLink } from '../types';

/** The part of Espruino's Wifi module used here. */
export interface EspruinoWifi {
  getIP(): { ip?: string };
  connect(ssid: string, options: { password?: string | undefined }, callback: (error?: unknown) => void): void;
  /** Station configuration; on both chips it includes the saved ssid and password. */
  getDetails?(): { ssid?: string; password?: string };
  on(event: string, listener: (details?: unknown) => void): void;
  removeListener(event: string, listener: (details?: unknown) => void): void;
}

/** Timing of a WifiLink; every field is optional. */
export interface WifiLinkOptions {
  /** How often getIP() is polled, ms (default 2000). */
  pollInterval?: number;
  /** Delay before the first re-join, ms (default 5000); it doubles up to maxRetryDelay. */
  minRetryDelay?: number;
  /** Largest delay between re-joins, ms (default 60000). */
  maxRetryDelay?: number;
  /** The Wifi module (default `require('Wifi')`), e.g. a fake in tests. */
  wifi?: EspruinoWifi;
}

/** True when `ip` is a real station address. */
export function isUsableIp(ip: unknown): boolean {
  return typeof ip === 'string' && ip !== '' && ip !== '0.0.0.0';
}

/** A WifiLink over Espruino's Wifi module. Nothing runs until start(). */
export function createWifiLink(options?: WifiLinkOptions): WifiLink {
  const o = options || {};
  const pollMs = o.pollInterval || 2000;
  const minDelay = o.minRetryDelay || 5000;
  const maxDelay = o.maxRetryDelay || 60000;
  const listeners: ((up: boolean) => void)[] = [];
  let wifi: EspruinoWifi | null = null;
  let ssid: string | undefined;
  let password: string | undefined;
  let running = false;
  let up = false;
  let delay = minDelay;
  let poll: ReturnType<typeof setInterval> | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  function hasIp(): boolean {
    try {
      return isUsableIp((wifi as EspruinoWifi).getIP().ip);
    } catch (_e) {
      return false;
    }
  }

  function join(): void {
    const w = wifi as EspruinoWifi;
    let name = ssid;
    let pass = password;
    if (name === undefined && w.getDetails) {
      const details = w.getDetails();
      name = details.ssid;
      pass = details.password;
    }
    // Nothing to join: rely on the saved configuration and the SDK's own retries.
    if (!name) return;
    try {
      w.connect(name, { password: pass }, check);
    } catch (_e) {
      // tried again after the next delay
    }
  }

  function rejoin(): void {
    retry = null;
    if (!running || hasIp()) return;
    delay = Math.min(delay * 2, maxDelay);
    join();
  }

  // Also the listener of the Wifi events and of connect (it ignores their arguments), so that
  // stop() removes exactly what start() added, and no closure per event or join is made.
  function check(): void {
    if (!running) return;
    const now = hasIp();
    if (now) {
      delay = minDelay;
      // Without credentials from the caller (they were stored with Wifi.save()), keeps those
      // of the network the board is on: ESP32 reports them only while connected, and a
      // re-join after a drop needs them.
      const w = wifi as EspruinoWifi;
      if (ssid === undefined && w.getDetails) {
        try {
          const details = w.getDetails();
          if (details.ssid) {
            ssid = details.ssid;
            password = details.password;
          }
        } catch (_e) {
          // nothing learnt: the SDK's own retries remain
        }
      }
    } else if (retry === null) retry = setTimeout(rejoin, delay);
    if (now === up) return;
    up = now;
    const list = listeners.slice();
    for (let i = 0; i < list.length; i++) list[i](now);
  }

  function stop(): void {
    if (!running) return;
    running = false;
    const w = wifi as EspruinoWifi;
    w.removeListener('connected', check);
    w.removeListener('disconnected', check);
    if (poll !== null) clearInterval(poll);
    if (retry !== null) clearTimeout(retry);
    poll = null;
    retry = null;
  }

  return {
    isUp: function () {
      return up;
    },
    onChange: function (fn) {
      listeners.push(fn);
    },
    start: function (name?: string, pass?: string) {
      stop();
      wifi = o.wifi || (require('Wifi') as EspruinoWifi);
      ssid = name;
      password = pass;
      running = true;
      delay = minDelay;
      wifi.on('connected', check);
      wifi.on('disconnected', check);
      poll = setInterval(check, pollMs);
      // Already up? 'connected' will not fire for that, so look now (from the event loop).
      setTimeout(check, 0);
      if (name !== undefined && !hasIp()) join();
    },
    stop: stop,
  };
}

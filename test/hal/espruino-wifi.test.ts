/** hal/espruino/wifi.ts against a fake of Espruino's Wifi module, on short real timers. */
import { expect } from 'chai';
import { createWifiLink, type EspruinoWifi, isUsableIp } from '../../hal/espruino/wifi';
import type { WifiLink } from '../../hal/types';
import { tick } from './espruino-fakes';

type Listener = (details?: unknown) => void;

class FakeWifi implements EspruinoWifi {
  ip: string | undefined = '0.0.0.0';
  details = { ssid: 'saved-ssid', password: 'saved-pass' };
  readonly joins: { ssid: string; password?: string | undefined }[] = [];
  private listeners: { [event: string]: Listener[] } = {};

  getIP(): { ip?: string } {
    return this.ip === undefined ? {} : { ip: this.ip };
  }
  connect(ssid: string, options: { password?: string | undefined }): void {
    this.joins.push({ ssid, password: options.password }); // like ESP32 2v29: no callback on failure
  }
  getDetails(): { ssid?: string; password?: string } {
    return this.details;
  }
  on(event: string, listener: Listener): void {
    if (!this.listeners[event]) this.listeners[event] = [];
    this.listeners[event].push(listener);
  }
  removeListener(event: string, listener: Listener): void {
    const list = this.listeners[event] || [];
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }
  fire(event: string): void {
    for (const listener of (this.listeners[event] || []).slice()) listener({});
  }
  listenerCount(): number {
    return Object.values(this.listeners).reduce((n, l) => n + l.length, 0);
  }
}

describe('hal/espruino wifi link (fake Wifi)', () => {
  let wifi: FakeWifi;
  let link: WifiLink;
  let changes: boolean[];

  beforeEach(() => {
    wifi = new FakeWifi();
    link = createWifiLink({ wifi, pollInterval: 5, minRetryDelay: 20, maxRetryDelay: 80 });
    changes = [];
    link.onChange((up) => changes.push(up));
  });
  afterEach(() => link.stop());

  it('tells a usable address from none', () => {
    expect(isUsableIp('192.168.1.7')).to.equal(true);
    for (const ip of ['', '0.0.0.0', undefined, null]) expect(isUsableIp(ip)).to.equal(false);
  });

  it('reports a link that was already up, though no event fires for it', async () => {
    wifi.ip = '10.0.0.2';
    link.start();
    expect(changes).to.deep.equal([]); // never inside start()
    await tick(3);
    expect(changes).to.deep.equal([true]);
    expect(link.isUp()).to.equal(true);
    expect(wifi.joins).to.deep.equal([]); // up already: no join
  });

  it('joins with the given credentials, and notices the address by polling', async () => {
    link.start('home', 'secret');
    expect(wifi.joins).to.deep.equal([{ ssid: 'home', password: 'secret' }]);
    await tick(10);
    expect(link.isUp()).to.equal(false);
    wifi.ip = '10.0.0.2'; // no 'connected' event: ESP32 events are unreliable
    await tick(15);
    expect(changes).to.deep.equal([true]);
  });

  it('re-joins after a drop with a doubling delay, and stops once the address is back', async () => {
    wifi.ip = '10.0.0.2';
    link.start('home', 'secret');
    await tick(10);
    wifi.joins.length = 0;
    const joinedAt: number[] = [];
    const join = wifi.connect.bind(wifi);
    wifi.connect = (ssid, options) => {
      joinedAt.push(Date.now());
      join(ssid, options);
    };
    const droppedAt = Date.now();
    wifi.ip = undefined; // dropped (ESP8266 omits ip when not connected)
    wifi.fire('disconnected');
    expect(changes).to.deep.equal([true, false]);
    for (let waited = 0; joinedAt.length < 3 && waited < 2000; waited += 5) await tick(5);
    expect(joinedAt).to.have.length(3);
    expect(wifi.joins[0]).to.deep.equal({ ssid: 'home', password: 'secret' });
    // Waits (at least) 20, 40, then 80 ms: each gap longer than the one before.
    expect(joinedAt[0] - droppedAt).to.be.at.least(18);
    expect(joinedAt[1] - joinedAt[0]).to.be.at.least(38);
    expect(joinedAt[2] - joinedAt[1]).to.be.at.least(78);
    wifi.ip = '10.0.0.3';
    wifi.fire('connected');
    expect(changes).to.deep.equal([true, false, true]);
    const joins = wifi.joins.length;
    await tick(150);
    expect(wifi.joins).to.have.length(joins);
  });

  it('re-joins the saved network when started without credentials', async () => {
    link.start();
    expect(wifi.joins).to.deep.equal([]);
    await tick(40);
    expect(wifi.joins[0]).to.deep.equal({ ssid: 'saved-ssid', password: 'saved-pass' });
  });

  it('re-joins a network saved with Wifi.save() after a drop on ESP32, which names it only while connected', async () => {
    // ESP32 2v29 getDetails(): ssid and password only while the station is connected.
    wifi.getDetails = () => (wifi.ip === '10.0.0.2' ? { ssid: 'saved-ssid', password: 'saved-pass' } : {});
    wifi.ip = '10.0.0.2'; // Espruino joined at boot from .wificfg
    link.start();
    await tick(10);
    expect(changes).to.deep.equal([true]);
    wifi.ip = undefined;
    wifi.fire('disconnected');
    for (let waited = 0; wifi.joins.length === 0 && waited < 500; waited += 5) await tick(5);
    expect(wifi.joins[0]).to.deep.equal({ ssid: 'saved-ssid', password: 'saved-pass' });
  });

  it('stop() removes its listeners and timers', async () => {
    link.start('home', 'pw');
    expect(wifi.listenerCount()).to.equal(2);
    link.stop();
    expect(wifi.listenerCount()).to.equal(0);
    const joins = wifi.joins.length;
    wifi.ip = '10.0.0.2';
    await tick(60);
    expect(changes).to.deep.equal([]);
    expect(wifi.joins).to.have.length(joins);
  });
});

/**
 * A device stand-in for sink tests: a `ws` client that speaks the device side of the protocol
 * and queues what the sink sends, so tests can await a specific message.
 */
import WebSocket from 'ws';
import { encodeBinary } from '../../tools/sink/decode';
import type { Hello, Metrics, Reading } from '../../firmware/app/wire';
import { at } from '../helpers/at';

export interface SinkMessage {
  type: string;
  [key: string]: unknown;
}

export interface FakeDeviceOptions {
  device: string;
  board?: string;
  boot?: number;
  sensors?: string[];
  encoding?: 'json' | 'binary';
  interval?: number;
  /** False makes the client ignore pings, like a board that vanished. Default true. */
  autoPong?: boolean;
  /** Sent as `Authorization: Bearer <token>` with the handshake, as the firmware does. */
  token?: string | undefined;
}

export class FakeDevice {
  readonly received: SinkMessage[] = [];
  private waiters: Array<() => void> = [];
  readonly device: string;
  readonly board: string;
  readonly boot: number;
  readonly sensors: string[];
  readonly encoding: 'json' | 'binary';
  closed = false;

  private constructor(
    readonly socket: WebSocket,
    options: FakeDeviceOptions,
  ) {
    this.device = options.device;
    this.board = options.board ?? 'esp32';
    this.boot = options.boot ?? 0x1234abcd;
    this.sensors = options.sensors ?? ['analog', 'temperature'];
    this.encoding = options.encoding ?? 'json';
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.received.push(JSON.parse(data.toString()) as SinkMessage);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects and, unless `hello` is false, says hello. */
  static async connect(url: string, options: FakeDeviceOptions, hello = true): Promise<FakeDevice> {
    const headers = options.token === undefined ? undefined : { authorization: `Bearer ${options.token}` };
    const socket = new WebSocket(url, { autoPong: options.autoPong ?? true, headers });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const device = new FakeDevice(socket, options);
    if (hello) device.hello(options.interval ?? 1000);
    return device;
  }

  hello(interval = 1000): void {
    const hello: Hello = { type: 'hello', device: this.device, board: this.board, boot: this.boot, sensors: this.sensors, encoding: this.encoding, interval };
    this.json(hello);
  }

  json(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends a reading in the hello's encoding; values follow the order of `sensors`. */
  reading(seq: number, values: number[] = this.sensors.map((_, i) => seq + i / 10), time = seq * 1000): void {
    if (this.encoding === 'binary') {
      this.socket.send(encodeBinary({ seq, boot: this.boot, time, values }));
    } else {
      const named = Object.fromEntries(this.sensors.map((s, i) => [s, at(values, i, `values for the sensors ${this.sensors.join(', ')}`)]));
      const reading: Reading = { type: 'reading', device: this.device, boot: this.boot, seq, time, values: named };
      this.json(reading);
    }
  }

  /** Sends a reading and waits for the sink's ack; returns the acked seq. */
  async send(seq: number, values?: number[]): Promise<number> {
    const before = this.count('ack');
    this.reading(seq, values);
    const ack = await this.next('ack', before);
    return ack.seq as number;
  }

  metrics(figures: Partial<Omit<Metrics, 'type' | 'device' | 'boot'>>): void {
    this.json({ type: 'metrics', device: this.device, boot: this.boot, ...figures });
  }

  count(type: string): number {
    return this.received.filter((m) => m.type === type).length;
  }

  /** The message of `type` after the first `skip` ones, waiting up to `timeout` ms. */
  async next(type: string, skip = 0, timeout = 2000): Promise<SinkMessage> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.received.filter((m) => m.type === type)[skip];
      if (found) return found;
      if (this.closed) throw new Error(`${this.device}: closed while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.device}: no ${type} within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** The HTTP status the sink answers a WebSocket handshake with (101 when it accepts). */
export async function handshakeStatus(url: string, headers?: { [name: string]: string }): Promise<number> {
  const socket = new WebSocket(url, { headers });
  socket.on('error', () => {});
  return new Promise<number>((resolve) => {
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
  });
}

/** Polls `check` until it returns true, up to `timeout` ms. */
export async function eventually(check: () => boolean, timeout = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

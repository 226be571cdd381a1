import type { TimerId } from '../../hal/types';
import { WebSocket } from '../websocket';
import type { AppConfig } from './config';
import { readingBinary, readingJson } from './encode';
import type { AppPlatform } from './platform';
import { ReadingBuffer } from './readings';
import { commandError, SUBPROTOCOL, type Hello, type Metrics } from './wire';

/** Bytes queued in the client beyond which no further reading is handed over: pacing by backpressure. */
const QUEUE_HIGH_WATER = 2048;

/**
 * The sensor-streaming application: samples on a timer into a ring buffer, streams readings in
 * order to the sink, keeps them until acknowledged, resends the unacknowledged ones after a
 * reconnect, answers the sink's commands, and reports metrics.
 */
export class SensorStreamer {
  readonly boot: number;
  private config: AppConfig;
  private platform: AppPlatform;
  private buffer: ReadingBuffer;
  private ws: WebSocket | null = null;
  private seq = 0;
  private lastSent = 0;
  private lastAcked = 0;
  private helloSent = false;
  private sampleTimer: TimerId | null = null;
  private metricsTimer: TimerId | null = null;
  private started = 0;

  constructor(config: AppConfig, platform: AppPlatform) {
    this.config = config;
    this.platform = platform;
    this.buffer = new ReadingBuffer(config.bufferCapacity, config.sensors.length);
    const random = new Uint8Array(4);
    platform.hal.entropy.fill(random);
    this.boot = ((random[0] << 24) | (random[1] << 16) | (random[2] << 8) | random[3]) >>> 0;
  }

  /** Readings waiting in the buffer (unsent or unacknowledged). */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Readings dropped because the buffer overflowed. */
  get dropped(): number {
    return this.buffer.dropped;
  }

  start(): void {
    const self = this;
    const config = this.config;
    this.started = this.platform.hal.clock.now();
    const ws = new WebSocket(config.server, [SUBPROTOCOL], {
      hal: this.platform.hal,
      reconnect: { minDelay: config.reconnectMinDelay, maxDelay: config.reconnectMaxDelay },
      pingInterval: config.pingInterval,
      pongTimeout: config.pongTimeout,
      maxBufferedAmount: 8192,
      headers: config.token === '' ? {} : { Authorization: 'Bearer ' + config.token },
    });
    this.ws = ws;
    ws.on('open', function () { self.opened(); });
    ws.on('message', function (event) { self.received(event.data); });
    ws.on('close', function (event) {
      self.helloSent = false;
      // The buffer keeps every unacknowledged reading; the next connection starts with a hello.
      ws.discardQueued();
      self.platform.log(`connection closed: ${event.code}${event.willReconnect ? ', reconnecting' : ''}`);
    });
    ws.on('error', function (event) { self.platform.log(`connection error: ${event.kind} ${event.message}`); });
    this.scheduleSample();
    this.scheduleMetrics();
  }

  stop(): void {
    const clock = this.platform.hal.clock;
    if (this.sampleTimer !== null) clock.clearTimeout(this.sampleTimer);
    if (this.metricsTimer !== null) clock.clearTimeout(this.metricsTimer);
    this.sampleTimer = null;
    this.metricsTimer = null;
    if (this.ws !== null) this.ws.close(1001, 'stopping');
  }

  // ---- sampling -------------------------------------------------------------------------

  private scheduleSample(): void {
    const self = this;
    this.sampleTimer = this.platform.hal.clock.setTimeout(function () {
      self.sample();
      self.scheduleSample();
    }, this.config.sampleInterval);
  }

  private sample(): void {
    const sensors = this.config.sensors;
    const values: number[] = [];
    for (let i = 0; i < sensors.length; i++) values.push(this.platform.readSensor(sensors[i]));
    this.seq++;
    this.buffer.push(this.seq, this.platform.wallClock(), values);
    this.pump();
  }

  private scheduleMetrics(): void {
    if (this.config.metricsInterval === 0) return;
    const self = this;
    this.metricsTimer = this.platform.hal.clock.setTimeout(function () {
      self.sendMetrics();
      self.scheduleMetrics();
    }, this.config.metricsInterval);
  }

  // ---- streaming ------------------------------------------------------------------------

  private opened(): void {
    const config = this.config;
    const ws = this.ws as WebSocket;
    const hello: Hello = {
      type: 'hello', device: config.deviceId, board: this.platform.board, boot: this.boot,
      sensors: config.sensors, encoding: config.encoding, interval: config.sampleInterval,
    };
    ws.send(JSON.stringify(hello));
    this.helloSent = true;
    // Whatever was sent and not acknowledged may be lost with the old connection: send it again.
    this.lastSent = this.lastAcked;
    this.pump();
  }

  /** Hands readings over in order while the window and the client's queue allow. */
  private pump(): void {
    const ws = this.ws;
    if (ws === null || !this.helloSent || ws.readyState !== WebSocket.OPEN) return;
    const buffer = this.buffer;
    let next = buffer.indexAfter(this.lastSent);
    while (next < buffer.size && next < this.config.window && ws.bufferedAmount < QUEUE_HIGH_WATER) {
      const message = this.config.encoding === 'binary'
        ? readingBinary(buffer, next, this.boot)
        : readingJson(buffer, next, this.config.deviceId, this.boot, this.config.sensors);
      if (!ws.send(message)) return;
      this.lastSent = buffer.seqAt(next);
      next++;
    }
  }

  private received(data: unknown): void {
    if (typeof data !== 'string') return this.reply({ type: 'error', id: null, error: 'binary messages are not understood' });
    let message: { [field: string]: unknown };
    try {
      message = JSON.parse(data);
    } catch (e) {
      return this.reply({ type: 'error', id: null, error: 'malformed JSON' });
    }
    if (message === null || typeof message !== 'object') return this.reply({ type: 'error', id: null, error: 'expected a JSON object' });
    if (message.type === 'ack') {
      const seq = message.seq;
      if (typeof seq === 'number' && seq > this.lastAcked && seq <= this.seq) {
        this.lastAcked = seq;
        if (this.lastSent < seq) this.lastSent = seq;
        this.buffer.acknowledge(seq);
      }
      return this.pump();
    }
    if (message.type === 'command') return this.command(message);
    this.reply({ type: 'error', id: null, error: `unknown message type ${JSON.stringify(message.type)}` });
  }

  private command(message: { [field: string]: unknown }): void {
    const id = message.id === undefined ? null : message.id;
    const refused = commandError(message);
    if (refused !== '') return this.reply({ type: 'error', id: id, error: refused });
    if (message.command === 'set-interval') {
      const interval = message.interval as number;
      this.config.sampleInterval = interval;
      if (this.sampleTimer !== null) this.platform.hal.clock.clearTimeout(this.sampleTimer);
      this.scheduleSample();
      this.platform.log(`sample interval set to ${interval} ms`);
      return this.reply({ type: 'ack', id: id });
    }
    // commandError let through only set-interval and report-metrics.
    this.sendMetrics();
    this.reply({ type: 'ack', id: id });
  }

  private sendMetrics(): void {
    const ws = this.ws;
    if (ws === null) return;
    const metrics: Metrics = {
      type: 'metrics', device: this.config.deviceId, boot: this.boot, rssi: this.platform.rssi(),
      freeVars: this.platform.freeVars(), reconnects: ws.reconnects, dropped: this.buffer.dropped, rtt: ws.rtt,
      uptime: Math.round(this.platform.hal.clock.now() - this.started), buffered: this.buffer.size,
    };
    this.reply(metrics);
  }

  private reply(message: object): void {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }
}

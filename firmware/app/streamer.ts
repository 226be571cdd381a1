import type { TimerId } from '../../hal/types';
import { backoffDelay } from '../backoff';
import { WebSocket, type CloseEvent, type ErrorEvent } from '../websocket';
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
 *
 * The client gives up after a fatal reply (HTTP 404, close 1008, a message too big, …), which
 * is right for interactive use; a board in the field must not stay silent until someone
 * power-cycles it, so the app then opens a new client on a slow schedule of its own.
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
  /** Connections opened so far. */
  private opens = 0;
  /** The first error of the current connection attempt: it says why a close came. */
  private lastError: ErrorEvent | null = null;
  /** The last failure the client would not retry, reported in the metrics. */
  private fatal: { code: number; message: string } | null = null;
  private fatalAttempt = 0;
  private retryTimer: TimerId | null = null;
  private stopping = false;

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
    this.started = this.platform.hal.clock.now();
    this.stopping = false;
    this.connect();
    this.scheduleSample();
    this.scheduleMetrics();
  }

  stop(): void {
    const clock = this.platform.hal.clock;
    this.stopping = true;
    if (this.sampleTimer !== null) clock.clearTimeout(this.sampleTimer);
    if (this.metricsTimer !== null) clock.clearTimeout(this.metricsTimer);
    if (this.retryTimer !== null) clock.clearTimeout(this.retryTimer);
    this.sampleTimer = null;
    this.metricsTimer = null;
    this.retryTimer = null;
    if (this.ws !== null && this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1001, 'stopping');
  }

  private connect(): void {
    const self = this;
    const config = this.config;
    this.retryTimer = null;
    this.lastError = null;
    const ws = new WebSocket(config.server, [SUBPROTOCOL], {
      hal: this.platform.hal,
      reconnect: { minDelay: config.reconnectMinDelay, maxDelay: config.reconnectMaxDelay },
      pingInterval: config.pingInterval,
      pongTimeout: config.pongTimeout,
      maxBufferedAmount: 8192,
      headers: config.token === '' ? {} : { Authorization: 'Bearer ' + config.token },
    });
    this.ws = ws;
    ws.on('open', function () {
      self.opened();
    });
    ws.on('message', function (event) {
      self.received(event.data);
    });
    ws.on('close', function (event) {
      self.closed(ws, event);
    });
    ws.on('error', function (event) {
      if (self.lastError === null) self.lastError = event;
      self.platform.log(`connection error: ${event.kind} ${event.message}`);
    });
  }

  private closed(ws: WebSocket, event: CloseEvent): void {
    const error = this.lastError;
    this.lastError = null;
    this.helloSent = false;
    // The buffer keeps every unacknowledged reading; the next connection starts with a hello.
    ws.discardQueued();
    this.platform.log(`connection closed: ${event.code}${event.willReconnect ? ', reconnecting' : ''}`);
    if (event.willReconnect || this.stopping) return;
    // The client gave up: an HTTP status says why, else the close code does.
    const fatal = {
      code: error !== null && error.status > 0 ? error.status : event.code,
      message: error !== null ? error.message : event.reason,
    };
    this.fatal = fatal;
    // Spreading a fleet's retries needs no secret: a failed entropy source (itself a fatal
    // failure) must not stop the retry, so Math.random stands in for it.
    let draw = Math.random();
    try {
      const random = new Uint8Array(2);
      this.platform.hal.entropy.fill(random);
      draw = ((random[0] << 8) | random[1]) / 65536;
    } catch (_e) {
      /* keep Math.random's draw */
    }
    const config = this.config;
    const delay = backoffDelay({ minDelay: config.fatalRetryMinDelay, maxDelay: config.fatalRetryMaxDelay, maxAttempts: 0 }, this.fatalAttempt++, draw);
    this.platform.log(`connection refused for good (${fatal.code} ${fatal.message}): trying again in ${Math.round(delay / 1000)} s`);
    const self = this;
    this.retryTimer = this.platform.hal.clock.setTimeout(function () {
      self.connect();
    }, delay);
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
    this.opens++;
    const ws = this.ws as WebSocket;
    const hello: Hello = {
      type: 'hello',
      device: config.deviceId,
      board: this.platform.board,
      boot: this.boot,
      sensors: config.sensors,
      encoding: config.encoding,
      interval: config.sampleInterval,
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
      const message =
        this.config.encoding === 'binary'
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
    } catch (_e) {
      return this.reply({ type: 'error', id: null, error: 'malformed JSON' });
    }
    if (message === null || typeof message !== 'object') return this.reply({ type: 'error', id: null, error: 'expected a JSON object' });
    if (message.type === 'ack') {
      // The sink takes our readings: the slow schedule for fatal failures starts over.
      this.fatalAttempt = 0;
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
      type: 'metrics',
      device: this.config.deviceId,
      boot: this.boot,
      rssi: this.platform.rssi(),
      freeVars: this.platform.freeVars(),
      reconnects: this.opens > 0 ? this.opens - 1 : 0,
      dropped: this.buffer.dropped,
      rtt: ws.rtt,
      uptime: Math.round(this.platform.hal.clock.now() - this.started),
      buffered: this.buffer.size,
      fatal: this.fatal,
    };
    this.reply(metrics);
  }

  private reply(message: object): void {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }
}

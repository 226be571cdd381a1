/**
 * In-memory state of every device the sink has heard from: counters, the last reading and
 * metrics, recent commands, and a bounded window of readings for the dashboard chart.
 */
import { MalformedMessage, type Command, type CommandAck, type CommandError, type Hello, type Metrics, type Reading } from './decode';

/** A reading as kept for the chart; `at` is when the sink received it (epoch ms). */
export interface StoredReading {
  seq: number;
  boot: number;
  time: number;
  at: number;
  values: { [sensor: string]: number | null };
}

/** The device's last metrics message; `at` is when the sink received it. */
export type DeviceMetrics = Omit<Metrics, 'type' | 'device'> & { at: number };

/** A command sent to a device and what became of it. */
export interface CommandRecord {
  id: string;
  command: Command;
  sent: number;
  status: 'sent' | 'acked' | 'error';
  error?: string;
}

/** Everything the sink knows about one device: what its latest hello said, and more. */
export interface DeviceState extends Omit<Hello, 'type'> {
  /** True while the device's latest socket is open. */
  connected: boolean;
  /** Connections seen by the sink (hellos), across boots. */
  connects: number;
  /** Unique readings stored. */
  received: number;
  duplicates: number;
  /** Times seq jumped forward within a boot. */
  gaps: number;
  /** Readings skipped by those jumps. */
  missing: number;
  malformed: number;
  /** Highest seq received in order for the current boot (0 before the first reading). */
  lastSeq: number;
  last: StoredReading | null;
  metrics: DeviceMetrics | null;
  /** The most recent commands, oldest first. */
  commands: CommandRecord[];
  firstSeen: number;
  lastSeen: number;
}

/** Per-device counters, the shape of GET /api/stats. */
export interface DeviceStats {
  received: number;
  gaps: number;
  missing: number;
  duplicates: number;
  lastSeq: number;
  connected: boolean;
  boot: number;
  connects: number;
  /** Readings the device dropped from its full buffer (from its last metrics; 0 before any). */
  dropped: number;
  /** Round-trip time from the device's last metrics, ms; -1 when unknown. */
  rtt: number;
  malformed: number;
}

/** GET /api/stats. `unidentified` counts malformed input from connections that sent no valid hello. */
export interface Stats {
  devices: { [device: string]: DeviceStats };
  unidentified: { malformed: number };
}

/** What became of a reading: stored, or a resend of one already stored. */
export interface ReadingOutcome {
  duplicate: boolean;
  /** Readings skipped just before this one (0 when in order). */
  missing: number;
  /** The cumulative ack to send back. */
  ack: number;
}

const KEEP_COMMANDS = 10;

/** Device states plus a window of the last `keep` readings per device. */
export class Store {
  private readonly states = new Map<string, DeviceState>();
  private readonly windows = new Map<string, StoredReading[]>();
  private unidentifiedMalformed = 0;

  /** Last seq per device and boot, known from an earlier run (the JSON-lines file). */
  private readonly history = new Map<string, { boot: number; lastSeq: number }>();
  /** Devices whose current boot this sink has no history of, until their first reading. */
  private readonly unanchored = new Set<string>();

  constructor(
    private readonly keep = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers what an earlier run of the sink received, so a restart neither repeats nor misses a reading. */
  remember(device: string, boot: number, lastSeq: number): void {
    const known = this.history.get(device);
    if (!known || known.boot !== boot || known.lastSeq < lastSeq) this.history.set(device, { boot, lastSeq });
  }

  /** A device said hello on a new connection. A new boot restarts the seq count. */
  hello(hello: Hello): DeviceState {
    const at = this.now();
    let state = this.states.get(hello.device);
    if (!state) {
      state = {
        device: hello.device,
        board: hello.board,
        boot: hello.boot,
        sensors: [],
        encoding: hello.encoding,
        interval: hello.interval,
        connected: false,
        connects: 0,
        received: 0,
        duplicates: 0,
        gaps: 0,
        missing: 0,
        malformed: 0,
        lastSeq: 0,
        last: null,
        metrics: null,
        commands: [],
        firstSeen: at,
        lastSeen: at,
      };
      this.states.set(hello.device, state);
      this.windows.set(hello.device, []);
    }
    if (state.boot !== hello.boot || state.connects === 0) {
      const known = this.history.get(hello.device);
      state.lastSeq = known && known.boot === hello.boot ? known.lastSeq : 0;
      // A boot this sink never saw began before it started: its first reading sets the baseline.
      if (state.lastSeq === 0) this.unanchored.add(hello.device);
      else this.unanchored.delete(hello.device);
    }
    Object.assign(state, {
      board: hello.board,
      boot: hello.boot,
      sensors: hello.sensors.slice(),
      encoding: hello.encoding,
      interval: hello.interval,
      connected: true,
      lastSeen: at,
    });
    state.connects++;
    return state;
  }

  /**
   * Stores a reading of the device's current boot, or counts it as a duplicate when its seq is
   * not above the last one (the device resends unacknowledged readings after a reconnect).
   */
  reading(reading: Reading): ReadingOutcome {
    const state = this.known(reading.device);
    if (reading.boot !== state.boot) throw new MalformedMessage(`reading: boot ${reading.boot} is not the boot of the hello (${state.boot})`);
    state.lastSeen = this.now();
    if (reading.seq <= state.lastSeq) {
      state.duplicates++;
      return { duplicate: true, missing: 0, ack: state.lastSeq };
    }
    if (this.unanchored.delete(reading.device)) state.lastSeq = reading.seq - 1;
    const missing = reading.seq - state.lastSeq - 1;
    if (missing > 0) {
      state.gaps++;
      state.missing += missing;
    }
    state.lastSeq = reading.seq;
    state.received++;
    const stored: StoredReading = { seq: reading.seq, boot: reading.boot, time: reading.time, at: state.lastSeen, values: reading.values };
    state.last = stored;
    const window = this.windows.get(reading.device)!;
    window.push(stored);
    if (window.length > this.keep) window.shift();
    return { duplicate: false, missing, ack: state.lastSeq };
  }

  metrics(metrics: Metrics): void {
    const state = this.known(metrics.device);
    state.lastSeen = this.now();
    const { type: _type, device: _device, ...figures } = metrics;
    state.metrics = { ...figures, at: state.lastSeen };
  }

  commandSent(device: string, id: string, command: Command): void {
    const state = this.known(device);
    state.commands.push({ id, command, sent: this.now(), status: 'sent' });
    if (state.commands.length > KEEP_COMMANDS) state.commands.shift();
  }

  /** Records a device's ack or error for a command; false when no such command is on record. */
  commandReply(device: string, reply: CommandAck | CommandError): boolean {
    const state = this.known(device);
    state.lastSeen = this.now();
    const record = state.commands.find((c) => c.id === reply.id);
    if (!record) return false;
    record.status = reply.type === 'ack' ? 'acked' : 'error';
    if (reply.type === 'error') record.error = reply.error;
    // The device runs at the new interval from its ack on; its next hello will say so too.
    if (reply.type === 'ack' && record.command.command === 'set-interval') state.interval = record.command.interval;
    return true;
  }

  /** Counts malformed input against a device, or against no one before a valid hello. */
  malformed(device: string | null): void {
    const state = device === null ? undefined : this.states.get(device);
    if (state) state.malformed++;
    else this.unidentifiedMalformed++;
  }

  setConnected(device: string, connected: boolean): void {
    const state = this.known(device);
    state.connected = connected;
    state.lastSeen = this.now();
  }

  /** The device's latest stored reading (shared, not a copy), or null. */
  lastReading(device: string): StoredReading | null {
    return this.states.get(device)?.last ?? null;
  }

  has(device: string): boolean {
    return this.states.has(device);
  }

  /** Readings of the device's current boot with seq above `since`, oldest first; undefined for an unknown device. */
  readings(device: string, since = 0): StoredReading[] | undefined {
    const state = this.states.get(device);
    if (!state) return undefined;
    return this.windows.get(device)!.filter((r) => r.boot === state.boot && r.seq > since);
  }

  /** A snapshot (deep copy) of every device, in order of first contact. */
  devices(): DeviceState[] {
    return [...this.states.values()].map((s) => structuredClone(s));
  }

  device(device: string): DeviceState | undefined {
    const state = this.states.get(device);
    return state && structuredClone(state);
  }

  stats(): Stats {
    const devices: Stats['devices'] = {};
    for (const s of this.states.values()) {
      devices[s.device] = {
        received: s.received,
        gaps: s.gaps,
        missing: s.missing,
        duplicates: s.duplicates,
        lastSeq: s.lastSeq,
        connected: s.connected,
        boot: s.boot,
        connects: s.connects,
        dropped: s.metrics?.dropped ?? 0,
        rtt: s.metrics?.rtt ?? -1,
        malformed: s.malformed,
      };
    }
    return { devices, unidentified: { malformed: this.unidentifiedMalformed } };
  }

  private known(device: string): DeviceState {
    const state = this.states.get(device);
    if (!state) throw new Error(`unknown device ${device}`);
    return state;
  }
}

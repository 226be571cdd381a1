/**
 * Server-sent events for the dashboard (GET /api/events): a snapshot of every device when a
 * page connects, then each changed device with its new readings, pushed as it happens. Changes
 * are gathered for a short moment and sent together, so a burst of readings (a board resending
 * its backlog) costs one event per device rather than one per reading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceState, StoredReading, Store } from './store';

/** The data of one `device` event. `snapshot` readings replace what the page holds; otherwise they are appended. */
export interface DeviceEvent {
  state: DeviceState;
  readings: StoredReading[];
  snapshot: boolean;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly fresh = new Map<string, StoredReading[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly gatherMs = 100,
  ) {}

  /** Serves one page's event stream until it goes away. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // The browser reconnects by itself after a sink restart; 2 s keeps the page close behind.
    res.write('retry: 2000\n\n');
    for (const state of this.store.devices()) send(res, { state, readings: this.store.readings(state.device) ?? [], snapshot: true });
    this.clients.add(res);
    req.once('close', () => this.clients.delete(res));
  }

  /** Something about `device` changed (hello, metrics, command, close…). */
  changed(device: string): void {
    if (this.clients.size === 0) return;
    if (!this.fresh.has(device)) this.fresh.set(device, []);
    this.timer ??= setTimeout(() => this.flush(), this.gatherMs);
  }

  /** `device` stored a new reading. */
  reading(device: string, reading: StoredReading): void {
    if (this.clients.size === 0) return;
    this.changed(device);
    this.fresh.get(device)!.push(reading);
  }

  /** Ends every stream (the sink is closing). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private flush(): void {
    this.timer = null;
    for (const [device, readings] of this.fresh) {
      const state = this.store.device(device);
      if (!state) continue;
      for (const res of this.clients) send(res, { state, readings, snapshot: false });
    }
    this.fresh.clear();
  }
}

function send(res: ServerResponse, event: DeviceEvent): void {
  res.write(`event: device\ndata: ${JSON.stringify(event)}\n\n`);
}

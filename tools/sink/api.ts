/**
 * The sink's HTTP side: the dashboard page and a small JSON API.
 *
 *   GET  /                                   the dashboard (HTML)
 *   GET  /api/events                         server-sent events: every device, then each change (events.ts)
 *   GET  /vendor/uPlot.iife.min.js, …min.css the chart library, from node_modules (no CDN: LANs often have no internet)
 *   GET  /api/stats                          per-device counters
 *   GET  /api/devices                        every device's full state
 *   GET  /api/devices/<id>                   one device's full state
 *   GET  /api/devices/<id>/readings?since=N  readings of its current boot with seq > N
 *   POST /api/devices/<id>/command           {"command":"set-interval","interval":500} or {"command":"report-metrics"}
 *
 * With an admin token set, every route needs it: `Authorization: Bearer <admin>`, or the cookie
 * that opening `/?token=<admin>` once sets in a browser (HttpOnly, SameSite=Strict, so another
 * site cannot post commands with it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { EventHub } from './events';
import { bearer, sameToken } from './auth';
import { parseCommand, type Command } from './decode';
import type { Store } from './store';

/** Outcome of sending a command: its id, or why it was not sent. */
export type Delivery = { id: string } | 'unknown' | 'disconnected';

/** What the routes need from the sink. */
export interface ApiContext {
  store: Store;
  deliver(deviceId: string, command: Command): Delivery;
  page: string;
  /** The admin token every route requires; null = open (loopback quick start). */
  admin: string | null;
  events: EventHub;
}

/** Files of the uPlot package the dashboard loads, by URL path. */
const VENDOR: { [path: string]: { file: string; type: string } } = {
  '/vendor/uPlot.iife.min.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
};
const vendorCache = new Map<string, Buffer>();

function vendorFile(name: string): Buffer {
  let bytes = vendorCache.get(name);
  if (!bytes) {
    // require.resolve finds uplot wherever npm put it; its main file sits in dist/ with the others.
    const dist = path.dirname(createRequire(import.meta.url).resolve('uplot'));
    bytes = readFileSync(path.join(dist, name));
    vendorCache.set(name, bytes);
  }
  return bytes;
}

const COOKIE = 'sink_admin';

const MAX_BODY = 16 * 1024;

/** A node:http request listener for the routes above. */
export function createApi(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(ctx, req, res).catch((error: Error) => {
      if (!res.headersSent) json(res, 500, { error: error.message });
      else res.destroy();
    });
  };
}

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sink');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  // The chart library is public code: served without the admin token, like any CDN would.
  const vendor = VENDOR[path];
  if (vendor) {
    return get(req, res, () => {
      res.writeHead(200, { 'content-type': vendor.type, 'cache-control': 'public, max-age=86400' });
      res.end(req.method === 'HEAD' ? undefined : vendorFile(vendor.file));
    });
  }

  if (ctx.admin !== null) {
    const given = url.searchParams.get('token');
    if (path === '/' && given !== null) {
      if (!sameToken(given, ctx.admin)) return json(res, 401, { error: 'wrong admin token' });
      // The token leaves the address bar at once; the cookie carries it from now on.
      res.writeHead(303, { location: '/', 'set-cookie': `${COOKIE}=${ctx.admin}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    const token = bearer(req.headers.authorization) ?? cookie(req, COOKIE);
    if (token === null || !sameToken(token, ctx.admin)) {
      res.setHeader('www-authenticate', 'Bearer realm="sink"');
      return json(res, 401, { error: 'admin token required: send Authorization: Bearer <admin token>, or open /?token=<admin token> in the browser' });
    }
  }

  if (path === '/' || path === '/index.html') {
    if (method !== 'GET' && method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : ctx.page);
    return;
  }
  if (path === '/api/events') return get(req, res, () => ctx.events.attach(req, res));
  if (path === '/api/stats') return get(req, res, () => json(res, 200, ctx.store.stats()));
  if (path === '/api/devices') return get(req, res, () => json(res, 200, ctx.store.devices()));

  // /api/devices/<id>[/readings|/command]; ids are URL-encoded.
  const match = /^\/api\/devices\/([^/]+)(?:\/(readings|command))?$/.exec(path);
  if (!match) return json(res, 404, { error: 'not found' });
  const [, encodedId, part] = match;
  // The pattern's first group is not optional, so it is there whenever the pattern matched.
  if (encodedId === undefined) throw new Error(`api: ${path} matched the device route without an id`);
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return json(res, 400, { error: 'bad device id' });
  }
  if (!ctx.store.has(id)) return json(res, 404, { error: 'unknown device' });

  if (!part) return get(req, res, () => json(res, 200, ctx.store.device(id)));
  if (part === 'readings') {
    return get(req, res, () => {
      const since = Number(url.searchParams.get('since') ?? 0);
      if (!Number.isFinite(since)) return json(res, 400, { error: 'since must be a number' });
      const device = ctx.store.device(id)!;
      json(res, 200, { device: id, boot: device.boot, sensors: device.sensors, lastSeq: device.lastSeq, readings: ctx.store.readings(id, since) });
    });
  }

  if (method !== 'POST') return json(res, 405, { error: 'use POST' });
  const body = await readBody(req);
  if (body === null) {
    res.setHeader('connection', 'close');
    return json(res, 413, { error: `body over ${MAX_BODY} bytes` });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return json(res, 400, { error: 'bad JSON' });
  }
  const command = parseCommand(parsed);
  if (typeof command === 'string') return json(res, 400, { error: command });
  const delivery = ctx.deliver(id, command);
  if (delivery === 'unknown') return json(res, 404, { error: 'unknown device' });
  if (delivery === 'disconnected') return json(res, 409, { error: 'device not connected' });
  json(res, 200, delivery);
}

/** The value of cookie `name`, or null. */
function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

function get(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  answer();
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** The request body as text, or null as soon as it is larger than MAX_BODY (the rest is drained unread). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) resolve(null);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The dashboard page. It lives in dashboard.html (inline CSS and JS; the chart library comes from the sink, /vendor/) so it
 * can be edited as HTML; this reads it once per sink start.
 */
import { readFileSync } from 'node:fs';

/** The dashboard's HTML. */
export function dashboardHtml(): string {
  return readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');
}

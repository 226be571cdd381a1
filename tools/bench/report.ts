/**
 * What a bench section is, and the helpers sections share to print their results.
 */

/** What `npm run bench` hands every section. */
export interface BenchContext {
  /** `--quick`: much shorter rounds, for a smoke run in a few seconds. */
  quick: boolean;
  /** Prints one line of the report. */
  log(line: string): void;
  /** Options with a value from the command line, without the dashes: `--bin PATH` gives `{ bin: 'PATH' }`. */
  flags?: Record<string, string>;
}

/** One part of the bench (host codec, interpreter, …): each lives in its own file. */
export interface BenchSection {
  /** Short name used to pick sections on the command line, e.g. `host`. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<void>;
}

/** 16 → "16B", 1024 → "1KiB", 65536 → "64KiB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

/** A rate or size: whole numbers from 100 up, three significant digits below. */
export function formatNumber(value: number): string {
  if (!isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

/** A count with an SI suffix: 1234567 → "1.23M". */
export function formatCount(value: number): string {
  if (!isFinite(value)) return String(value);
  if (value >= 1e9) return formatNumber(value / 1e9) + 'G';
  if (value >= 1e6) return formatNumber(value / 1e6) + 'M';
  if (value >= 1e3) return formatNumber(value / 1e3) + 'k';
  return formatNumber(value);
}

export function formatRatio(ratio: number): string {
  return ratio.toFixed(2);
}

/**
 * Lays out rows under a header; the first column is left-aligned, the others right-aligned.
 * @throws Error naming the row when it has not one cell per header column.
 */
export function formatTable(header: string[], rows: string[][]): string[] {
  for (const [index, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new Error(`formatTable: row ${index} has ${row.length} cells for ${header.length} columns (${header.join(', ')})`);
    }
  }
  const cell = (cells: string[], column: number): string => {
    const text = cells[column];
    if (text === undefined) throw new Error(`formatTable: no cell in column ${column} (${header[column]})`);
    return text;
  };
  const widths = header.map((h, column) => Math.max(h.length, ...rows.map((row) => cell(row, column).length)));
  const line = (cells: string[]): string =>
    widths
      .map((width, column) => (column === 0 ? cell(cells, column).padEnd(width) : cell(cells, column).padStart(width)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** `decode binary 8KiB: ours 1234 MB/s, ws 1000 MB/s, ratio 1.23` */
export function summaryLine(name: string, size: number, oursMBps: number, wsMBps: number, ratio: number): string {
  return `${name} ${formatSize(size)}: ours ${formatNumber(oursMBps)} MB/s, ws ${formatNumber(wsMBps)} MB/s, ratio ${formatRatio(ratio)}`;
}

/** The median; NaN for no values (the reports print it as '-'). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  // The two middle values; the same one when the count is odd.
  const lower = sorted[(sorted.length - 1) >> 1];
  const upper = sorted[sorted.length >> 1];
  if (lower === undefined || upper === undefined) return NaN;
  return lower === upper ? upper : (lower + upper) / 2;
}

/**
 * The JSON-lines file: one line per message a device sent, valid or not, so a run can be
 * replayed or audited after the in-memory window has moved on.
 */
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';

/** One line of the file. `message` is the decoded message (binary readings too); `raw` and `error` are set for malformed input. */
export interface JournalEntry {
  /** When the sink received it, epoch ms. */
  at: number;
  /** The connection's device id, null before a valid hello. */
  device: string | null;
  frame: 'text' | 'binary';
  message?: unknown;
  /** The text, or base64 of the bytes, of a malformed message. */
  raw?: string;
  error?: string;
}

/** Appends entries to a file; `close()` flushes. */
export interface Journal {
  write(entry: JournalEntry): void;
  close(): Promise<void>;
}

/** Opens `file` for appending; rejects at once when it cannot be written (missing folder, no permission). */
export async function openJournal(file: string, log: (line: string) => void): Promise<Journal> {
  await appendFile(file, '');
  const stream: WriteStream = createWriteStream(file, { flags: 'a' });
  // A full disk must not crash the sink: log once and keep serving from memory.
  let failed = false;
  stream.on('error', (error) => {
    if (!failed) log(`journal ${file}: ${error.message}`);
    failed = true;
  });
  let closed: Promise<void> | undefined;
  return {
    write(entry) {
      if (!failed && !closed) stream.write(JSON.stringify(entry) + '\n');
    },
    close() {
      closed ??= new Promise((resolve) => {
        if (stream.destroyed) resolve();
        else stream.end(() => resolve());
        stream.once('error', () => resolve());
      });
      return closed;
    },
  };
}

/** The last reading (device, boot, seq) of each device found in an existing journal file. */
export function lastReadings(file: string): { device: string; boot: number; seq: number }[] {
  if (!existsSync(file)) return [];
  const last = new Map<string, { device: string; boot: number; seq: number }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash
    }
    const m = entry.message as { type?: string; device?: string; boot?: number; seq?: number } | undefined;
    if (m && m.type === 'reading' && typeof m.device === 'string' && typeof m.boot === 'number' && typeof m.seq === 'number') {
      const known = last.get(m.device);
      // Resent duplicates are journaled too: within a boot, the highest seq counts.
      if (!known || known.boot !== m.boot || known.seq < m.seq) last.set(m.device, { device: m.device, boot: m.boot, seq: m.seq });
    }
  }
  return [...last.values()];
}

/**
 * The JSON-lines file: one line per message a device sent, valid or not, so a run can be
 * replayed or audited after the in-memory window has moved on.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
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

/**
 * The reference for UTF-8 validation in tests: the earliest byte a streaming fatal TextDecoder
 * rejects, 'truncated' when only the end is missing (a sequence left open), or -1 when valid.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | 'truncated' {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  try {
    decoder.decode();
  } catch {
    return 'truncated';
  }
  return -1;
}

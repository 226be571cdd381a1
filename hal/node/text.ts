import type { TextCodec } from '../types';

/** UTF-8 through Buffer: no copies beyond the conversion itself. Lone surrogates become U+FFFD. */
export const nodeTextCodec: TextCodec = {
  encode(text) {
    const buf = Buffer.from(text, 'utf8');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  },
  decode(bytes, start, end) {
    return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  },
};

import type { HalError, HalErrorKind } from '../types';

const KIND_BY_CODE: Record<string, HalErrorKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  // Node's own "this socket is already gone" errors.
  ERR_STREAM_DESTROYED: 'closed',
  ERR_STREAM_WRITE_AFTER_END: 'closed',
  ERR_SOCKET_CLOSED: 'closed',
  // OpenSSL certificate verification results (X509_V_ERR_* without the prefix).
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  UNABLE_TO_GET_CRL: 'tls',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'tls',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'tls',
  HOSTNAME_MISMATCH: 'tls',
  INVALID_CA: 'tls',
  INVALID_PURPOSE: 'tls',
  PATH_LENGTH_EXCEEDED: 'tls',
};

/** Prefixes of TLS failures: Node's TLS layer, OpenSSL (ERR_SSL_*, ERR_OSSL_*) and X509 results (CERT_*). */
const TLS_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'ERR_OSSL_', 'CERT_'];

/** The HalErrorKind of a Node error code ('other' when unknown). */
export function kindOfNodeCode(code: string): HalErrorKind {
  return KIND_BY_CODE[code] ?? (TLS_PREFIXES.some((p) => code.startsWith(p)) ? 'tls' : 'other');
}

/** Maps whatever a Node socket emitted or threw to a HalError; `code` keeps Node's code string. */
export function toHalError(err: unknown): HalError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
  };
  const code = codeOf(e) ?? 'UNKNOWN';
  // OpenSSL messages end with a newline.
  const text = typeof e.message === 'string' ? e.message.trim() : '';
  const message = text !== '' ? text : String(code === 'UNKNOWN' ? err : code);
  return { kind: kindOfNodeCode(code), code, message };
}

function codeOf(e: { code?: unknown; errors?: unknown }): string | undefined {
  if (typeof e.code === 'string') return e.code;
  // With autoSelectFamily, a failure on every address comes as an AggregateError.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      if (typeof inner?.code === 'string') return inner.code;
    }
  }
  return undefined;
}

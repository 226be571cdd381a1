/** RFC 6455 §5.2 opcodes. A const enum: esbuild inlines the numbers, nothing exists at run time. */
export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented. */
export const MAX_CONTROL_PAYLOAD = 125;
/** RFC 6455 §5.5.1: the close reason follows a 2-byte code inside the 125 bytes. */
export const MAX_CLOSE_REASON = 123;

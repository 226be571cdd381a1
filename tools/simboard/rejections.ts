/**
 * Unhandled promise rejections of board code. Espruino prints `Uncaught Error: Unhandled promise
 * rejection: …` and goes on; Node tracks rejections per process, and by default crashes. So while
 * any board is alive one process-wide 'unhandledRejection' listener hands each rejection to the
 * board whose realm made the promise.
 *
 * Side effect, documented: while a board is alive, a HOST promise rejection nobody handles is
 * printed to stderr (when no other listener takes it) instead of crashing the process, because
 * any listener at all switches Node's crash off.
 */

/** A board, as the rejection hook sees it. */
export interface RejectionOwner {
  /** Whether this promise was made by the board's realm. */
  owns(promise: Promise<unknown>): boolean;
  report(reason: unknown): void;
}

const owners = new Set<RejectionOwner>();
/** Some listeners (mocha's) re-emit the event: report each promise once. */
const reported = new WeakSet<Promise<unknown>>();

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  for (const owner of owners) {
    if (owner.owns(promise)) {
      if (!reported.has(promise)) owner.report(reason);
      reported.add(promise);
      return;
    }
  }
  if (process.listenerCount('unhandledRejection') === 1) {
    process.stderr.write(`Unhandled promise rejection (host, seen by simboard): ${String(reason instanceof Error ? reason.stack : reason)}\n`);
  }
}

/** Routes the board's unhandled rejections to `owner.report` until the returned function is called. */
export function trackRejections(owner: RejectionOwner): () => void {
  if (owners.size === 0) process.on('unhandledRejection', onUnhandledRejection);
  owners.add(owner);
  return () => {
    owners.delete(owner);
    if (owners.size === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}

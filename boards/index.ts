/** The boards the build knows. Adding a board: a profile file, and one line in BOARDS. */
import { esp32 } from './esp32';
import { esp8266 } from './esp8266';
import type { BoardProfile } from './types';

export type { BoardProfile, BoardRuntime, BundleBudget } from './types';
export { runtimeOf } from './types';

/** Every known board, in the order the tools list them. */
export const BOARDS: BoardProfile[] = [esp32, esp8266];

/** Names of the known boards. */
export function boardNames(): string[] {
  return BOARDS.map((b) => b.name);
}

/**
 * The profile named `name` (case-insensitive).
 * @throws Error listing the known boards when there is none.
 */
export function getBoard(name: string): BoardProfile {
  const wanted = String(name).toLowerCase();
  for (const board of BOARDS) if (board.name === wanted) return board;
  throw new Error(`unknown board "${name}": known boards are ${boardNames().join(', ')}`);
}

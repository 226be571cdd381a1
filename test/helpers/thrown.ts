/** The exception `fn` throws; fails the test if it throws none. */
export function thrown(fn: () => void): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an exception');
}

/**
 * Espruino's rand() (src/jsutils.c): a multiply-with-carry generator whose state starts at
 * 0xDEADBEEF / 0xCAFEBABE on every boot. On ESP32 and ESP8266 both Math.random() and
 * E.hwRand() read it (jshGetRandomNumber() just returns rand()), so the sequence repeats
 * after every power-on until E.srand() is called. Reimplemented here, bit for bit.
 */

/** RAND_MAX of the ESP toolchains' newlib. */
export const RAND_MAX = 0x7fffffff;

/** The board's one pseudo-random generator. */
export class EspruinoRandom {
  private w = 0xdeadbeef;
  private z = 0xcafebabe;

  /** rand(): an integer in 0..RAND_MAX. E.hwRand() returns this. */
  next(): number {
    this.z = (36969 * (this.z & 0xffff) + (this.z >>> 16)) >>> 0;
    this.w = (18000 * (this.w & 0xffff) + (this.w >>> 16)) >>> 0;
    return (((this.z << 16) >>> 0) + this.w) & RAND_MAX;
  }

  /** Math.random(): rand() / (RAND_MAX + 1). */
  float(): number {
    return this.next() / (RAND_MAX + 1);
  }

  /** E.srand(seed): a 32-bit seed. A seed of 0 leaves the generator stuck at 0, as on the board. */
  seed(seed: number): void {
    const s = seed >>> 0;
    this.w = ((s & 0xffff) | (s << 16)) >>> 0;
    this.z = ((s & 0xffff0000) | (s >>> 16)) >>> 0;
  }
}

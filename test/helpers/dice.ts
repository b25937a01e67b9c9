import { mulberry32 } from "../../src/random";
import type { Dice } from "../../src/systems/biggerDice/dice";

/**
 * Dice for tests. The rules take a `Dice` argument and rooms roll `ctx().dice`, so a test
 * plays a known game by passing one of these, or by installing it in the app context.
 */

/** A die that returns `values` in order and throws once they run out. */
export function scriptedDice(values: readonly number[]): Dice {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error(`scripted dice ran out after ${values.length} rolls`);
    return values[next++]!;
  };
}

/** A reproducible die from a 32-bit seed (mulberry32), for tests that need many rolls. */
export function seededDice(seed: number): Dice {
  const unit = mulberry32(seed);
  return () => 1 + Math.floor(unit() * 6);
}

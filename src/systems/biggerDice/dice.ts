import crypto from "node:crypto";
import { mulberry32 } from "../../random";

/** A six-sided die: an integer from 1 to 6. */
export type Dice = () => number;

/** The production die. */
export const cryptoDice: Dice = () => crypto.randomInt(1, 7);

/** A die that returns `values` in order and throws once they run out (tests). */
export function scriptedDice(values: readonly number[]): Dice {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error(`scripted dice ran out after ${values.length} rolls`);
    return values[next++];
  };
}

/** A reproducible die from a 32-bit seed (mulberry32), for tests that need many rolls. */
export function seededDice(seed: number): Dice {
  const unit = mulberry32(seed);
  return () => 1 + Math.floor(unit() * 6);
}

/** One roll of `dice`, refused loudly if the die is not a die. */
export function checkedRoll(dice: Dice): number {
  const value = dice();
  if (!Number.isInteger(value) || value < 1 || value > 6) throw new Error(`a die returned ${value}`);
  return value;
}

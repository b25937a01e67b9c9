import crypto from "node:crypto";

/** A six-sided die: an integer from 1 to 6. */
export type Dice = () => number;

/** The production die (tests install their own: test/helpers/dice.ts). */
export const cryptoDice: Dice = () => crypto.randomInt(1, 7);

/** One roll of `dice`, refused loudly if the die is not a die. */
export function checkedRoll(dice: Dice): number {
  const value = dice();
  if (!Number.isInteger(value) || value < 1 || value > 6) throw new Error(`a die returned ${value}`);
  return value;
}

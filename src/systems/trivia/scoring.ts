/** Trivia scoring and ranking: pure arithmetic over answers and scoreboards. */

/** Points for a correct answer: a base plus a speed bonus scaled by the time left. */
export const BASE_POINTS = 500;
export const SPEED_BONUS = 500;

/** Correct: BASE_POINTS + up to SPEED_BONUS, in proportion to the time left. Wrong: 0. */
export function scoreAnswer(correct: boolean, elapsedMs: number, timeLimitMs: number): number {
  if (!correct) return 0;
  const left = Math.min(timeLimitMs, Math.max(0, timeLimitMs - elapsedMs));
  return BASE_POINTS + Math.round((SPEED_BONUS * left) / timeLimitMs);
}

export interface ScoreboardEntry {
  userId: string;
  username: string;
  team: string | null;
  score: number;
}

/**
 * Highest score first; equal scores share a rank and the next rank skips ("1, 2, 2, 4").
 * Ties are listed by username so the order is stable.
 */
export function rankScoreboard<E extends ScoreboardEntry>(entries: readonly E[]): Array<E & { rank: number }> {
  const sorted = [...entries].sort((a, b) => b.score - a.score || a.username.localeCompare(b.username));
  let rank = 0;
  return sorted.map((e, i) => {
    if (i === 0 || e.score !== sorted[i - 1].score) rank = i + 1;
    return { ...e, rank };
  });
}

/**
 * Team totals: the sum of each named team's members' scores. A Map, so that any name a
 * player picks (`constructor`, `__proto__`, `toString`) is a team like any other.
 */
export function teamTotals(entries: readonly Pick<ScoreboardEntry, "team" | "score">[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const e of entries) {
    if (e.team) totals.set(e.team, (totals.get(e.team) ?? 0) + e.score);
  }
  return totals;
}

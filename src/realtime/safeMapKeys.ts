import type { MapSchema } from "@colyseus/schema";

interface KeyJournal {
  indexByKey: Record<string, number>;
  reset(): void;
}

/**
 * Let a synced MapSchema hold any string key. @colyseus/schema 5.0.34's MapSchema records
 * which wire index each key has in a plain object, so keys such as `constructor` or
 * `toString` look already indexed (Object.prototype answers) and `__proto__` is never
 * stored: such entries never reach clients. A map keyed by names that users choose (trivia
 * teams) gets a prototype-less index here instead. A no-op if the library changes shape.
 */
// any: the key journal is the same for every value type, and MapSchema<V> is invariant in V.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withSafeKeys<M extends MapSchema<any>>(map: M): M {
  const journal = (map as unknown as { journal?: KeyJournal }).journal;
  if (!journal || typeof journal.indexByKey !== "object" || Object.getPrototypeOf(journal.indexByKey) === null)
    return map;
  const safe = () => Object.create(null) as Record<string, number>;
  journal.indexByKey = Object.assign(safe(), journal.indexByKey);
  const reset = journal.reset.bind(journal);
  journal.reset = () => {
    reset();
    journal.indexByKey = safe();
  };
  return map;
}

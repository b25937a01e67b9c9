declare const topicEvents: unique symbol;
/**
 * A presence topic whose events are table `E`. Publisher and subscriber both name a topic
 * through the same typed constructor (e.g. `spaceTopic(id)`), so they cannot disagree on
 * what travels over it. (Its own module: the systems' protocol files name topics, and
 * delivery.ts reads the lobby's table, so neither imports the other.)
 */
export type Topic<E> = string & { readonly [topicEvents]?: E };

export function topic<E>(name: string): Topic<E> {
  return name;
}

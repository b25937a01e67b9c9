import { schema, t, type SchemaType } from "@colyseus/schema";

/** One avatar present in the space. */
export const SpaceUser = schema(
  {
    userId: t.string(),
    username: t.string(),
    x: t.number(),
    y: t.number(),
    /** up | down | left | right */
    direction: t.string(),
    /** A short action name shown to others ("" when none). */
    action: t.string(),
  },
  "SpaceUser",
);
export type SpaceUser = SchemaType<typeof SpaceUser>;

/** The fields of a space's state; only whether `users` is filtered per client differs. */
const spaceFields = <U>(users: U) => ({
  spaceId: t.string(),
  name: t.string(),
  capacity: t.number(),
  width: t.number(),
  height: t.number(),
  /** Half the side of each avatar's square view; 0 = the whole space is in view. */
  viewRadius: t.number(),
  /** userId → avatar; a user holds at most one seat. */
  users,
});

/**
 * A space with interest management: `users` is filtered per client (each client's StateView
 * holds its own avatar and those in its view), so a client's map holds only those.
 */
export const SpaceState = schema(spaceFields(t.map(SpaceUser).view()), "SpaceState");
export type SpaceState = SchemaType<typeof SpaceState>;

/**
 * A space whose view is unlimited (viewRadius 0): no filter, so one patch, encoded once,
 * goes to everyone. The same shape on the wire as SpaceState.
 */
export const BroadcastSpaceState = schema(spaceFields(t.map(SpaceUser)), "BroadcastSpaceState");
export type BroadcastSpaceState = SchemaType<typeof BroadcastSpaceState>;

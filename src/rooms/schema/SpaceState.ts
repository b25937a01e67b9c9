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

export const SpaceState = schema(
  {
    spaceId: t.string(),
    name: t.string(),
    capacity: t.number(),
    width: t.number(),
    height: t.number(),
    /** userId → avatar; a user holds at most one seat. */
    users: t.map(SpaceUser),
  },
  "SpaceState",
);
export type SpaceState = SchemaType<typeof SpaceState>;

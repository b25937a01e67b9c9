import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../context";
import { apiRoutes, type ApiRouter } from "./api";
import { decodeCursor, pageOf, PageQuery, pageSchema } from "./paging";

const ROOM_NAMES = ["user_lobby", "bigger_dice", "space", "trivia", "conversation"] as const;
/** Rooms whose listing is public to any signed-in user (lobbies and private chats are not). */
const LISTABLE = new Set<string>(["bigger_dice"]);

const RoomParams = z.object({ roomName: z.enum(ROOM_NAMES) });
const LiveRoom = z
  .object({
    roomId: z.string(),
    name: z.string(),
    clients: z.number().int(),
    maxClients: z.number().int(),
    locked: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).meta({ description: "The room kind's listing metadata." }),
  })
  .meta({ id: "LiveRoom" });

/** `GET /api/rooms/:roomName`: live public rooms of a kind, from every process (the driver). */
export function roomsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("rooms", { bearer: auth });
  const doc = {
    summary: "Live rooms of a kind (only bigger_dice rooms are listed; other kinds answer an empty page)",
    params: RoomParams,
    query: PageQuery,
    responses: { 200: pageSchema(LiveRoom) },
  };
  api.get("/api/rooms/:roomName", "bearer", doc, async (_req, res, { params: { roomName }, query }) => {
    const { limit, cursor } = query;
    const after = decodeCursor(cursor);
    if (!LISTABLE.has(roomName)) {
      res.json({ items: [], nextCursor: null });
      return;
    }
    // Live listings are held in the driver, not in SQL: paged in memory, by room id.
    const rooms = (await ctx.rooms.query({ name: roomName, private: false }))
      .filter((r) => after === null || r.roomId > after.id)
      .sort((x, y) => (x.roomId < y.roomId ? -1 : x.roomId > y.roomId ? 1 : 0));
    const page = pageOf(rooms, limit, (r) => ({ key: r.roomId, id: r.roomId }));
    res.json({
      nextCursor: page.nextCursor,
      items: page.items.map((r) => ({
        roomId: r.roomId,
        name: r.name,
        clients: r.clients,
        maxClients: r.maxClients,
        locked: r.locked,
        metadata: (r.metadata as Record<string, unknown> | undefined) ?? {},
      })),
    });
  });
  return api.router;
}

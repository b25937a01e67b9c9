import { jsonColumn, type Queryable } from "../../db";
import type { EndReason, PendingTurn, RollRecord } from "./rules";
import type { ServiceDeps } from "../../services/deps";
import { decodeCursor, pageOf, timestampKey, type Page } from "../../http/paging";
import { isUuid } from "../identity/users";

export interface PrivateGameInput {
  invitationId: string;
  map: string;
  /** The two invited players; nobody else may take a player seat. */
  playerIds: [string, string];
}

/** A game as the room hands it over when it ends: written once, read back by the history route. */
export interface GameResult {
  /** Made by the room when the game starts (a retried write is then a no-op). */
  id: string;
  roomId: string;
  roomName: string;
  invitationId: string | null;
  targetScore: number;
  status: "finished" | "abandoned";
  reason: EndReason;
  winnerId: string | null;
  /** In seat order. */
  players: Array<{ userId: string; username: string; score: number }>;
  rolls: RollRecord[];
  /** The turn that was open when the server stopped (reason `server_shutdown`), else null. */
  pendingTurn?: PendingTurn | null;
  startedAt: Date;
  endedAt: Date;
}

/** `GET /api/games/history` items. */
export interface GameHistoryItem {
  id: string;
  roomName: string;
  players: Array<{ userId: string; username: string; score: number }>;
  winnerId: string | null;
  reason: EndReason;
  rolls: RollRecord[];
  pendingTurn: PendingTurn | null;
  startedAt: string;
  endedAt: string;
}

interface HistoryRow {
  id: string;
  room_name: string;
  winner_id: string | null;
  reason: EndReason;
  rolls: RollRecord[] | string;
  pending_turn: PendingTurn | string | null;
  players: GameHistoryItem["players"] | string | null;
  started_at: Date | string;
  ended_at: Date | string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** bigger_dice games: the history store, and the private room behind a game invitation. */
export class GamesService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Create the private bigger_dice room reserved for an accepted invitation's two players. */
  async createPrivateRoom(input: PrivateGameInput): Promise<{ roomId: string }> {
    const room = await this.deps.rooms.create("bigger_dice", {
      roomName: `invitation-${input.invitationId}`,
      invitationId: input.invitationId,
      map: input.map,
      allowedPlayerIds: input.playerIds,
    });
    return { roomId: room.roomId };
  }

  /** Store a finished or abandoned game with its players. Idempotent on `result.id`. */
  async record(result: GameResult): Promise<void> {
    await this.deps.db.transaction(async (tx: Queryable) => {
      const inserted = await tx.query(
        `INSERT INTO game_history
           (id, room_id, room_name, invitation_id, target_score, status, reason, winner_id, rolls, started_at, ended_at, pending_turn)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb)
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
        [
          result.id,
          result.roomId,
          result.roomName,
          result.invitationId,
          result.targetScore,
          result.status,
          result.reason,
          result.winnerId,
          JSON.stringify(result.rolls),
          result.startedAt,
          result.endedAt,
          result.pendingTurn ? JSON.stringify(result.pendingTurn) : null,
        ],
      );
      if (inserted.rows.length === 0) return; // already stored by an earlier attempt
      for (const [seat, player] of result.players.entries()) {
        await tx.query(
          `INSERT INTO game_history_players (game_id, user_id, seat, username, score) VALUES ($1, $2, $3, $4, $5)`,
          [result.id, player.userId, seat, player.username, player.score],
        );
      }
    });
  }

  /** The games `userId` played, newest first. */
  async history(userId: string, page: { limit: number; cursor?: string }): Promise<Page<GameHistoryItem>> {
    const after = decodeCursor(page.cursor);
    const { rows } = await this.deps.db.query<HistoryRow & { ended_key: string }>(
      `SELECT g.id, g.room_name, g.winner_id, g.reason, g.rolls, g.pending_turn, g.started_at, g.ended_at,
              g.ended_at::text AS ended_key,
              (SELECT json_agg(json_build_object('userId', p.user_id, 'username', p.username, 'score', p.score) ORDER BY p.seat)
                 FROM game_history_players p WHERE p.game_id = g.id) AS players
         FROM game_history g
        WHERE EXISTS (SELECT 1 FROM game_history_players me WHERE me.game_id = g.id AND me.user_id = $1)
          AND ($2::timestamptz IS NULL OR (g.ended_at, g.id) < ($2::timestamptz, $3::uuid))
        ORDER BY g.ended_at DESC, g.id DESC
        LIMIT $4`,
      [userId, timestampKey(after), after && isUuid(after.id) ? after.id : null, page.limit + 1],
    );
    const paged = pageOf(rows, page.limit, (r) => ({ key: r.ended_key, id: r.id }));
    return { items: paged.items.map(toHistoryItem), nextCursor: paged.nextCursor };
  }
}

function toHistoryItem(r: HistoryRow): GameHistoryItem {
  return {
    id: r.id,
    roomName: r.room_name,
    players: jsonColumn(r.players ?? []) ?? [],
    winnerId: r.winner_id,
    reason: r.reason,
    rolls: jsonColumn(r.rolls),
    pendingTurn: r.pending_turn === null ? null : jsonColumn(r.pending_turn),
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
  };
}

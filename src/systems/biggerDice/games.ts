import type { Queryable } from "../../db";
import type { DiceGame, DiceTable, EndReason, PendingTurn, RollRecord } from "./game";
import { logger } from "../../logger";
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

/** Storing a finished game: retried with doubling delays up to this cap, until it is stored. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 10_000;
/** On shutdown the process is about to exit: a few attempts only. */
export const SHUTDOWN_STORE_ATTEMPTS = 3;

export interface StoreOptions {
  /** Give up after this many attempts (on shutdown the process is about to exit). */
  maxAttempts?: number;
  /** Give up once aborted (the room is gone). */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);
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

  /**
   * Store a game's result, retrying with backoff until it is stored, or until `options` say to
   * give up (then it is logged with the whole result). True once stored.
   */
  async recordUntilStored(result: GameResult, options: StoreOptions = {}): Promise<boolean> {
    const maxAttempts = options.maxAttempts ?? Infinity;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.record(result);
        return true;
      } catch (err) {
        const log = { err, roomId: result.roomId, gameId: result.id, attempt };
        if (attempt >= maxAttempts || options.signal?.aborted) {
          logger.error({ ...log, result }, "dice: a game result could not be stored and was not announced");
          return false;
        }
        if (attempt >= 5) logger.error(log, "dice: storing a game result keeps failing; retrying");
        else logger.warn(log, "dice: storing a game result failed; retrying");
        await sleep(Math.min(STORE_RETRY_FIRST_MS * 2 ** (attempt - 1), STORE_RETRY_MAX_MS));
      }
    }
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

/** The history entry of the table's game, ending as `ended`. */
export function gameResultOf(table: DiceTable, ended: DiceGame, roomId: string, endedAt: Date): GameResult {
  return {
    id: table.gameId,
    roomId,
    roomName: table.roomName,
    invitationId: table.invitationId,
    targetScore: ended.targetScore,
    status: ended.status === "abandoned" ? "abandoned" : "finished",
    reason: ended.endReason ?? "abandoned",
    winnerId: ended.winnerId,
    players: ended.seats.map((userId) => ({
      userId,
      username: table.players[userId]?.username ?? "",
      score: ended.scores[userId] ?? 0,
    })),
    rolls: [...ended.rolls],
    pendingTurn: ended.pendingTurn,
    startedAt: new Date(table.startedAt),
    endedAt,
  };
}

function toHistoryItem(r: HistoryRow): GameHistoryItem {
  return {
    id: r.id,
    roomName: r.room_name,
    players: json(r.players ?? []) ?? [],
    winnerId: r.winner_id,
    reason: r.reason,
    rolls: json(r.rolls),
    pendingTurn: r.pending_turn === null ? null : json(r.pending_turn),
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
  };
}

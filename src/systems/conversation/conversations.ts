import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { logger } from "../../logger";
import { conversationTopic, ConversationTopicEvent, type ConversationTopicEvents } from "./protocol";
import { blockedBetweenSql, type BlockCheck } from "../social/blockCheck";
import type { Infra } from "../../services/infra";
import type { UsersService } from "../identity/users";
import { isUuid } from "../../db/uuid";
import { conversationNotFound as notFound } from "./conversationSql";
import type { ConversationListsService, ConversationSummary } from "./conversationLists";

export interface Participant {
  userId: string;
  username: string;
  avatarUrl: string | null;
  lastReadMessageId: number;
}

/** SQL for the canonical key of a pair of users ($1, $2), the same whichever comes first. */
const PAIR_KEY = "LEAST($1::uuid, $2::uuid)::text || ':' || GREATEST($1::uuid, $2::uuid)::text";

/** Welcome message stored when a match opens its conversation (the source product's text). */
export const WELCOME_MESSAGE = "Vous avez matché! Commencez la conversation.";

/**
 * Conversations themselves, shared by the REST routes, the `conversation` room, matching and
 * blocks: who may enter one, opening a 1:1 conversation, closing it when its match ends, and
 * telling its live room (any process) through the conversation's delivery topic. Messages
 * are MessagesService's (messages.ts), lists ConversationListsService's.
 */
export class ConversationsService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "delivery" | "now"> & {
      users: UsersService;
      blockCheck: BlockCheck;
      conversationLists: ConversationListsService;
    },
  ) {}

  /** The conversation must exist (NOT_FOUND) and have `userId` as a participant (NOT_PARTICIPANT). */
  async requireParticipant(
    conversationId: string,
    userId: string,
    db: Queryable = this.deps.db,
  ): Promise<{ id: string }> {
    if (!isUuid(conversationId)) throw notFound();
    const { rows } = await db.query<{ id: string; is_participant: boolean }>(
      `SELECT c.id, EXISTS (
         SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id AND p.user_id = $2
       ) AS is_participant
       FROM conversations c WHERE c.id = $1`,
      [conversationId, userId],
    );
    const row = rows[0];
    if (!row) throw notFound();
    if (!row.is_participant) throw new AppError("NOT_PARTICIPANT", "You are not a participant in this conversation");
    return { id: row.id };
  }

  /**
   * As requireParticipant, and the conversation must be open to the user: BLOCKED when a
   * block stands between them and another participant, CONVERSATION_CLOSED once unmatched.
   */
  async requireOpen(conversationId: string, userId: string, db: Queryable = this.deps.db): Promise<{ id: string }> {
    const found = await this.requireParticipant(conversationId, userId, db);
    const { rows } = await db.query<{ closed: boolean; blocked: boolean }>(
      `SELECT c.closed_at IS NOT NULL AS closed,
              EXISTS (SELECT 1 FROM conversation_participants o
                       WHERE o.conversation_id = c.id AND o.user_id <> $2 AND ${blockedBetweenSql("$2::uuid", "o.user_id")}) AS blocked
         FROM conversations c WHERE c.id = $1`,
      [found.id, userId],
    );
    if (rows[0]?.blocked) throw new AppError("BLOCKED");
    if (rows[0]?.closed) throw new AppError("CONVERSATION_CLOSED");
    return found;
  }

  async participants(conversationId: string): Promise<Participant[]> {
    const { rows } = await this.deps.db.query<{
      user_id: string;
      username: string;
      avatar_url: string | null;
      last_read_message_id: string | number;
    }>(
      `SELECT p.user_id, u.username, u.avatar_url, p.last_read_message_id
       FROM conversation_participants p JOIN users u ON u.id = p.user_id
       WHERE p.conversation_id = $1 ORDER BY p.joined_at, p.user_id`,
      [conversationId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      avatarUrl: r.avatar_url,
      lastReadMessageId: Number(r.last_read_message_id),
    }));
  }

  /**
   * Open (or find) the caller's 1:1 conversation with `participantId` over REST: only
   * between users who have matched or are friends (NOT_CONNECTED otherwise), never across
   * a block (BLOCKED).
   */
  async open(userId: string, participantId: string): Promise<{ conversation: ConversationSummary; created: boolean }> {
    if (participantId.toLowerCase() === userId.toLowerCase()) {
      throw new AppError("INVALID_REQUEST", "participantId: you cannot start a conversation with yourself");
    }
    const other = await this.deps.users.require(participantId);
    await this.deps.blockCheck.requireNone(userId, other.id);
    const { rows } = await this.deps.db.query<{ connected: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM matches WHERE user_a = LEAST($1::uuid, $2::uuid) AND user_b = GREATEST($1::uuid, $2::uuid))
           OR EXISTS (SELECT 1 FROM friendships WHERE status = 'accepted'
                       AND ((requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1))) AS connected`,
      [userId, other.id],
    );
    if (!rows[0]?.connected) throw new AppError("NOT_CONNECTED");
    return this.openDirect(userId, other.id);
  }

  /**
   * The 1:1 conversation of the caller and `participantId`, created when it does not exist
   * yet. `created` says which (201 or 200 over REST).
   */
  async openDirect(
    userId: string,
    participantId: string,
  ): Promise<{ conversation: ConversationSummary; created: boolean }> {
    if (participantId.toLowerCase() === userId.toLowerCase()) {
      throw new AppError("INVALID_REQUEST", "participantId: you cannot start a conversation with yourself");
    }
    const { id, created } = await this.deps.db.transaction(async (tx) => {
      const other = await this.deps.users.require(participantId, tx);
      return this.ensureDirect(userId, other.id, {}, tx);
    });
    return { conversation: await this.deps.conversationLists.summary(id, userId), created };
  }

  /**
   * Find or create the 1:1 conversation of a pair, inside the caller's transaction. The
   * unique `direct_pair` makes two simultaneous creations end with one conversation. A new
   * conversation gets both participants and, when given, its first message; an existing one
   * is linked to `matchId` if it has no match yet (the source product reuses it as is), and
   * reopened if an unmatch had closed it (callers have checked the pair may talk).
   */
  async ensureDirect(
    userA: string,
    userB: string,
    opts: { matchId?: string; firstMessage?: { senderId: string; content: string } },
    tx: Queryable,
  ): Promise<{ id: string; created: boolean }> {
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO conversations (match_id, direct_pair) VALUES ($3, ${PAIR_KEY})
       ON CONFLICT (direct_pair) DO NOTHING RETURNING id`,
      [userA, userB, opts.matchId ?? null],
    );
    const createdId = inserted.rows[0]?.id;
    if (!createdId) {
      const { rows } = await tx.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_pair = ${PAIR_KEY}`, [
        userA,
        userB,
      ]);
      const id = rows[0]!.id;
      await tx.query("UPDATE conversations SET match_id = COALESCE(match_id, $2), closed_at = NULL WHERE id = $1", [
        id,
        opts.matchId ?? null,
      ]);
      return { id, created: false };
    }
    await tx.query("INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2), ($1, $3)", [
      createdId,
      userA,
      userB,
    ]);
    if (opts.firstMessage) {
      await tx.query("INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3)", [
        createdId,
        opts.firstMessage.senderId,
        opts.firstMessage.content,
      ]);
    }
    return { id: createdId, created: true };
  }

  /** A block now stands between `a` and `b`: their shared conversations' rooms close both seats. */
  async revokeBetween(a: string, b: string): Promise<void> {
    const { rows } = await this.deps.db.query<{ id: string }>(
      `SELECT pa.conversation_id AS id FROM conversation_participants pa
         JOIN conversation_participants pb ON pb.conversation_id = pa.conversation_id AND pb.user_id = $2
        WHERE pa.user_id = $1`,
      [a, b],
    );
    await Promise.all(rows.map((r) => this.publish(r.id, ConversationTopicEvent.accessEnded, { userIds: [a, b] })));
  }

  /** Close a conversation (its match ended) inside the caller's transaction; returns whether it was open. */
  async closeForMatch(matchId: string, tx: Queryable): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(
      "UPDATE conversations SET closed_at = $2 WHERE match_id = $1 AND closed_at IS NULL RETURNING id",
      [matchId, this.deps.now()],
    );
    return rows[0]?.id ?? null;
  }

  /** Tell a closed conversation's live room (any process): `match_removed`, then every seat is closed. */
  async announceClosed(conversationId: string, matchId: string): Promise<void> {
    await this.publish(conversationId, ConversationTopicEvent.matchRemoved, { matchId, conversationId });
  }

  /**
   * The message is stored whatever happens here: a failed publish is logged, and clients
   * that missed it fill the gap with `sync` or the history.
   */
  async publish<K extends keyof ConversationTopicEvents>(
    conversationId: string,
    type: K,
    payload: ConversationTopicEvents[K],
  ): Promise<void> {
    try {
      await this.deps.delivery.toTopic(conversationTopic(conversationId), type, payload);
    } catch (err) {
      logger.warn({ err, conversationId, type }, "conversation event not published");
    }
  }
}

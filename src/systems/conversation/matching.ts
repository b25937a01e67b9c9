import { AppError } from "../../errors";
import { LobbyEvent } from "../lobby/protocol";
import type { Queryable } from "../../db";
import { logger } from "../../logger";
import type { UserCard } from "./protocol";
import type { Notification } from "../lobby/notifications";
import type { ServiceDeps } from "../../services/deps";
import { WELCOME_MESSAGE } from "./conversations";
import { isUuid, type User } from "../identity/users";
import { pageOf, type Page } from "../../http/paging";
import { blockedBetweenSql } from "../social/blocks";
import { timeCursor, type PageRequest } from "../../http/keyset";

/** A match as each of its two users sees it: `user` is the other one. */
export interface MatchView {
  id: string;
  user: UserCard;
  created_at: string;
}

export type LikeResult = { matched: false } | { matched: true; match: MatchView; conversationId: string };

export interface RecentMatch extends MatchView {
  conversation_id: string | null;
}

/** Advisory-lock namespace for "this pair of users is being decided" (see like()). */
const PAIR_LOCK_NAMESPACE = 7201;

const card = (u: User): UserCard => ({ id: u.id, username: u.username, profile_picture: u.avatarUrl });
const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * Likes and matches. A like that completes a mutual pair creates, in one transaction, the
 * match, its conversation with both participants, the welcome message and a notification
 * row per user; only after the commit are both users' lobbies told (`new_match`).
 */
export class MatchingService {
  constructor(private readonly deps: ServiceDeps) {}

  async like(likerId: string, likeeId: string): Promise<LikeResult> {
    if (likerId.toLowerCase() === likeeId.toLowerCase()) {
      throw new AppError("INVALID_REQUEST", "userId: you cannot like yourself");
    }
    const { users, conversations, notifications } = this.deps.services;
    const outcome = await this.deps.db.transaction(async (tx) => {
      const likee = await users.require(likeeId, tx);
      const liker = await users.require(likerId, tx);
      await this.deps.services.blocks.requireNone(liker.id, likee.id, tx);
      // Two users liking each other at the same moment would each miss the other's
      // uncommitted like; holding a lock on the pair makes the second wait and see the first.
      await tx.query(
        "SELECT pg_advisory_xact_lock($1, hashtext(LEAST($2::uuid, $3::uuid)::text || GREATEST($2::uuid, $3::uuid)::text))",
        [PAIR_LOCK_NAMESPACE, liker.id, likee.id],
      );
      await tx.query("INSERT INTO likes (liker_id, likee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [
        liker.id,
        likee.id,
      ]);

      const existing = await this.matchOf(liker.id, likee.id, tx);
      if (existing) {
        return {
          kind: "already" as const,
          liker,
          likee,
          matchId: existing.id,
          createdAt: existing.created_at,
          conversationId: existing.conversation_id,
        };
      }
      const { rows: likedBack } = await tx.query("SELECT 1 FROM likes WHERE liker_id = $1 AND likee_id = $2", [
        likee.id,
        liker.id,
      ]);
      if (likedBack.length === 0) return { kind: "no_match" as const };

      const { rows } = await tx.query<{ id: string; created_at: Date | string }>(
        "INSERT INTO matches (user_a, user_b) VALUES (LEAST($1::uuid, $2::uuid), GREATEST($1::uuid, $2::uuid)) RETURNING id, created_at",
        [liker.id, likee.id],
      );
      const match = rows[0]!;
      // The source product's welcome comes from the user whose like completed the match.
      const conversation = await conversations.ensureDirect(
        liker.id,
        likee.id,
        { matchId: match.id, firstMessage: { senderId: liker.id, content: WELCOME_MESSAGE } },
        tx,
      );
      const notes: Array<{ n: Notification; other: User }> = [];
      for (const [me, other] of [
        [liker, likee],
        [likee, liker],
      ] as const) {
        const n = await notifications.create(
          {
            userId: me.id,
            type: "updates",
            kind: "new_match",
            title: "New match",
            message: `You matched with ${other.username}!`,
            data: { matchId: match.id, conversationId: conversation.id },
          },
          tx,
        );
        notes.push({ n, other });
      }
      return {
        kind: "new" as const,
        liker,
        likee,
        matchId: match.id,
        createdAt: match.created_at,
        conversationId: conversation.id,
        notes,
      };
    });

    if (outcome.kind === "no_match") return { matched: false };
    const { liker, likee, matchId, conversationId } = outcome;
    const createdAt = iso(outcome.createdAt);
    if (outcome.kind === "new") {
      await this.announce(liker, likee, matchId, createdAt, conversationId!);
      for (const { n, other } of outcome.notes) {
        await notifications.push(n, { username: other.username, avatarUrl: other.avatarUrl }).catch((err) => {
          logger.warn({ err, userId: n.userId }, "new_match notification not pushed");
        });
      }
    }
    return {
      matched: true,
      match: { id: matchId, user: card(likee), created_at: createdAt },
      conversationId: conversationId!,
    };
  }

  /** The caller's matches, newest first, each with the other user and the conversation id; paged. Blocked pairs are left out. */
  async recent(userId: string, page: PageRequest): Promise<Page<RecentMatch>> {
    const after = timeCursor(page.cursor);
    const { rows } = await this.deps.db.query<{
      id: string;
      created_at: Date | string;
      sort_key: string;
      conversation_id: string | null;
      other_id: string;
      other_username: string;
      other_avatar: string | null;
    }>(
      `SELECT m.id, m.created_at, m.created_at::text AS sort_key, c.id AS conversation_id,
              u.id AS other_id, u.username AS other_username, u.avatar_url AS other_avatar
       FROM matches m
       JOIN users u ON u.id = CASE WHEN m.user_a = $1 THEN m.user_b ELSE m.user_a END
       LEFT JOIN conversations c ON c.match_id = m.id
       WHERE (m.user_a = $1 OR m.user_b = $1) AND NOT ${blockedBetweenSql("$1::uuid", "u.id")}
         AND ($3::timestamptz IS NULL OR (m.created_at, m.id) < ($3::timestamptz, $4::uuid))
       ORDER BY m.created_at DESC, m.id DESC LIMIT $2`,
      [userId, page.limit + 1, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, page.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return {
      items: paged.items.map((r) => ({
        id: r.id,
        user: { id: r.other_id, username: r.other_username, profile_picture: r.other_avatar },
        created_at: iso(r.created_at),
        conversation_id: r.conversation_id,
      })),
      nextCursor: paged.nextCursor,
    };
  }

  /**
   * Either side ends a match: the match and both likes go (so old likes never re-match the
   * pair), and its conversation closes, in one transaction. Then both lobbies hear
   * `match_removed`, and the conversation's live room tells its seats and closes them.
   * Someone else's match (or an unknown one) is NOT_FOUND.
   */
  async unmatch(userId: string, matchId: string): Promise<{ id: string; conversationId: string | null }> {
    const notFound = () => new AppError("NOT_FOUND", "Match not found");
    if (!isUuid(matchId)) throw notFound();
    const ended = await this.deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_a: string; user_b: string }>(
        "SELECT user_a, user_b FROM matches WHERE id = $1 AND (user_a = $2 OR user_b = $2) FOR UPDATE",
        [matchId, userId],
      );
      const match = rows[0];
      if (!match) throw notFound();
      const conversationId = await this.deps.services.conversations.closeForMatch(matchId, tx);
      await tx.query("DELETE FROM likes WHERE (liker_id = $1 AND likee_id = $2) OR (liker_id = $2 AND likee_id = $1)", [
        match.user_a,
        match.user_b,
      ]);
      await tx.query("DELETE FROM matches WHERE id = $1", [matchId]);
      return { users: [match.user_a, match.user_b], conversationId };
    });
    const event = { matchId, conversationId: ended.conversationId };
    await Promise.all([
      ...ended.users.map((id) => this.deps.delivery.toUser(id, LobbyEvent.matchRemoved, event)),
      ended.conversationId ? this.deps.services.conversations.announceClosed(ended.conversationId, matchId) : undefined,
    ]).catch((err) => logger.warn({ err, matchId }, "unmatch stored but not every device was told"));
    return { id: matchId, conversationId: ended.conversationId };
  }

  private async matchOf(
    userA: string,
    userB: string,
    db: Queryable,
  ): Promise<{ id: string; created_at: Date | string; conversation_id: string | null } | null> {
    const { rows } = await db.query<{ id: string; created_at: Date | string; conversation_id: string | null }>(
      `SELECT m.id, m.created_at, c.id AS conversation_id FROM matches m LEFT JOIN conversations c ON c.match_id = m.id
       WHERE m.user_a = LEAST($1::uuid, $2::uuid) AND m.user_b = GREATEST($1::uuid, $2::uuid)`,
      [userA, userB],
    );
    return rows[0] ?? null;
  }

  /** `new_match` to both users' lobbies (any process); in each copy `match.user` is the other user. */
  private async announce(a: User, b: User, matchId: string, createdAt: string, conversationId: string): Promise<void> {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const match = { id: matchId, user: card(other), created_at: createdAt };
      await this.deps.delivery
        .toUser(me.id, LobbyEvent.newMatch, {
          type: LobbyEvent.newMatch,
          data: { type: LobbyEvent.newMatch, match, conversation_id: conversationId },
        })
        .catch((err) => logger.warn({ err, userId: me.id }, "new_match not delivered"));
    }
  }
}

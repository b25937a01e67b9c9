import { ServerError, type Delayed } from "@colyseus/core";
import type { AuthUser } from "../../auth/tokens";
import { appContext } from "../../context";
import { authOf, CLOSE_ACCESS_ENDED, parseJoinOptions, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import type { DeliveredEvent } from "../../realtime/delivery";
import {
  ConversationEvent,
  ConversationJoinOptions,
  ConversationMessage,
  conversationTopic,
  ConversationTopicEvent,
  messagePayload,
  ReadReceiptPayload,
  SyncPayload,
  TypingPayload,
  type ConversationEvents,
  type ConversationTopicEvents,
  type MessagePayload,
  type ReadReceiptEvent,
  type ReadReceiptPayload as ReadReceipt,
  type SyncPayload as Sync,
  type TypingPayload as Typing,
} from "./protocol";
import { isOnline, nextReadPosition, statusChange } from "./rules";
import { SYNC_LIMIT } from "./conversations";
import { logger } from "../../logger";
import { ConversationParticipant, ConversationState } from "./ConversationState";

/**
 * `conversation`: the live chat of one conversation (docs/PROTOCOL.md §3), one room per
 * conversation (filterBy conversationId), participants only.
 *
 * Stored facts (messages, read receipts) reach clients one way only: the service stores
 * them and publishes on the conversation's topic, and this room broadcasts what the topic
 * carries. So a message sent over WS, over REST, or on another process is broadcast exactly
 * once, after it is stored, and a duplicate `clientMessageId` (never published) is not
 * broadcast at all. Typing and online status are ephemeral and stay in the room.
 */
export class ConversationRoom extends RallyRoom<{ state: ConversationState }, ConversationEvents> {
  /** Typing falls back to false after this long without an update (tests shorten it). */
  static typingTimeoutMs = 5_000;
  /** The most messages one `sync` answers with (tests shorten it). */
  static syncLimit = SYNC_LIMIT;

  private conversationId = "";
  private readonly typingTimers = new Map<string, Delayed>();
  private unsubscribe?: () => void;

  static override roomKey(options: Record<string, unknown>): string | null {
    return typeof options.conversationId === "string" ? options.conversationId : null;
  }

  static override async route(user: AuthUser, options: Record<string, unknown>): Promise<{ conversationId: string }> {
    const { conversationId } = parseJoinOptions(ConversationJoinOptions, options);
    // Participants only, and only while the conversation is open to them (no block, not unmatched).
    const conversation = await appContext().services.conversations.requireOpen(conversationId, user.id);
    // Route by the stored id (canonical spelling), never by what the client typed.
    return { conversationId: conversation.id };
  }

  async onCreate(options: { conversationId: string }): Promise<void> {
    this.conversationId = options.conversationId;
    this.state = new ConversationState({ conversationId: this.conversationId });
    for (const { userId, username, lastReadMessageId } of await this.ctx.services.conversations.participants(
      this.conversationId,
    )) {
      const participant = { userId, username, online: false, typing: false, lastReadMessageId };
      this.state.participants.set(userId, new ConversationParticipant(participant));
    }
    this.unsubscribe = await this.ctx.delivery.onTopic(conversationTopic(this.conversationId), (event) =>
      this.onStoredEvent(event),
    );

    this.handle(ConversationMessage.message, messagePayload(this.ctx.config.TEXT_MAX_CHARS), (client, payload) =>
      this.sendMessage(client, payload),
    );
    this.handle(ConversationMessage.typing, TypingPayload, (client, payload) => this.typing(client, payload));
    this.handle(ConversationMessage.readReceipt, ReadReceiptPayload, (client, payload) =>
      this.readReceipt(client, payload),
    );
    this.handle(ConversationMessage.sync, SyncPayload, (client, payload, { isRequest }) =>
      this.sync(client, payload, isRequest),
    );
  }

  /** Stored, then broadcast through the topic; the request resolves with the stored message. */
  private async sendMessage(client: RallyClient, { content, clientMessageId }: MessagePayload) {
    const { message } = await this.ctx.services.conversations.send(
      this.conversationId,
      authOf(client).id,
      content,
      clientMessageId,
    );
    return message;
  }

  private typing(client: RallyClient, { is_typing }: Typing): void {
    this.setTyping(authOf(client).id, is_typing);
  }

  /** The reader is always the sender of the receipt; the topic brings it back to broadcast. */
  private readReceipt(client: RallyClient, { message_id }: ReadReceipt): Promise<ReadReceiptEvent> {
    return this.ctx.services.conversations.markRead(this.conversationId, authOf(client), message_id);
  }

  /** Every stored message after `afterMessageId`, oldest first (a `sync` event when not a request). */
  private async sync(client: RallyClient, { afterMessageId }: Sync, isRequest: boolean) {
    const reply = await this.ctx.services.conversations.since(
      this.conversationId,
      authOf(client).id,
      afterMessageId,
      ConversationRoom.syncLimit,
    );
    if (!isRequest) this.sendTo(client, ConversationEvent.sync, reply);
    return reply;
  }

  async onJoin(client: RallyClient): Promise<void> {
    // joinById lands here with any options: the seat is for this conversation's people only.
    if (!this.state.participants.has(authOf(client).id)) {
      throw new ServerError(403, "You are not a participant in this conversation");
    }
    // Seated before the join resolves, so a message sent next is not also pushed to their lobby.
    await this.syncPresence(client);
  }

  onDrop(client: RallyClient): void {
    this.allowReconnection(client, this.reconnectSeconds).catch(() => undefined);
    void this.syncPresence(client);
  }

  onReconnect(client: RallyClient): void {
    void this.syncPresence(client);
  }

  onLeave(client: RallyClient): void {
    void this.syncPresence(client);
  }

  onDispose(): Promise<void> {
    this.unsubscribe?.();
    return this.ctx.delivery
      .clearSeated(this.topic)
      .catch((err) => logger.warn({ err, roomId: this.roomId }, "seats not cleared"));
  }

  private get topic() {
    return conversationTopic(this.conversationId);
  }

  /** Broadcast what the service stored (from this process or another). */
  private onStoredEvent(event: DeliveredEvent<ConversationTopicEvents>): void {
    switch (event.type) {
      case ConversationTopicEvent.matchRemoved:
        // Unmatched: everyone hears why, then every seat closes (a held seat cannot come back).
        this.broadcastEvent(ConversationEvent.matchRemoved, event.payload);
        void this.disconnect(CLOSE_ACCESS_ENDED);
        return;
      case ConversationTopicEvent.accessEnded: {
        // A block now stands between participants: their seats close, silently (no reason told).
        const userIds = new Set(event.payload.userIds);
        for (const seat of this.seats.values()) if (userIds.has(seat.userId)) seat.client.leave(CLOSE_ACCESS_ENDED);
        return;
      }
      case ConversationTopicEvent.message:
        this.broadcastEvent(ConversationEvent.message, { message: event.payload.message });
        return;
      case ConversationTopicEvent.readReceipt: {
        const receipt = event.payload;
        const reader = this.state.participants.get(receipt.user_id);
        if (reader) reader.lastReadMessageId = nextReadPosition(reader.lastReadMessageId, receipt.message_id);
        this.broadcastEvent(ConversationEvent.readReceipt, receipt);
      }
    }
  }

  /**
   * After a seat change (the base registry already holds it), tell the others when the
   * participant's online status flipped (their first device came, or their last one went).
   * Going offline also ends typing.
   */
  private syncPresence(client: RallyClient): Promise<void> {
    const userId = authOf(client).id;
    const participant = this.state.participants.get(userId);
    const before = participant?.online ?? false;
    const after = isOnline(this.seats.ofUser(userId), userId);
    if (participant) participant.online = after;
    const status = statusChange(before, after);
    if (!status) return Promise.resolve();
    if (status === "offline" && participant?.typing) this.setTyping(userId, false);
    this.broadcastEvent(ConversationEvent.userStatus, { user_id: userId, status }, client);
    return this.ctx.delivery.setSeated(this.topic, userId, after).catch((err) => {
      logger.warn({ err, roomId: this.roomId, userId }, "seat not recorded in presence");
    });
  }

  /** Set a participant's typing flag, tell the other participants, and arm the fallback to false. */
  private setTyping(userId: string, typing: boolean): void {
    this.typingTimers.get(userId)?.clear();
    this.typingTimers.delete(userId);
    const participant = this.state.participants.get(userId);
    if (!participant) return;
    participant.typing = typing;
    if (typing) {
      this.typingTimers.set(
        userId,
        this.clock.setTimeout(() => this.setTyping(userId, false), ConversationRoom.typingTimeoutMs),
      );
    }
    const event = { user_id: userId, username: participant.username, is_typing: typing };
    for (const seat of this.seats.values()) {
      if (seat.userId !== userId) this.sendTo(seat.sessionId, ConversationEvent.typing, event);
    }
  }
}

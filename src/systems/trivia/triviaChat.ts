import type { Infra } from "../../services/infra";
import type { TriviaChatMessage } from "./protocol";

interface ChatRow {
  id: string | number;
  user_id: string;
  username: string;
  text: string;
  created_at: Date | string;
}

const toChat = (r: ChatRow): TriviaChatMessage => ({
  id: String(r.id),
  user_id: r.user_id,
  username: r.username,
  data: { text: r.text },
  created_at: new Date(r.created_at).toISOString(),
});

/** A trivia session's chat, stored before it is broadcast so late joiners get its history. */
export class TriviaChatService {
  constructor(private readonly deps: Pick<Infra, "db">) {}

  /** Store a chat message (before it is broadcast). */
  async saveChat(sessionId: string, user: { id: string; username: string }, text: string): Promise<TriviaChatMessage> {
    const { rows } = await this.deps.db.query<ChatRow>(
      `INSERT INTO trivia_chat (session_id, user_id, username, text) VALUES ($1, $2, $3, $4)
       RETURNING id, user_id, username, text, created_at`,
      [sessionId, user.id, user.username, text],
    );
    return toChat(rows[0]!);
  }

  /** The last `count` chat messages of a session, oldest first. */
  async recentChat(sessionId: string, count: number): Promise<TriviaChatMessage[]> {
    const { rows } = await this.deps.db.query<ChatRow>(
      `SELECT id, user_id, username, text, created_at FROM trivia_chat WHERE session_id = $1 ORDER BY id DESC LIMIT $2`,
      [sessionId, count],
    );
    return rows.reverse().map(toChat);
  }
}

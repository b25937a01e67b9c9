-- The dating product: likes make matches, matches make conversations.

-- A like is one direction of interest; the primary key makes liking again a no-op.
CREATE TABLE likes (
  liker_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  likee_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (liker_id, likee_id),
  CHECK (liker_id <> likee_id)
);
-- "Did they like me back?" looks a like up from the other side.
CREATE INDEX likes_likee_idx ON likes (likee_id, liker_id);

-- A match stores its pair in canonical order (user_a < user_b) so the unique key holds a
-- pair once, whichever of the two liked last.
CREATE TABLE matches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_a uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  user_b uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (user_a < user_b),
  UNIQUE (user_a, user_b)
);
CREATE INDEX matches_user_b_idx ON matches (user_b);

-- direct_pair ("<lower uuid>:<higher uuid>") keeps one 1:1 conversation per pair, even
-- when both open it at the same moment; it is null for any future group conversation.
CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id uuid UNIQUE REFERENCES matches(id) ON DELETE SET NULL,
  direct_pair text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- last_read_message_id is the participant's read position: every message up to it is read.
CREATE TABLE conversation_participants (
  conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  last_read_message_id bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_participants_user_idx ON conversation_participants (user_id);

-- The identity id is the one order of a conversation's messages for every reader, over REST
-- and WS. UNIQUE (sender_id, client_message_id) makes a client's retry a no-op wherever it
-- lands (reconnect, REST or WS, any process); NULLs never conflict.
CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  sender_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  content text NOT NULL,
  client_message_id varchar(64),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sender_id, client_message_id)
);
CREATE INDEX messages_conversation_id_idx ON messages (conversation_id, id);

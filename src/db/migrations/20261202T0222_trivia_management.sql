-- Trivia management (issue 18).
-- The process that runs a started session: a session left in_progress by a process that is
-- gone is marked interrupted by the next process to start, or by the periodic sweep.
ALTER TABLE trivia_sessions ADD COLUMN process_id text;
CREATE INDEX trivia_sessions_in_progress_idx ON trivia_sessions (process_id) WHERE status = 'in_progress';
-- "The org's sessions, newest first, by status".
CREATE INDEX trivia_sessions_org_status_idx ON trivia_sessions (org_id, status, created_at DESC);

-- Participants the host removed: they cannot join that session again.
CREATE TABLE trivia_kicked (
  session_id uuid NOT NULL REFERENCES trivia_sessions(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kicked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, user_id)
);

-- The session's chat, stored before it is broadcast; a late joiner gets the last 50.
CREATE TABLE trivia_chat (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES trivia_sessions(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  username text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trivia_chat_session_idx ON trivia_chat (session_id, id DESC);

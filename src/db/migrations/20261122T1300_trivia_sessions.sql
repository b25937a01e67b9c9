-- Trivia sessions belong to one organization: every lookup is by (org_id, id), so a session
-- id presented by a user of another org is simply not found.
-- status: lobby (created) → in_progress (host started) → finished (results written), or
-- interrupted (the room closed mid-session: shutdown, or everyone left; scores so far kept).
CREATE TABLE trivia_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id text NOT NULL,
  host_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title text NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'lobby' CHECK (status IN ('lobby', 'in_progress', 'finished', 'interrupted')),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz
);
CREATE INDEX trivia_sessions_org_idx ON trivia_sessions (org_id, created_at DESC);

-- answer_index never leaves the server before its question closes; position is 1-based.
CREATE TABLE trivia_questions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES trivia_sessions(id) ON DELETE CASCADE,
  position integer NOT NULL CHECK (position >= 1),
  text text NOT NULL,
  choices jsonb NOT NULL,
  answer_index integer NOT NULL CHECK (answer_index >= 0),
  time_limit_sec integer NOT NULL CHECK (time_limit_sec > 0),
  UNIQUE (session_id, position)
);

-- The final scoreboard (written once, when the session ends): one row per scored participant.
-- Team totals are the sum of score per team.
CREATE TABLE trivia_participants (
  session_id uuid NOT NULL REFERENCES trivia_sessions(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  username text NOT NULL,
  team text,
  score integer NOT NULL DEFAULT 0,
  rank integer NOT NULL,
  PRIMARY KEY (session_id, user_id)
);
CREATE INDEX trivia_participants_rank_idx ON trivia_participants (session_id, rank);

-- Every scored answer, written with the scoreboard.
CREATE TABLE trivia_answers (
  question_id uuid NOT NULL REFERENCES trivia_questions(id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  session_id uuid NOT NULL,
  choice_index integer NOT NULL,
  correct boolean NOT NULL,
  points integer NOT NULL,
  elapsed_ms integer NOT NULL,
  answered_at timestamptz NOT NULL,
  PRIMARY KEY (question_id, user_id),
  FOREIGN KEY (session_id, user_id) REFERENCES trivia_participants(session_id, user_id) ON DELETE CASCADE
);

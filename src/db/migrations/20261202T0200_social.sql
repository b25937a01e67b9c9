-- The social graph's safety tools: blocks, reports, unmatch (a closed conversation) and last seen.

-- A block is one direction (blocker → blocked), but its effects apply to the pair either way.
CREATE TABLE blocks (
  blocker_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  blocked_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
-- "Has this user blocked me?" looks a block up from the other side.
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);

-- Stored when the user's last lobby device leaves; shown to friends while offline.
ALTER TABLE users ADD COLUMN last_seen_at timestamptz;

-- An unmatched pair's conversation is closed: no new messages, hidden from lists, no room.
ALTER TABLE conversations ADD COLUMN closed_at timestamptz;

-- Unfriending deletes the friendship row; the game invitations sent over it are history and stay.
ALTER TABLE game_invitations ALTER COLUMN friendship_id DROP NOT NULL;
ALTER TABLE game_invitations DROP CONSTRAINT game_invitations_friendship_id_fkey;
ALTER TABLE game_invitations
  ADD CONSTRAINT game_invitations_friendship_id_fkey FOREIGN KEY (friendship_id) REFERENCES friendships(id) ON DELETE SET NULL;

-- A report keeps a snapshot of the reported messages (`evidence`), so a later delete does
-- not erase it. One open report per reporter and target (the partial unique index).
CREATE TABLE reports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reporter_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  reported_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  reason varchar(32) NOT NULL,
  note text,
  conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
  message_id bigint,
  evidence jsonb NOT NULL DEFAULT '[]'::jsonb,
  status varchar(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed', 'withdrawn')),
  resolution_note text,
  resolved_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  CHECK (reporter_id <> reported_id)
);
CREATE UNIQUE INDEX reports_open_pair_idx ON reports (reporter_id, reported_id) WHERE status = 'open';
CREATE INDEX reports_status_created_idx ON reports (status, created_at DESC, id DESC);
CREATE INDEX reports_created_idx ON reports (created_at DESC, id DESC);
CREATE INDEX reports_reporter_created_idx ON reports (reporter_id, created_at DESC);

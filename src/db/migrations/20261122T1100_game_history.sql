-- Finished and abandoned bigger_dice games, each written once when it ends (never per roll).
-- The id is made by the room when the game starts, so a retried write after a lost
-- acknowledgement is a no-op instead of a duplicate. Rolls are kept as one jsonb array
-- ([{turn, round, userId, roll}]) because they are only ever read back with their game.
CREATE TABLE game_history (
  id uuid PRIMARY KEY,
  game_type varchar(32) NOT NULL DEFAULT 'bigger_dice',
  room_id text NOT NULL,
  room_name text NOT NULL,
  -- Set for the private room behind an accepted game invitation.
  invitation_id text,
  target_score integer NOT NULL,
  status varchar(16) NOT NULL CHECK (status IN ('finished', 'abandoned')),
  reason varchar(32) NOT NULL CHECK (reason IN ('win', 'forfeit', 'abandoned', 'server_shutdown')),
  winner_id uuid REFERENCES users(id) ON DELETE SET NULL,
  rolls jsonb NOT NULL DEFAULT '[]'::jsonb,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX game_history_ended_idx ON game_history (ended_at DESC);

-- The players of each game with their final score; `seat` keeps the room's seat order.
-- The username is the one the player had when the game was played.
CREATE TABLE game_history_players (
  game_id uuid NOT NULL REFERENCES game_history(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  seat smallint NOT NULL,
  username text NOT NULL,
  score integer NOT NULL,
  PRIMARY KEY (game_id, user_id)
);
-- "My games, newest first" starts from the player.
CREATE INDEX game_history_players_user_idx ON game_history_players (user_id);

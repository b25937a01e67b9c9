-- The dice turn clock: a player who lets the clock run out too often forfeits with reason
-- 'inactive'; a game stored at shutdown keeps the turn that was open ({userId, turnNumber,
-- turnEndsAt}) so it can be told apart from a game abandoned between turns.
ALTER TABLE game_history DROP CONSTRAINT game_history_reason_check;
ALTER TABLE game_history ADD CONSTRAINT game_history_reason_check
  CHECK (reason IN ('win', 'forfeit', 'inactive', 'abandoned', 'server_shutdown'));
ALTER TABLE game_history ADD COLUMN pending_turn jsonb;

-- Friendships: a request and the friendship it becomes are one row (one id, the
-- `friendship_id` that game invitations carry). `pending` until the addressee accepts.
CREATE TABLE friendships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  requester_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  addressee_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted')),
  created_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz,
  CHECK (requester_id <> addressee_id)
);
-- One row per unordered pair, whoever asked first: a request back while one is pending, or
-- a request between friends, is a conflict rather than a second row.
CREATE UNIQUE INDEX friendships_pair_idx
  ON friendships (LEAST(requester_id, addressee_id), GREATEST(requester_id, addressee_id));
CREATE INDEX friendships_requester_idx ON friendships (requester_id, status);
CREATE INDEX friendships_addressee_idx ON friendships (addressee_id, status);

-- Game invitations between friends (the source product's table, with a uuid id, the map as
-- text and the friendship it was sent over). `room_id` is the private bigger_dice room made
-- when it was accepted.
CREATE TABLE game_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sender_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  receiver_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  friendship_id uuid NOT NULL REFERENCES friendships(id) ON DELETE CASCADE,
  map varchar(64) NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'expired')),
  room_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (sender_id <> receiver_id)
);
-- At most one pending invitation per unordered pair, so two concurrent sends (from any
-- process, in either direction) cannot both be stored.
CREATE UNIQUE INDEX game_invitations_pending_pair_idx
  ON game_invitations (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id))
  WHERE status = 'pending';
-- The rate limit counts a sender's rows of the last minute.
CREATE INDEX game_invitations_sender_created_idx ON game_invitations (sender_id, created_at DESC);
CREATE INDEX game_invitations_receiver_status_idx ON game_invitations (receiver_id, status);

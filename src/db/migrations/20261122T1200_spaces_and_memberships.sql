-- Metaverse spaces. `capacity` caps both the members and the people present in the live room;
-- positions in the room satisfy 0 <= x <= width and 0 <= y <= height.
CREATE TABLE spaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(100) NOT NULL,
  capacity integer NOT NULL CHECK (capacity > 0),
  width integer NOT NULL DEFAULT 1000 CHECK (width > 0),
  height integer NOT NULL DEFAULT 1000 CHECK (height > 0),
  owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Who belongs to a space. The primary key makes a second membership of the same user
-- impossible, even when two accepts race.
CREATE TABLE space_members (
  space_id uuid NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role varchar(20) NOT NULL CHECK (role IN ('admin', 'member')),
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (space_id, user_id)
);
-- "My spaces" looks memberships up by user.
CREATE INDEX space_members_user_idx ON space_members (user_id);

-- Space invites are rows of the shared notifications table (kind 'space_invite'); an invite
-- is pending while is_active, and accept/decline clear it. This serves "my invites".
CREATE INDEX notifications_space_invites_idx ON notifications (user_id, created_at DESC)
  WHERE kind = 'space_invite' AND is_active;

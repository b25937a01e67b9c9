-- Organizations as data (issue 16): membership, not a token claim, decides who sees an org.
-- ids stay text so the existing trivia_sessions.org_id values keep naming their org.
CREATE TABLE orgs (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_members (
  org_id text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role varchar(10) NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_idx ON org_members (user_id, joined_at);

-- Only the hash of a code is kept: a database dump gives no way into an org.
CREATE TABLE org_invite_codes (
  code_hash text PRIMARY KEY,
  org_id text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  created_by uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at timestamptz,
  max_uses integer CHECK (max_uses IS NULL OR max_uses > 0),
  uses integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The orgs users claimed before this migration keep their members (the earliest one owns it),
-- so existing deployments lose no access; from now on only invite codes add members.
INSERT INTO orgs (id, name, created_at)
  SELECT org_id, org_id, min(created_at) FROM users WHERE org_id IS NOT NULL GROUP BY org_id;
INSERT INTO org_members (org_id, user_id, role, joined_at)
  SELECT org_id, id,
         CASE WHEN row_number() OVER (PARTITION BY org_id ORDER BY created_at, id) = 1 THEN 'owner' ELSE 'member' END,
         created_at
  FROM users WHERE org_id IS NOT NULL;

-- Refresh tokens: opaque, stored hashed, one family per device. Each use rotates the token
-- (used_at set, a new row in the same family); presenting a used one revokes the family.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- The notification center, in the metaverse product's shape (uuid id, type invites|updates,
-- status unread|read|dismissed, data jsonb, expires_at). Every kind of personal event
-- (game invitation, space invite, match) is a row here; `kind` says which, so one store
-- serves the lobby's unread count, the REST list and the metaverse invite routes.
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  type varchar(50) NOT NULL CHECK (type IN ('invites', 'updates')),
  kind varchar(50) NOT NULL,
  title varchar(255) NOT NULL,
  message text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  status varchar(50) NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read', 'dismissed')),
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX notifications_user_status_idx ON notifications (user_id, status, created_at DESC);

-- Users provisioned from an external identity provider are keyed by the provider's `sub`;
-- they have no local password.
ALTER TABLE users ADD COLUMN external_subject text;
CREATE UNIQUE INDEX users_external_subject_idx ON users (external_subject) WHERE external_subject IS NOT NULL;
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

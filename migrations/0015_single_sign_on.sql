SET lock_timeout = '5s';

-- People who come in through the identity provider may have no password here.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- The provider's identity of a person (issuer and subject): later sign-ins find them by it even after
-- their email changes. A local account with the same verified email is linked to it, not duplicated.
ALTER TABLE users ADD COLUMN sso_issuer TEXT, ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_sso_identity ON users (sso_issuer, sso_subject) WHERE sso_subject IS NOT NULL;

-- Admins turn local passwords off once single sign-on works ('off'); the CLI can always turn them on.
INSERT INTO settings (key, value) VALUES ('local_passwords', 'on') ON CONFLICT (key) DO NOTHING;

SET lock_timeout = '5s';

-- The service catalogue behind the status page: admins add services with their owning team and a
-- description. Names are unique whatever their case, as incidents name services loosely.
CREATE TABLE services (
    id          BIGSERIAL   PRIMARY KEY,
    name        TEXT        NOT NULL,
    team        TEXT        NOT NULL DEFAULT '',
    description TEXT        NOT NULL DEFAULT '',
    created_by  BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX services_by_name ON services (lower(name));

-- Whether /status (and its API and feed) may be read without signing in.
INSERT INTO settings (key, value) VALUES ('status_page_public', 'false') ON CONFLICT (key) DO NOTHING;

SET lock_timeout = '5s';

-- Deactivated people keep their name in history but cannot sign in or use a token.
ALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;

-- Named tokens with a scope and an optional expiry. Revoked tokens stay (the audit log names them).
ALTER TABLE api_tokens
    ADD COLUMN name       TEXT NOT NULL DEFAULT 'API token',
    ADD COLUMN scope      TEXT NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write', 'feed')),
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN revoked_at TIMESTAMPTZ;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- One row per signed-in browser. The session keeps only this row's random id, so ending a sign-in
-- here (sign out elsewhere, deactivation, a password reset) takes effect on the browser's next request.
CREATE TABLE sign_ins (
    id           TEXT        PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at     TIMESTAMPTZ,
    address      TEXT,
    user_agent   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sign_ins_open_by_user ON sign_ins (user_id) WHERE ended_at IS NULL;

-- One-time password reset links an admin hands out. Only a hash of the link's secret is stored.
CREATE TABLE password_resets (
    id         BIGSERIAL   PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    token_hash TEXT        NOT NULL UNIQUE,
    created_by BIGINT      NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- Who did what, append-only. Actor and object are copied as they were (name, reference), so an entry
-- reads the same after a rename. No foreign keys: nothing elsewhere may ever need to change a row here.
CREATE TABLE audit_log (
    id          BIGSERIAL   PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id    BIGINT,
    actor_name  TEXT        NOT NULL DEFAULT '',
    token_id    BIGINT,
    action      TEXT        NOT NULL,
    object_type TEXT        NOT NULL DEFAULT '',
    object_id   TEXT        NOT NULL DEFAULT '',
    object_name TEXT        NOT NULL DEFAULT '',
    address     TEXT,
    change      JSONB
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_by_action ON audit_log (action, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();


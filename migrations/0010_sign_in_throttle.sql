SET lock_timeout = '5s';

-- Failed (and in-flight) sign-in attempts, shared by every app instance: the throttle counts them per
-- account and per client address over a sliding window. Rows older than the window are deleted as new
-- ones are recorded, so the table stays small.
CREATE TABLE sign_in_failures (
    id        BIGSERIAL   PRIMARY KEY,
    -- Trimmed and lower-cased, whether or not such an account exists.
    email     TEXT        NOT NULL,
    -- The client's address (an IPv6 client's /64); NULL when it is not known.
    address   TEXT,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_by_address ON sign_in_failures (address, failed_at) WHERE address IS NOT NULL;
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (failed_at);

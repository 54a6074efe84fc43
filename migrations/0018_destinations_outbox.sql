SET lock_timeout = '5s';

-- Where notifications go: a Slack-compatible webhook, a Teams workflow or signed JSON, each with the
-- events it hears and the least severe incident it is told about. The address (and the signing
-- secret) are secrets: answers show only the address's host. Removing keeps the row for the log.
CREATE TABLE destinations (
    id           BIGSERIAL   PRIMARY KEY,
    kind         TEXT        NOT NULL CHECK (kind IN ('slack', 'teams', 'signed_json')),
    name         TEXT        NOT NULL,
    url          TEXT        NOT NULL,
    secret       TEXT,
    events       TEXT[]      NOT NULL,
    min_severity TEXT        NOT NULL CHECK (min_severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    created_by   BIGINT      NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at   TIMESTAMPTZ,
    CHECK ((kind = 'signed_json') = (secret IS NOT NULL))
);

-- One row per notification and destination, written in the transaction of the change it tells
-- about. Workers on every instance claim due rows (FOR UPDATE SKIP LOCKED) and retry with backoff;
-- `body` is the notice itself, rendered for the destination's kind when it is sent.
CREATE TABLE outbox (
    id              BIGSERIAL   PRIMARY KEY,
    destination_id  BIGINT      NOT NULL REFERENCES destinations (id),
    event           TEXT        NOT NULL,
    incident_id     BIGINT      REFERENCES incidents (id) ON DELETE CASCADE,
    idempotency_key UUID        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    body            JSONB       NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INT         NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    last_error      TEXT,
    delivered_at    TIMESTAMPTZ,
    given_up_at     TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX outbox_by_destination ON outbox (destination_id, id DESC);

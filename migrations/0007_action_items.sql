SET lock_timeout = '5s';

CREATE TABLE action_items (
    id                BIGSERIAL PRIMARY KEY,
    incident_id       BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title             TEXT        NOT NULL,
    description       TEXT        NOT NULL DEFAULT '',
    owner_id          BIGINT      NOT NULL REFERENCES users (id),
    -- A calendar date: overdue is judged in the owner's own time zone.
    due_on            DATE        NOT NULL,
    type              TEXT        NOT NULL
                      CHECK (type IN ('prevent', 'mitigate', 'observability', 'alerting', 'self_healing', 'process')),
    priority          TEXT        NOT NULL CHECK (priority IN ('P1', 'P2', 'P3')),
    status            TEXT        NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'in_progress', 'done', 'wont_do')),
    reason            TEXT,
    tracker_url       TEXT,
    success_criterion TEXT        NOT NULL DEFAULT '',
    check_back_on     DATE,
    outcome           TEXT        CHECK (outcome IN ('worked', 'did_not_work', 'unclear')),
    outcome_note      TEXT        NOT NULL DEFAULT '',
    version           INTEGER     NOT NULL DEFAULT 1,
    created_by        BIGINT      NOT NULL REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT action_items_wont_do_reason CHECK (status <> 'wont_do' OR coalesce(btrim(reason), '') <> '')
);
CREATE INDEX action_items_by_incident ON action_items (incident_id);
CREATE INDEX action_items_by_owner ON action_items (owner_id, due_on);
CREATE INDEX action_items_by_due ON action_items (due_on, id);

CREATE TABLE action_item_changes (
    id         BIGSERIAL PRIMARY KEY,
    action_id  BIGINT      NOT NULL REFERENCES action_items (id) ON DELETE CASCADE,
    author_id  BIGINT      NOT NULL REFERENCES users (id),
    field      TEXT        NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX action_item_changes_by_action ON action_item_changes (action_id, id);

-- One row per day the digest went out: the primary key makes it once a day across instances and restarts.
CREATE TABLE digest_runs (
    day     DATE        PRIMARY KEY,
    sent_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

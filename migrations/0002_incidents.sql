SET lock_timeout = '5s';

CREATE TABLE incidents (
    id             BIGSERIAL PRIMARY KEY,
    title          TEXT        NOT NULL,
    severity       TEXT        NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    status         TEXT        NOT NULL DEFAULT 'investigating'
                   CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'closed')),
    summary        TEXT        NOT NULL DEFAULT '',
    services       TEXT[]      NOT NULL DEFAULT '{}',
    started_at     TIMESTAMPTZ NOT NULL,
    declared_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at    TIMESTAMPTZ,
    declared_by    BIGINT      NOT NULL REFERENCES users (id),
    commander_id   BIGINT      REFERENCES users (id),
    comms_lead_id  BIGINT      REFERENCES users (id),
    scribe_id      BIGINT      REFERENCES users (id),
    -- Optimistic concurrency: every update must name the version it read.
    version        INTEGER     NOT NULL DEFAULT 1
);
CREATE INDEX incidents_open_recent ON incidents ((status IN ('resolved', 'closed')), started_at DESC);

CREATE TABLE timeline_events (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT        NOT NULL
                CHECK (kind IN ('declared', 'note', 'status', 'severity', 'role', 'title', 'summary')),
    author_id   BIGINT      NOT NULL REFERENCES users (id),
    body        TEXT        NOT NULL DEFAULT '',
    -- Sanitised HTML rendered once at write time, so page views never re-render Markdown.
    body_html   TEXT        NOT NULL DEFAULT '',
    from_value  TEXT,
    to_value    TEXT,
    key_kind    TEXT        CHECK (key_kind IN ('trigger', 'detection', 'mitigation', 'resolution')),
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX timeline_events_by_incident ON timeline_events (incident_id, occurred_at DESC, id DESC);

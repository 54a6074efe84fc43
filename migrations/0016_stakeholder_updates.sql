SET lock_timeout = '5s';

-- Stakeholder updates: what is happening, the impact on customers, and when the next update comes.
CREATE TABLE incident_updates (
    id             BIGSERIAL   PRIMARY KEY,
    incident_id    BIGINT      NOT NULL REFERENCES incidents (id),
    author_id      BIGINT      NOT NULL REFERENCES users (id),
    message        TEXT        NOT NULL,
    impact         TEXT        NOT NULL DEFAULT '',
    next_update_at TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX incident_updates_newest ON incident_updates (incident_id, created_at DESC, id DESC);

-- Each update is on the timeline too.
ALTER TABLE timeline_events DROP CONSTRAINT timeline_events_kind_check;
ALTER TABLE timeline_events ADD CONSTRAINT timeline_events_kind_check
    CHECK (kind IN ('declared', 'note', 'status', 'severity', 'role', 'title', 'summary',
                    'visibility', 'participants', 'update')) NOT VALID;
ALTER TABLE timeline_events VALIDATE CONSTRAINT timeline_events_kind_check;

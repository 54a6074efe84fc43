SET lock_timeout = '5s';

-- People sign in; integrations act (an incident opened by an alert is declared by its integration's
-- account). Integration accounts never sign in and are not listed among people.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'integration'));

-- Alert sources: Alertmanager or a generic webhook, each with its own bearer token (only a SHA-256 of it
-- is kept). Revoking keeps the row, so the incidents it opened still say where they came from.
CREATE TABLE integrations (
    id          BIGSERIAL   PRIMARY KEY,
    kind        TEXT        NOT NULL CHECK (kind IN ('alertmanager', 'generic')),
    name        TEXT        NOT NULL,
    token_hash  TEXT        NOT NULL UNIQUE,
    user_id     BIGINT      NOT NULL UNIQUE REFERENCES users (id),
    created_by  BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);

-- `triage`: opened by an alert, waiting for a person to accept or decline it.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check
    CHECK (status IN ('triage', 'investigating', 'identified', 'monitoring', 'resolved', 'closed')) NOT VALID;
ALTER TABLE incidents VALIDATE CONSTRAINT incidents_status_check;

ALTER TABLE incidents
    ADD COLUMN source_integration_id BIGINT REFERENCES integrations (id),
    ADD COLUMN source_group_key      TEXT,
    -- When the first alert began; set on accepting from triage.
    ADD COLUMN detected_at           TIMESTAMPTZ,
    -- Declined from triage (the reason is the close reason): left out of the default list and of figures.
    ADD COLUMN declined_at           TIMESTAMPTZ;
CREATE INDEX incidents_by_alert_group ON incidents (source_integration_id, source_group_key)
    WHERE source_group_key IS NOT NULL;

-- Every alert state seen, once: (integration, fingerprint, start, firing|resolved). A retried or repeated
-- notification finds its rows here and records nothing again.
CREATE TABLE alert_events (
    integration_id BIGINT      NOT NULL REFERENCES integrations (id),
    fingerprint    TEXT        NOT NULL,
    starts_at      TIMESTAMPTZ NOT NULL,
    status         TEXT        NOT NULL CHECK (status IN ('firing', 'resolved')),
    incident_id    BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (integration_id, fingerprint, starts_at, status)
);
CREATE INDEX alert_events_by_incident ON alert_events (incident_id);

-- Alerts and triage decisions are on the timeline.
ALTER TABLE timeline_events DROP CONSTRAINT timeline_events_kind_check;
ALTER TABLE timeline_events ADD CONSTRAINT timeline_events_kind_check
    CHECK (kind IN ('declared', 'note', 'status', 'severity', 'role', 'title', 'summary',
                    'visibility', 'participants', 'update', 'alert')) NOT VALID;
ALTER TABLE timeline_events VALIDATE CONSTRAINT timeline_events_kind_check;

-- Which labels set the severity (first matching rule, else the default) and which the services (admins change them under Integrations).
INSERT INTO settings (key, value) VALUES ('alert_rules',
    '{"severity_rules":[{"label":"severity","value":"critical","severity":"SEV1"},{"label":"severity","value":"page","severity":"SEV1"},{"label":"severity","value":"major","severity":"SEV2"},{"label":"severity","value":"warning","severity":"SEV3"},{"label":"severity","value":"info","severity":"SEV4"}],"default_severity":"SEV3","service_labels":["service"]}')
ON CONFLICT (key) DO NOTHING;

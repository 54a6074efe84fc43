SET lock_timeout = '5s';

-- A person's correction of one of an incident's moments (impact started … closed). The automatic
-- times are read from the evidence itself (the incident, its timeline); a correction stands over
-- them, the latest per moment winning, and the earlier ones stay as history.
CREATE TABLE milestone_corrections (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    moment      TEXT        NOT NULL CHECK (moment IN
                    ('impact_started', 'detected', 'declared', 'acknowledged', 'mitigated', 'resolved', 'closed')),
    at          TIMESTAMPTZ NOT NULL,
    set_by      BIGINT      NOT NULL REFERENCES users (id),
    reason      TEXT        NOT NULL CHECK (reason <> ''),
    set_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX milestone_corrections_by_incident ON milestone_corrections (incident_id, moment, id DESC);

-- The automatic time of each moment, the one place its rules are written (Moment::evidence says
-- the same in words). One pass over the incident's own timeline, through timeline_events_by_incident,
-- whether one incident is read or a year of them.
CREATE VIEW milestone_evidence AS
SELECT i.id AS incident_id,
       i.started_at AS impact_started,
       COALESCE(e.detection, i.detected_at) AS detected,
       i.declared_at AS declared,
       e.acknowledged,
       COALESCE(e.mitigation, e.monitoring) AS mitigated,
       i.resolved_at AS resolved,
       e.closed
FROM incidents i
CROSS JOIN LATERAL (
    SELECT min(t.occurred_at) FILTER (WHERE t.key_kind = 'detection') AS detection,
           min(t.recorded_at) FILTER (WHERE t.kind IN ('role', 'note', 'status') AND t.recorded_at >= i.declared_at)
               AS acknowledged,
           min(t.occurred_at) FILTER (WHERE t.key_kind = 'mitigation') AS mitigation,
           min(t.occurred_at) FILTER (WHERE t.kind = 'status' AND t.to_value = 'monitoring') AS monitoring,
           max(t.occurred_at) FILTER (WHERE t.kind = 'status' AND t.to_value = 'closed') AS closed
    FROM timeline_events t
    WHERE t.incident_id = i.id
) e;

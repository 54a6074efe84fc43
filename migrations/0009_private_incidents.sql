SET lock_timeout = '5s';

-- Security, legal and HR incidents are seen only by the people working on them.
-- A constant default is a catalogue-only change: no table rewrite.
ALTER TABLE incidents ADD COLUMN private BOOLEAN NOT NULL DEFAULT false;

-- People added to an incident so that they may see it while it is private.
CREATE TABLE incident_participants (
    incident_id BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    added_by    BIGINT      NOT NULL REFERENCES users (id),
    added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_participants_by_user ON incident_participants (user_id);

-- Visibility changes and participants are written on the timeline like every other change.
ALTER TABLE timeline_events DROP CONSTRAINT timeline_events_kind_check;
ALTER TABLE timeline_events ADD CONSTRAINT timeline_events_kind_check
    CHECK (kind IN ('declared', 'note', 'status', 'severity', 'role', 'title', 'summary',
                    'visibility', 'participants')) NOT VALID;
ALTER TABLE timeline_events VALIDATE CONSTRAINT timeline_events_kind_check;

-- The one visibility rule. Every query that lists or reads an incident, or anything belonging to
-- it, filters with this function, so no list can forget it. A NULL viewer is "everyone" (outgoing
-- webhooks, the shared digest): public incidents only. Written as a single SQL expression so the
-- planner can inline it into the calling query.
CREATE FUNCTION incident_visible(incident BIGINT, viewer BIGINT) RETURNS BOOLEAN
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM incidents i
        WHERE i.id = incident
          AND (NOT i.private
               OR viewer IN (i.declared_by, i.commander_id, i.comms_lead_id, i.scribe_id)
               OR EXISTS (SELECT 1 FROM users u WHERE u.id = viewer AND u.role = 'admin')
               OR EXISTS (SELECT 1 FROM incident_participants p WHERE p.incident_id = i.id AND p.user_id = viewer)
               OR EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = i.id AND a.owner_id = viewer)))
$$;

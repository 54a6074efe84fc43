SET lock_timeout = '5s';

-- Each incident's moments as they stand (the evidence, with the latest correction over it), kept by
-- the same statements that change the evidence, so the insights read a year of incidents as a plain
-- scan instead of probing every incident's timeline. The incident page still reads them live, with
-- who set each and why (milestone_evidence holds the rules for both).
CREATE TABLE incident_moments (
    incident_id    BIGINT PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    impact_started TIMESTAMPTZ,
    detected       TIMESTAMPTZ,
    declared       TIMESTAMPTZ,
    acknowledged   TIMESTAMPTZ,
    mitigated      TIMESTAMPTZ,
    resolved       TIMESTAMPTZ,
    closed         TIMESTAMPTZ
);

CREATE FUNCTION refresh_incident_moments(targets BIGINT[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO incident_moments AS m
        (incident_id, impact_started, detected, declared, acknowledged, mitigated, resolved, closed)
    SELECT ev.incident_id,
           COALESCE(c.impact_started, ev.impact_started), COALESCE(c.detected, ev.detected),
           COALESCE(c.declared, ev.declared), COALESCE(c.acknowledged, ev.acknowledged),
           COALESCE(c.mitigated, ev.mitigated), COALESCE(c.resolved, ev.resolved), COALESCE(c.closed, ev.closed)
    FROM unnest(targets) AS t (id)
    JOIN milestone_evidence ev ON ev.incident_id = t.id
    LEFT JOIN LATERAL (
        SELECT (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'impact_started'))[1] AS impact_started,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'detected'))[1] AS detected,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'declared'))[1] AS declared,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'acknowledged'))[1] AS acknowledged,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'mitigated'))[1] AS mitigated,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'resolved'))[1] AS resolved,
               (array_agg(mc.at ORDER BY mc.id DESC) FILTER (WHERE mc.moment = 'closed'))[1] AS closed
        FROM milestone_corrections mc WHERE mc.incident_id = ev.incident_id
    ) c ON true
    ON CONFLICT (incident_id) DO UPDATE SET
        impact_started = EXCLUDED.impact_started, detected = EXCLUDED.detected, declared = EXCLUDED.declared,
        acknowledged = EXCLUDED.acknowledged, mitigated = EXCLUDED.mitigated, resolved = EXCLUDED.resolved,
        closed = EXCLUDED.closed
$$;

-- Statement-level, over the rows the statement touched: a bulk insert of events refreshes each
-- incident once, not once per event.
CREATE FUNCTION incident_moments_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'incidents' THEN
        PERFORM refresh_incident_moments(ARRAY(SELECT DISTINCT id FROM changed));
    ELSE
        PERFORM refresh_incident_moments(ARRAY(SELECT DISTINCT incident_id FROM changed));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER incident_moments_incidents_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incident_moments_after_change();
-- An incident changes one at a time, and only these columns are evidence (a trigger with a column
-- list cannot see a transition table, so this one is per row).
CREATE FUNCTION incident_moments_after_incident_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_incident_moments(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_moments_incidents_update
    AFTER UPDATE OF started_at, declared_at, resolved_at, detected_at ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_moments_after_incident_update();
CREATE TRIGGER incident_moments_events_insert AFTER INSERT ON timeline_events
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incident_moments_after_change();
CREATE TRIGGER incident_moments_events_update AFTER UPDATE ON timeline_events
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incident_moments_after_change();
CREATE TRIGGER incident_moments_events_delete AFTER DELETE ON timeline_events
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incident_moments_after_change();
CREATE TRIGGER incident_moments_corrections_insert AFTER INSERT ON milestone_corrections
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incident_moments_after_change();

-- The incidents there already are.
SELECT refresh_incident_moments(ARRAY(SELECT id FROM incidents));

CREATE INDEX incident_moments_by_impact ON incident_moments (impact_started);

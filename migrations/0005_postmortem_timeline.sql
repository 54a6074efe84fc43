SET lock_timeout = '5s';

-- Key events left out of a postmortem's timeline section; every other key event is in it.
CREATE TABLE postmortem_timeline_exclusions (
    incident_id BIGINT NOT NULL REFERENCES postmortems (incident_id) ON DELETE CASCADE,
    event_id    BIGINT NOT NULL REFERENCES timeline_events (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, event_id)
);

SET lock_timeout = '5s';

-- What in the system let the incident happen, each with where it lives. There is no "person" category.
CREATE TABLE contributing_factors (
    id          BIGSERIAL   PRIMARY KEY,
    incident_id BIGINT      NOT NULL REFERENCES postmortems (incident_id) ON DELETE CASCADE,
    factor      TEXT        NOT NULL CHECK (char_length(factor) BETWEEN 1 AND 500),
    category    TEXT        NOT NULL
                CHECK (category IN ('technology', 'process', 'environment', 'external_dependency')),
    position    INTEGER     NOT NULL,
    created_by  BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contributing_factors_by_incident ON contributing_factors (incident_id, position);

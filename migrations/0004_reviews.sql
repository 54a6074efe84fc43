SET lock_timeout = '5s';

-- Readers see everything and change nothing.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'member', 'reader'));

-- Set when an incident is closed without a postmortem.
ALTER TABLE incidents ADD COLUMN close_reason TEXT;

CREATE TABLE postmortem_reviewers (
    incident_id BIGINT      NOT NULL REFERENCES postmortems (incident_id) ON DELETE CASCADE,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    decision    TEXT        NOT NULL DEFAULT 'pending'
                CHECK (decision IN ('pending', 'approved', 'changes_requested')),
    decided_at  TIMESTAMPTZ,
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE review_comments (
    id          BIGSERIAL   PRIMARY KEY,
    incident_id BIGINT      NOT NULL REFERENCES postmortems (incident_id) ON DELETE CASCADE,
    section_key TEXT,
    author_id   BIGINT      NOT NULL REFERENCES users (id),
    body        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every publication is kept: the library shows the latest revision, history keeps the rest.
CREATE TABLE publications (
    id           BIGSERIAL   PRIMARY KEY,
    incident_id  BIGINT      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    revision     INTEGER     NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_by BIGINT      NOT NULL REFERENCES users (id),
    markdown     TEXT        NOT NULL,
    -- Sanitised HTML of the sections, rendered once at publication.
    html         TEXT        NOT NULL,
    search       TSVECTOR    NOT NULL,
    UNIQUE (incident_id, revision)
);
CREATE INDEX publications_search ON publications USING GIN (search);
CREATE INDEX publications_recent ON publications (published_at DESC);

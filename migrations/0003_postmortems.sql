SET lock_timeout = '5s';

-- The template admins manage. Postmortems copy it when they start, so later edits leave them alone.
CREATE TABLE template_sections (
    key      TEXT PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    position INTEGER NOT NULL,
    title    TEXT    NOT NULL,
    guidance TEXT    NOT NULL DEFAULT '',
    required BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE postmortems (
    incident_id  BIGINT      PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    status       TEXT        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review', 'published')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by   BIGINT      NOT NULL REFERENCES users (id),
    published_at TIMESTAMPTZ
);

CREATE TABLE postmortem_sections (
    incident_id BIGINT      NOT NULL REFERENCES postmortems (incident_id) ON DELETE CASCADE,
    key         TEXT        NOT NULL,
    position    INTEGER     NOT NULL,
    title       TEXT        NOT NULL,
    guidance    TEXT        NOT NULL DEFAULT '',
    required    BOOLEAN     NOT NULL DEFAULT false,
    body        TEXT        NOT NULL DEFAULT '',
    version     INTEGER     NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ,
    updated_by  BIGINT      REFERENCES users (id),
    PRIMARY KEY (incident_id, key)
);

-- Every saved change, kept: history and diffs per section.
CREATE TABLE section_revisions (
    id          BIGSERIAL   PRIMARY KEY,
    incident_id BIGINT      NOT NULL,
    key         TEXT        NOT NULL,
    version     INTEGER     NOT NULL,
    body        TEXT        NOT NULL,
    author_id   BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (incident_id, key) REFERENCES postmortem_sections (incident_id, key) ON DELETE CASCADE,
    UNIQUE (incident_id, key, version)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

SET lock_timeout = '5s';

-- The team a person works in, so action items can be filtered by the owner's team.
-- A constant default is a catalogue-only change: no table rewrite.
ALTER TABLE users ADD COLUMN team TEXT NOT NULL DEFAULT '';

-- A follow-up created from an item whose check-back said it did not work.
ALTER TABLE action_items ADD COLUMN follows_id BIGINT REFERENCES action_items (id) ON DELETE SET NULL;
CREATE INDEX action_items_by_follows ON action_items (follows_id) WHERE follows_id IS NOT NULL;

SET lock_timeout = '5s';

-- Set when an admin published without an approval from someone other than the write-up's authors:
-- the stated reason, shown on the publication. NULL means it was reviewed independently.
ALTER TABLE publications ADD COLUMN override_reason TEXT;

SET lock_timeout = '5s';

-- Email destinations (a mailing list); the address is kept as `mailto:…` in `url`.
ALTER TABLE destinations DROP CONSTRAINT destinations_kind_check;
ALTER TABLE destinations ADD CONSTRAINT destinations_kind_check
    CHECK (kind IN ('slack', 'teams', 'signed_json', 'email')) NOT VALID;
ALTER TABLE destinations VALIDATE CONSTRAINT destinations_kind_check;

-- Personal mail (an owner's reminders) goes through the outbox too, to a person instead of a
-- destination; `body` then holds the finished message.
ALTER TABLE outbox ALTER COLUMN destination_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN recipient_id BIGINT REFERENCES users (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_target CHECK (num_nonnulls(destination_id, recipient_id) = 1);

-- Whether a person gets reminder mail, and the secret of their one-click unsubscribe link.
ALTER TABLE users ADD COLUMN email_reminders BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN mail_token UUID NOT NULL DEFAULT gen_random_uuid();

-- One reminder a person a day (their day, in their time zone), across instances and restarts.
CREATE TABLE reminder_days (
    user_id BIGINT NOT NULL REFERENCES users (id),
    day     DATE   NOT NULL,
    PRIMARY KEY (user_id, day)
);

SET lock_timeout = '5s';

-- The publication webhook of before becomes a Slack destination that hears what it heard:
-- publications and the daily action-item digest. It is listed as added by the first admin.
INSERT INTO destinations (kind, name, url, events, min_severity, created_by)
SELECT 'slack', 'Publication webhook', s.value, ARRAY['published', 'action_overdue'], 'SEV4',
       (SELECT u.id FROM users u WHERE u.role = 'admin' ORDER BY u.id LIMIT 1)
FROM settings s
WHERE s.key = 'webhook_url' AND s.value <> ''
  AND EXISTS (SELECT 1 FROM users u WHERE u.role = 'admin');

DELETE FROM settings WHERE key = 'webhook_url';

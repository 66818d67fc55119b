-- A deleted key's usage goes with it: the usage table kept every deleted
-- key's rows forever. The rows deleted keys left before this migration
-- are removed once; from now on a trigger removes them with the key (a
-- purge by the cron, a delete, a bulk delete alike), and the meter writes
-- no row for a key that is no longer there (a late flush).

DELETE FROM usage WHERE key_id NOT IN (SELECT id FROM keys);

CREATE TRIGGER usage_goes_with_its_key AFTER DELETE ON keys
BEGIN
  DELETE FROM usage WHERE key_id = old.id;
END;

-- Usage (§9): verifications per key, day and outcome, written by each
-- isolate's meter at most once a minute; the credits left as the key's
-- limiter last reported them (ordered by its decision counter); and the
-- index behind sorting and filtering by last use (never used = 0).

CREATE TABLE usage (
  key_id        TEXT NOT NULL,
  day           TEXT NOT NULL,          -- YYYY-MM-DD (UTC)
  code          TEXT NOT NULL,          -- VALID or a refusal code
  n             INTEGER NOT NULL,
  PRIMARY KEY (key_id, day, code)
);

ALTER TABLE keys ADD COLUMN credits_left INTEGER;
ALTER TABLE keys ADD COLUMN credits_seq INTEGER NOT NULL DEFAULT 0;

CREATE INDEX keys_by_last_use_or_never ON keys (coalesce(last_used_at, 0), id);

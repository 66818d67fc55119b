-- Keygate's administration store (D1). Workers KV keeps only the
-- verification projection `h/<sha256>`; every admin read and write is here.
-- Times are Unix milliseconds (UTC).

CREATE TABLE keys (
  id            TEXT PRIMARY KEY,
  hash          TEXT NOT NULL UNIQUE,   -- lower-case hex SHA-256 of the token
  organization  TEXT NOT NULL,          -- '' = root; subtree = prefix range on 'org/'
  name_key      TEXT NOT NULL,          -- lower-case name: sort and search
  key_group     TEXT,
  enabled       INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,                -- NULL = never
  expiry_key    INTEGER NOT NULL,       -- expires_at, or the largest integer for never (sorts last)
  last_used_at  INTEGER,
  search        TEXT NOT NULL,          -- lower-case fields `q` matches, one per line
  version       INTEGER NOT NULL,       -- bumped by every write: optimistic concurrency
  record        TEXT NOT NULL,          -- the KeyRecord JSON, as projected to KV
  next_notice_at INTEGER                -- when the next expiry notice is due (NULL: none left)
);
CREATE INDEX keys_by_name ON keys (name_key, id);
CREATE INDEX keys_by_created ON keys (created_at, id);
CREATE INDEX keys_by_expiry ON keys (expiry_key, id);
CREATE INDEX keys_by_org_name ON keys (organization, name_key, id);
CREATE INDEX keys_by_org_expiry ON keys (organization, expiry_key);
-- The status filter's count within an organization, from the index alone.
CREATE INDEX keys_by_org_status ON keys (organization, enabled, expiry_key);
CREATE INDEX keys_by_group ON keys (key_group, name_key, id);
CREATE INDEX keys_by_last_use ON keys (last_used_at, id);
CREATE INDEX keys_by_next_notice ON keys (next_notice_at, id) WHERE next_notice_at IS NOT NULL;

CREATE TABLE audit (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- newest first = seq descending
  at            INTEGER NOT NULL,
  actor         TEXT NOT NULL,
  action        TEXT NOT NULL,
  key_id        TEXT NOT NULL,
  organization  TEXT NOT NULL,          -- of the key concerned, for subtree scoping
  import_id     TEXT UNIQUE,            -- the KV audit key an imported event came from
  event         TEXT NOT NULL           -- the AuditEvent JSON
);
CREATE INDEX audit_by_key ON audit (key_id, seq);
CREATE INDEX audit_by_org ON audit (organization, seq);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_action ON audit (action, seq);
CREATE INDEX audit_by_time ON audit (at, seq);

-- Substring search (`q`) through an index: an FTS5 trigram index over
-- keys.search (an external-content table, kept in step by triggers), so a
-- search reads the keys that contain the text instead of every key.
-- Queries shorter than three characters cannot use trigrams and scan.

CREATE VIRTUAL TABLE keys_search USING fts5(
  search,
  content = 'keys',
  content_rowid = 'rowid',
  tokenize = 'trigram'
);

CREATE TRIGGER keys_search_insert AFTER INSERT ON keys BEGIN
  INSERT INTO keys_search (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER keys_search_delete AFTER DELETE ON keys BEGIN
  INSERT INTO keys_search (keys_search, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER keys_search_update AFTER UPDATE OF search ON keys BEGIN
  INSERT INTO keys_search (keys_search, rowid, search) VALUES ('delete', old.rowid, old.search);
  INSERT INTO keys_search (rowid, search) VALUES (new.rowid, new.search);
END;


-- Where the cron's reconciliation pass stopped (it walks a bounded part
-- of the keys per run and goes on from here in the next).
CREATE TABLE cron_state (
  name          TEXT PRIMARY KEY,
  value         TEXT NOT NULL
);

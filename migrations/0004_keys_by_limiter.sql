-- Which keys share a limiter (§9): a rolled key spends its original's
-- (`limits_of` in the record). When keys are deleted, their limiter is
-- told to forget only once no key left names it; this index answers that
-- without reading every record.

CREATE INDEX keys_by_limiter ON keys (json_extract(record, '$.limits_of'));

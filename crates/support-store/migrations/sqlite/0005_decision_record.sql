-- The decision record in full: a hash of everything the brain saw (so a replay can prove it
-- saw the same), how long deciding took, the draft validator's findings, and what went into
-- the model's context (message ids, facts, snippet ids and scores, token estimate).
ALTER TABLE decisions ADD COLUMN inputs_hash TEXT;
ALTER TABLE decisions ADD COLUMN latency_ms INTEGER;
ALTER TABLE decisions ADD COLUMN validation TEXT;
ALTER TABLE decisions ADD COLUMN context TEXT;

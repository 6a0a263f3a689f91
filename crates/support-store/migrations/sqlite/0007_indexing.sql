-- What indexing the platform's own history needs. The sender's display name as Front gave
-- it, so a conversation is indexed with that name redacted too.
ALTER TABLE messages ADD COLUMN author_name TEXT;
-- When Front last reported the conversation archived (resolved); NULL while open.
ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
CREATE INDEX conversations_app_id ON conversations (app_id, id);
-- A backfill's progress (`skill index rebuild`): the last conversation id whose documents
-- are in the index, per scope (an app id, or '*' for every app), so an interrupted
-- rebuild resumes after it.
CREATE TABLE index_rebuilds (
    scope TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    conversations INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
);

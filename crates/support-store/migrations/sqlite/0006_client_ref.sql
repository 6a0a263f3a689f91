-- A caller's reference on an action (e.g. a bulk CSV row's digest), so proposing the same
-- thing again finds the first action instead of making a second one. Tools refuse unknown
-- parameters, so the reference lives beside them, not in them.
ALTER TABLE actions ADD COLUMN client_ref TEXT;
CREATE UNIQUE INDEX actions_client_ref ON actions (client_ref);
CREATE INDEX actions_app_created ON actions (app_id, created_at);
CREATE INDEX conversations_app_updated ON conversations (app_id, updated_at);
CREATE INDEX decisions_conversation ON decisions (conversation_id, created_at);
CREATE INDEX audit_entries_at ON audit_entries (at);

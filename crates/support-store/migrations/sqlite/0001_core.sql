-- Core model (DESIGN §5), SQLite dialect. Ids are TEXT (UUIDv7), times are INTEGER epoch
-- milliseconds and JSON is TEXT, so one SQL text per query runs on both backends.

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    front_inbox_ids TEXT NOT NULL DEFAULT '[]',
    integration_url TEXT,
    capabilities TEXT NOT NULL DEFAULT '[]',
    policy TEXT,
    escalation_slack_channel TEXT,
    stripe_account_id TEXT,
    stripe_connected BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE app_inboxes (
    inbox_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id)
);

CREATE TABLE app_secrets (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    purpose TEXT NOT NULL,
    version INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_dek BLOB NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    UNIQUE (app_id, purpose, version)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    app_id TEXT REFERENCES apps(id),
    front_conversation_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    customer_email TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    front_message_id TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    author TEXT,
    body TEXT,
    body_sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body_purged_at INTEGER
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

CREATE TABLE inbound_events (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    trust TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (source, dedupe_key)
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    done_at INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (done_at, available_at);

CREATE TABLE workflow_runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_run_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, key)
);

CREATE TABLE workflow_steps (
    run_id TEXT NOT NULL REFERENCES workflow_runs(id),
    step TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, step)
);

CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id TEXT REFERENCES messages(id),
    category TEXT NOT NULL,
    routing TEXT NOT NULL,
    signals TEXT NOT NULL DEFAULT '[]',
    confidence REAL NOT NULL,
    proposed_actions TEXT NOT NULL DEFAULT '[]',
    retrieved TEXT NOT NULL DEFAULT '[]',
    brain TEXT NOT NULL,
    model TEXT,
    prompt_version TEXT,
    policy_version TEXT,
    trace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    app_id TEXT REFERENCES apps(id),
    conversation_id TEXT REFERENCES conversations(id),
    decision_id TEXT REFERENCES decisions(id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    params TEXT NOT NULL,
    result TEXT,
    error TEXT,
    trace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE approval_requests (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES actions(id),
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    approvers TEXT NOT NULL DEFAULT '[]',
    decided_by TEXT,
    surface TEXT,
    decided_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    decision_id TEXT REFERENCES decisions(id),
    body TEXT NOT NULL,
    sent_body TEXT,
    diff_class TEXT,
    diff_score REAL,
    front_draft_id TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);

CREATE TABLE trust_stats (
    app_id TEXT NOT NULL REFERENCES apps(id),
    category TEXT NOT NULL,
    samples INTEGER NOT NULL,
    score REAL NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, category)
);

-- Append-only and hash-chained: seq is assigned by the writer (last + 1) under the primary
-- key, so two concurrent writers cannot both extend the same link.
CREATE TABLE audit_entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    trace_id TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;

CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;

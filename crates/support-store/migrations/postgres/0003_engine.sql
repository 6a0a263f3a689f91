-- The embedded durable engine: run outcome and scheduling fields, per-step attempt counts,
-- durable promises (a workflow waits; anyone with the run id resolves it, first one wins),
-- keyed exclusive sections (one running workflow per conversation), and alerts.
ALTER TABLE workflow_runs ADD COLUMN output TEXT;
ALTER TABLE workflow_runs ADD COLUMN lock_key TEXT;
ALTER TABLE workflow_runs ADD COLUMN trace_id TEXT;
ALTER TABLE workflow_runs ADD COLUMN started_at BIGINT;
ALTER TABLE workflow_runs ADD COLUMN finished_at BIGINT;
CREATE INDEX workflow_runs_due ON workflow_runs (status, next_run_at);

-- Who proposed an action (an approver may not approve their own request).
ALTER TABLE actions ADD COLUMN requested_by TEXT;

CREATE TABLE workflow_step_attempts (
    run_id TEXT NOT NULL REFERENCES workflow_runs(id),
    step TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, step)
);

CREATE TABLE workflow_promises (
    run_id TEXT NOT NULL REFERENCES workflow_runs(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    resolved_by TEXT NOT NULL,
    resolved_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE workflow_locks (
    lock_key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT
);

-- Stripe Connect. OAuth states are single use, short-lived and bound to the admin who
-- started the flow and the app it connects (only a hash of the state is kept). Every refund
-- Stripe reports is recorded: ours (matched on metadata[support_action_id]) and refunds made
-- outside the platform. One connected account belongs to at most one app, so a Connect event
-- maps to exactly one app or to none.
CREATE TABLE stripe_oauth_states (
    state_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE stripe_refunds (
    refund_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    account TEXT NOT NULL,
    charge_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    action_id TEXT,
    origin TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX stripe_refunds_charge ON stripe_refunds (charge_id);

CREATE UNIQUE INDEX apps_stripe_account ON apps (stripe_account_id) WHERE stripe_account_id IS NOT NULL;

-- Accounts configured before this migration were in use: they count as connected.
UPDATE apps SET stripe_connected = TRUE WHERE stripe_account_id IS NOT NULL;

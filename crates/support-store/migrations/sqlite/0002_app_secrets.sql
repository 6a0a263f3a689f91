-- Per-app opt-in for Front rule webhooks (lower trust: no timestamp in their signature), and
-- the lookup path for an app's live signing secrets. `retired_at` on app_secrets is the end
-- of a rotated secret's grace period: the secret verifies until then.
ALTER TABLE apps ADD COLUMN front_rule_webhooks BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX app_secrets_live ON app_secrets (app_id, purpose, version);

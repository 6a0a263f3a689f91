//! Stripe Connect state: single-use OAuth states, the app ↔ connected account mapping (with
//! the sealed OAuth tokens in `app_secrets` under [`CONNECT_SECRET_PURPOSE`]), and the refunds
//! Stripe reported to us.

use sqlx::Row;

use crate::secrets::{NewSecret, insert_secret, retire_secrets};
use crate::{NewAuditEntry, Result, Store, StoreError, now_ms, on_pool};

/// `app_secrets.purpose` of the sealed Connect OAuth response.
pub const CONNECT_SECRET_PURPOSE: &str = "stripe_connect";

/// Why an OAuth state was not accepted. Each is a "state mismatch" to the admin; the
/// distinction goes to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateCheck {
    /// Valid and now used up: the flow was started by `user_id` for `app_id`.
    Valid {
        app_id: String,
        user_id: String,
    },
    Unknown,
    AlreadyUsed,
    Expired,
}

impl StateCheck {
    /// A short reason code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            StateCheck::Valid { .. } => "valid",
            StateCheck::Unknown => "unknown_state",
            StateCheck::AlreadyUsed => "state_already_used",
            StateCheck::Expired => "state_expired",
        }
    }
}

/// A refund as Stripe reported it (webhook or reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeRefundRecord {
    pub refund_id: String,
    pub app_id: String,
    pub account: String,
    pub charge_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    /// Our action, from `metadata[support_action_id]`; `None` for a refund made elsewhere.
    pub action_id: Option<String>,
    /// `platform` (ours) or `external` (made outside the platform).
    pub origin: String,
}

macro_rules! refund_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, StripeRefundRecord {
                refund_id, app_id, account, charge_id, amount, currency, status, action_id, origin,
            }
        }
    }};
}

impl Store {
    /// Records a new OAuth state (its hash) for `app_id`, started by `user_id`, with its
    /// audit entry.
    pub async fn create_oauth_state(
        &self,
        state_hash: &str,
        app_id: &str,
        user_id: &str,
        expires_at: i64,
        audit: &NewAuditEntry,
    ) -> Result<()> {
        crate::audited_write!(self, audit, |tx| {
            sqlx::query(
                "INSERT INTO stripe_oauth_states (state_hash, app_id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(state_hash)
            .bind(app_id)
            .bind(user_id)
            .bind(now_ms())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        })
    }

    /// Uses up an OAuth state: valid only once, and only before it expires at `now`. A state
    /// presented again, late, or never issued is refused with the reason.
    pub async fn consume_oauth_state(&self, state_hash: &str, now: i64) -> Result<StateCheck> {
        let backend = self.backend();
        crate::on_writer!(self, |p| {
            let mut tx = crate::begin_write!(p, backend);
            let row = sqlx::query(
                "SELECT app_id, user_id, expires_at, used_at FROM stripe_oauth_states WHERE state_hash = $1",
            )
            .bind(state_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(StateCheck::Unknown);
            };
            let used_at: Option<i64> = row.try_get("used_at")?;
            let expires_at: i64 = row.try_get("expires_at")?;
            if used_at.is_some() {
                return Ok(StateCheck::AlreadyUsed);
            }
            // Used up either way: an expired state cannot be tried again later.
            sqlx::query("UPDATE stripe_oauth_states SET used_at = $1 WHERE state_hash = $2")
                .bind(now)
                .bind(state_hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if now >= expires_at {
                return Ok(StateCheck::Expired);
            }
            Ok(StateCheck::Valid {
                app_id: row.try_get("app_id")?,
                user_id: row.try_get("user_id")?,
            })
        })
    }

    /// Connects `app_id` to `account`: sets the mapping, seals the OAuth response as the
    /// current `stripe_connect` secret (retiring any earlier one) and writes the audit entry,
    /// in one transaction. An account connected to another app is a conflict (nothing
    /// written); one left behind by a disconnected app is released.
    pub async fn connect_stripe_account(
        &self,
        app_id: &str,
        account: &str,
        sealed: &NewSecret,
        audit: &NewAuditEntry,
    ) -> Result<()> {
        let now = now_ms();
        crate::audited_write!(self, audit, |tx| {
            let holder = sqlx::query(
                "SELECT id, slug, stripe_connected FROM apps WHERE stripe_account_id = $1 AND id <> $2",
            )
            .bind(account)
            .bind(app_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(h) = holder {
                let connected: bool = h.try_get("stripe_connected")?;
                if connected {
                    let slug: String = h.try_get("slug")?;
                    return Err(StoreError::Conflict(format!(
                        "Stripe account {account} is already connected to app {slug}"
                    )));
                }
                let other: String = h.try_get("id")?;
                sqlx::query(
                    "UPDATE apps SET stripe_account_id = NULL, updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(&other)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE apps SET stripe_account_id = $1, stripe_connected = TRUE, updated_at = $2 WHERE id = $3",
            )
            .bind(account)
            .bind(now)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
            retire_secrets!(tx, app_id, CONNECT_SECRET_PURPOSE, now);
            insert_secret!(tx, app_id, sealed, now).map_err(|e| {
                crate::apps::conflict(e, format!("secret version {}", sealed.version))
            })?;
        })
    }

    /// Disconnects the app from Stripe: no refunds run on its account any more and the sealed
    /// tokens are retired. The account id stays, so late events for it still map to the app.
    /// Returns whether the app was connected.
    pub async fn disconnect_stripe_account(
        &self,
        app_id: &str,
        audit: &NewAuditEntry,
    ) -> Result<bool> {
        let now = now_ms();
        crate::audited_write!(self, audit, |tx| {
            let n = sqlx::query(
                "UPDATE apps SET stripe_connected = FALSE, updated_at = $1 WHERE id = $2 AND stripe_connected",
            )
            .bind(now)
            .bind(app_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            retire_secrets!(tx, app_id, CONNECT_SECRET_PURPOSE, now);
            n == 1
        })
    }

    /// The app whose connected account is `account`, connected or not.
    pub async fn app_by_stripe_account(&self, account: &str) -> Result<Option<crate::App>> {
        let Some(id): Option<String> = on_pool!(self.read_pool(), |p| sqlx::query(
            "SELECT id FROM apps WHERE stripe_account_id = $1"
        )
        .bind(account)
        .fetch_optional(p)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?) else {
            return Ok(None);
        };
        self.app_by_id(&id).await
    }

    /// Records (or updates the status and amount of) a refund Stripe reported. Returns true
    /// the first time this refund is seen.
    pub async fn record_stripe_refund(&self, r: &StripeRefundRecord) -> Result<bool> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            let inserted = sqlx::query(
                "INSERT INTO stripe_refunds (refund_id, app_id, account, charge_id, amount, currency, status, action_id, origin, first_seen_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
                 ON CONFLICT (refund_id) DO NOTHING",
            )
            .bind(&r.refund_id)
            .bind(&r.app_id)
            .bind(&r.account)
            .bind(&r.charge_id)
            .bind(r.amount)
            .bind(&r.currency)
            .bind(&r.status)
            .bind(&r.action_id)
            .bind(&r.origin)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
                == 1;
            if !inserted {
                sqlx::query(
                    "UPDATE stripe_refunds SET status = $1, amount = $2, updated_at = $3 WHERE refund_id = $4",
                )
                .bind(&r.status)
                .bind(r.amount)
                .bind(now)
                .bind(&r.refund_id)
                .execute(p)
                .await?;
            }
            Ok(inserted)
        })
    }

    /// Refunds recorded for a charge, oldest first.
    pub async fn stripe_refunds_for_charge(
        &self,
        charge_id: &str,
    ) -> Result<Vec<StripeRefundRecord>> {
        let sql = "SELECT refund_id, app_id, account, charge_id, amount, currency, status, action_id, origin
                 FROM stripe_refunds WHERE charge_id = $1 ORDER BY first_seen_at, refund_id";
        crate::read_rows!(self, sql, [charge_id], refund_from_row)
    }

    /// Refund actions of `app_id` whose frozen parameters name `charge_id`, newest first.
    pub async fn refund_actions_for_charge(
        &self,
        app_id: &str,
        charge_id: &str,
    ) -> Result<Vec<crate::actions::ActionRow>> {
        let candidates = self
            .actions_with_params_fragment(app_id, "refund", charge_id)
            .await?;
        Ok(candidates
            .into_iter()
            .filter(|a| {
                serde_json::from_str::<serde_json::Value>(&a.params)
                    .ok()
                    .is_some_and(|v| v["charge"].as_str() == Some(charge_id))
            })
            .collect())
    }
}

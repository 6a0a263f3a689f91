//! The app's side of the support contract, against its own SQLite. The route itself (size
//! limit, signature, JSON, error bodies) is `support_sdk::support_routes`; this file only
//! answers the methods.
//!
//! Writes that the platform may repeat after an uncertain outcome are idempotent:
//! `revokeAccess` per refund id, `transferPurchase` per (purchase, from, to). Each write
//! transaction starts with its guarded UPDATE, so SQLite takes the write lock first and two
//! concurrent calls cannot both pass the guard.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use support_sdk::sdk::{
    MagicLink, RefundPolicy, RevokeResult, SdkPurchase, SdkSubscription, SdkUser, Seat,
    TransferResult,
};
use support_sdk::{IntegrationError, SupportIntegration};
use support_types::{Email, Money};

use crate::AppState;

/// Bounds on `generateMagicLink`'s `expiresIn`: long enough to open an email, short enough
/// that a forwarded link goes stale.
pub(crate) const MIN_LINK_SECS: u64 = 60;
pub(crate) const MAX_LINK_SECS: u64 = 7 * 24 * 3_600;

/// The shop's refund windows, as `getRefundPolicy` reports them.
pub(crate) const AUTO_APPROVE_DAYS: u32 = 30;
pub(crate) const MANUAL_APPROVE_DAYS: u32 = 45;

/// Display names are one line of reasonable length.
const MAX_NAME_CHARS: usize = 200;

pub(crate) struct FirstAppIntegration {
    state: Arc<AppState>,
}

impl FirstAppIntegration {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

/// Database failures are the app's problem: logged by the route, a generic 500 outside.
fn db(e: sqlx::Error) -> IntegrationError {
    IntegrationError::internal(e)
}

fn user_from_row(row: &SqliteRow) -> Result<SdkUser, IntegrationError> {
    let stored: String = row.try_get("email").map_err(db)?;
    Ok(SdkUser {
        id: row.try_get("id").map_err(db)?,
        email: Email::parse(&stored).map_err(IntegrationError::internal)?,
        name: row.try_get("name").map_err(db)?,
    })
}

/// A fresh id with the app's prefix convention, e.g. `pur_0198…`.
fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// A name for a user created by a transfer: the email's local part, until they set one.
fn placeholder_name(email: &Email) -> String {
    email
        .as_str()
        .split_once('@')
        .map_or(email.as_str(), |(local, _)| local)
        .to_owned()
}

impl FirstAppIntegration {
    async fn user_by_id(&self, user_id: &str) -> Result<Option<SdkUser>, IntegrationError> {
        let row = sqlx::query("SELECT id, email, name FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.state.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(user_from_row).transpose()
    }
}

#[async_trait]
impl SupportIntegration for FirstAppIntegration {
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, IntegrationError> {
        let row = sqlx::query("SELECT id, email, name FROM users WHERE email = ?")
            .bind(email.as_str())
            .fetch_optional(&self.state.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, IntegrationError> {
        let rows = sqlx::query(
            "SELECT p.id, p.product_id, pr.name AS product_name, p.amount_cents, p.currency, \
                    p.purchased_at, p.status, p.stripe_charge_id \
             FROM purchases p JOIN products pr ON pr.id = p.product_id \
             WHERE p.user_id = ? \
             ORDER BY p.purchased_at DESC, p.id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.state.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let amount: i64 = row.try_get("amount_cents").map_err(db)?;
                let currency: String = row.try_get("currency").map_err(db)?;
                Ok(SdkPurchase {
                    id: row.try_get("id").map_err(db)?,
                    product_id: row.try_get("product_id").map_err(db)?,
                    product_name: row.try_get("product_name").map_err(db)?,
                    amount: Money::new(amount, &currency).map_err(IntegrationError::internal)?,
                    purchased_at: row.try_get("purchased_at").map_err(db)?,
                    status: row.try_get("status").map_err(db)?,
                    stripe_charge_id: row.try_get("stripe_charge_id").map_err(db)?,
                })
            })
            .collect()
    }

    async fn revoke_access(
        &self,
        purchase_id: &str,
        reason: &str,
        refund_id: &str,
    ) -> Result<RevokeResult, IntegrationError> {
        if refund_id.trim().is_empty() {
            return Err(IntegrationError::invalid("refundId must not be empty"));
        }
        let refunded = || RevokeResult {
            purchase_id: purchase_id.to_owned(),
            status: "refunded".into(),
        };
        let mut tx = self.state.pool.begin().await.map_err(db)?;
        let revoked = sqlx::query(
            "UPDATE purchases SET status = 'refunded' WHERE id = ? AND status = 'active'",
        )
        .bind(purchase_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if revoked == 1 {
            sqlx::query(
                "INSERT INTO revocations (purchase_id, refund_id, reason, revoked_at) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(purchase_id)
            .bind(refund_id)
            .bind(reason)
            .bind(crate::now_unix())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            tracing::info!(purchase_id, refund_id, reason, "first-app: access revoked");
            return Ok(refunded());
        }

        // Nothing changed: say why (and the transaction rolls back on drop).
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM purchases WHERE id = ?")
                .bind(purchase_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(status) = status else {
            return Err(IntegrationError::not_found(format!(
                "No purchase {purchase_id}"
            )));
        };
        if status == "transferred" {
            return Err(IntegrationError::conflict(format!(
                "Purchase {purchase_id} was transferred to another user; revoke the recipient's purchase instead"
            )));
        }
        let recorded: Option<String> =
            sqlx::query_scalar("SELECT refund_id FROM revocations WHERE purchase_id = ?")
                .bind(purchase_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        match recorded {
            Some(earlier) if earlier == refund_id => Ok(refunded()),
            Some(earlier) => Err(IntegrationError::conflict(format!(
                "Purchase {purchase_id} was already revoked for refund {earlier}"
            ))),
            None => Err(IntegrationError::conflict(format!(
                "Purchase {purchase_id} is already {status} (no refund id recorded)"
            ))),
        }
    }

    async fn transfer_purchase(
        &self,
        purchase_id: &str,
        from_user_id: &str,
        to_email: &Email,
    ) -> Result<TransferResult, IntegrationError> {
        let now = crate::now_unix();
        let mut tx = self.state.pool.begin().await.map_err(db)?;
        let moved = sqlx::query(
            "UPDATE purchases SET status = 'transferred' \
             WHERE id = ? AND user_id = ? AND status = 'active'",
        )
        .bind(purchase_id)
        .bind(from_user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if moved == 1 {
            let existing: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE email = ?")
                    .bind(to_email.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            let to_user_id = match existing {
                Some(id) if id == from_user_id => {
                    return Err(IntegrationError::invalid(format!(
                        "Purchase {purchase_id} already belongs to {to_email}"
                    )));
                }
                Some(id) => id,
                None => {
                    let id = new_id("usr");
                    sqlx::query(
                        "INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
                    )
                    .bind(&id)
                    .bind(to_email.as_str())
                    .bind(placeholder_name(to_email))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    id
                }
            };
            // The recipient gets a purchase of their own (same product, price and date, so
            // refund windows do not restart); the original stays as history.
            let new_purchase_id = new_id("pur");
            sqlx::query(
                "INSERT INTO purchases \
                 (id, user_id, product_id, amount_cents, currency, purchased_at, status, stripe_charge_id) \
                 SELECT ?, ?, product_id, amount_cents, currency, purchased_at, 'active', stripe_charge_id \
                 FROM purchases WHERE id = ?",
            )
            .bind(&new_purchase_id)
            .bind(&to_user_id)
            .bind(purchase_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query("UPDATE seats SET purchase_id = ? WHERE purchase_id = ?")
                .bind(&new_purchase_id)
                .bind(purchase_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "INSERT INTO transfers \
                 (purchase_id, new_purchase_id, from_user_id, to_user_id, transferred_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(purchase_id)
            .bind(&new_purchase_id)
            .bind(from_user_id)
            .bind(&to_user_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            tracing::info!(
                purchase_id,
                %new_purchase_id,
                from_user_id,
                %to_user_id,
                "first-app: purchase transferred"
            );
            return Ok(TransferResult {
                purchase_id: new_purchase_id,
                to_user_id,
            });
        }

        // Nothing changed: a repeat of a finished transfer answers its result; anything else
        // says why.
        let row = sqlx::query("SELECT user_id, status FROM purchases WHERE id = ?")
            .bind(purchase_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some(row) = row else {
            return Err(IntegrationError::not_found(format!(
                "No purchase {purchase_id}"
            )));
        };
        let done = sqlx::query(
            "SELECT t.new_purchase_id, t.from_user_id, t.to_user_id, u.email AS to_email \
             FROM transfers t JOIN users u ON u.id = t.to_user_id \
             WHERE t.purchase_id = ?",
        )
        .bind(purchase_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(done) = done {
            let from: String = done.try_get("from_user_id").map_err(db)?;
            let to: String = done.try_get("to_email").map_err(db)?;
            if from == from_user_id && to == to_email.as_str() {
                return Ok(TransferResult {
                    purchase_id: done.try_get("new_purchase_id").map_err(db)?,
                    to_user_id: done.try_get("to_user_id").map_err(db)?,
                });
            }
        }
        let owner: String = row.try_get("user_id").map_err(db)?;
        let status: String = row.try_get("status").map_err(db)?;
        if owner != from_user_id {
            return Err(IntegrationError::conflict(format!(
                "Purchase {purchase_id} is not owned by {from_user_id}"
            )));
        }
        Err(IntegrationError::conflict(format!(
            "Purchase {purchase_id} is {status}; only active purchases can be transferred"
        )))
    }

    async fn generate_magic_link(
        &self,
        email: &Email,
        expires_in_secs: u64,
    ) -> Result<MagicLink, IntegrationError> {
        if !(MIN_LINK_SECS..=MAX_LINK_SECS).contains(&expires_in_secs) {
            return Err(IntegrationError::invalid(format!(
                "expiresIn must be between {MIN_LINK_SECS} and {MAX_LINK_SECS} seconds"
            )));
        }
        let Some(user) = self.lookup_user(email).await? else {
            return Err(IntegrationError::not_found(format!(
                "No user with email {email}"
            )));
        };
        let token = crate::login::new_token();
        let now = crate::now_unix();
        let expires_at = now + expires_in_secs as i64;
        sqlx::query(
            "INSERT INTO magic_links (id, user_id, token_hash, expires_at, used_at, created_at) \
             VALUES (?, ?, ?, ?, NULL, ?)",
        )
        .bind(new_id("ml"))
        .bind(&user.id)
        .bind(crate::login::token_hash(&token))
        .bind(expires_at)
        .bind(now)
        .execute(&self.state.pool)
        .await
        .map_err(db)?;
        Ok(MagicLink {
            url: format!("{}/login/magic?token={token}", self.state.public_url),
            expires_at,
        })
    }

    async fn get_subscriptions(
        &self,
        user_id: &str,
    ) -> Result<Vec<SdkSubscription>, IntegrationError> {
        let rows = sqlx::query(
            "SELECT s.id, s.product_id, pr.name AS product_name, s.status, s.current_period_end \
             FROM subscriptions s JOIN products pr ON pr.id = s.product_id \
             WHERE s.user_id = ? \
             ORDER BY s.current_period_end DESC, s.id",
        )
        .bind(user_id)
        .fetch_all(&self.state.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(SdkSubscription {
                    id: row.try_get("id").map_err(db)?,
                    product_id: row.try_get("product_id").map_err(db)?,
                    product_name: row.try_get("product_name").map_err(db)?,
                    status: row.try_get("status").map_err(db)?,
                    current_period_end: row.try_get("current_period_end").map_err(db)?,
                })
            })
            .collect()
    }

    async fn update_email(
        &self,
        user_id: &str,
        new_email: &Email,
    ) -> Result<SdkUser, IntegrationError> {
        let result = sqlx::query("UPDATE users SET email = ? WHERE id = ?")
            .bind(new_email.as_str())
            .bind(user_id)
            .execute(&self.state.pool)
            .await;
        match result {
            Ok(done) if done.rows_affected() == 0 => {
                Err(IntegrationError::not_found(format!("No user {user_id}")))
            }
            Ok(_) => self
                .user_by_id(user_id)
                .await?
                .ok_or_else(|| IntegrationError::not_found(format!("No user {user_id}"))),
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Err(IntegrationError::conflict(format!(
                    "Another user already has the email {new_email}"
                )))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn update_name(&self, user_id: &str, name: &str) -> Result<SdkUser, IntegrationError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(IntegrationError::invalid("name must not be empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(IntegrationError::invalid(format!(
                "name must be one line of at most {MAX_NAME_CHARS} characters"
            )));
        }
        let done = sqlx::query("UPDATE users SET name = ? WHERE id = ?")
            .bind(name)
            .bind(user_id)
            .execute(&self.state.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(IntegrationError::not_found(format!("No user {user_id}")));
        }
        self.user_by_id(user_id)
            .await?
            .ok_or_else(|| IntegrationError::not_found(format!("No user {user_id}")))
    }

    async fn get_claimed_seats(&self, bulk_coupon_id: &str) -> Result<Vec<Seat>, IntegrationError> {
        let rows = sqlx::query(
            "SELECT s.id AS seat_id, s.purchase_id, u.id, u.email, u.name \
             FROM seats s LEFT JOIN users u ON u.id = s.claimed_by_user_id \
             WHERE s.bulk_coupon_id = ? \
             ORDER BY s.id",
        )
        .bind(bulk_coupon_id)
        .fetch_all(&self.state.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let claimed: Option<String> = row.try_get("id").map_err(db)?;
                Ok(Seat {
                    id: row.try_get("seat_id").map_err(db)?,
                    purchase_id: row.try_get("purchase_id").map_err(db)?,
                    claimed_by: match claimed {
                        Some(_) => Some(user_from_row(row)?),
                        None => None,
                    },
                })
            })
            .collect()
    }

    // `searchContent` is deliberately left out: the shop has no content index, and the
    // platform must cope with an app answering 501.

    async fn get_refund_policy(&self) -> Result<RefundPolicy, IntegrationError> {
        Ok(RefundPolicy {
            auto_approve_days: AUTO_APPROVE_DAYS,
            manual_approve_days: MANUAL_APPROVE_DAYS,
            policy_url: Some(format!("{}/refund-policy", self.state.public_url)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_names_use_the_local_part() {
        let email = Email::parse("New.Person@Example.com").unwrap();
        assert_eq!(placeholder_name(&email), "new.person");
    }
}

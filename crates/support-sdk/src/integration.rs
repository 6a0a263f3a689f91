//! What a product app implements: one async method per contract method.

use async_trait::async_trait;
use support_types::Email;
use support_types::sdk::{
    ContentHit, MagicLink, RefundPolicy, RevokeResult, SdkPurchase, SdkSubscription, SdkUser, Seat,
    TransferResult,
};

/// Why an integration method did not produce its result. The route turns each variant into
/// a status and an `error` code; only [`IntegrationError::Internal`] hides its text.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// 501 `not_implemented`, `Method not implemented: <method>`. The default of every
    /// optional method.
    #[error("method not implemented")]
    NotImplemented,
    /// 404 `not_found`: the user, purchase ... the request names does not exist. The text is
    /// sent to the caller.
    #[error("not found: {0}")]
    NotFound(String),
    /// 400 `invalid_request`: the parameters parse but the app refuses them (an empty name,
    /// an expiry out of range). The text is sent to the caller.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// 409 `conflict`: valid, but the current state forbids it (transferring a refunded
    /// purchase, an email another user has). The text is sent to the caller.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 500 `internal`: the app failed. The error is logged with its causes; the caller only
    /// sees a generic message.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IntegrationError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// Wraps any error (a database error, an `anyhow::Error`, a string) as a 500.
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }
}

/// A product app's side of the contract. The five required methods must be implemented; the
/// optional ones answer 501 unless overridden.
///
/// Writes must be idempotent where the contract says so: the platform's action ledger may
/// resend `revokeAccess` with the same `refund_id`, or `transferPurchase` with the same
/// arguments, after an uncertain outcome (a timeout, a lost response).
#[async_trait]
pub trait SupportIntegration: Send + Sync {
    /// The user with this (normalised, lower-case) email, or `None`.
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, IntegrationError>;

    /// The user's purchases, newest first; empty for an unknown user.
    async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, IntegrationError>;

    /// Revokes the purchase's access because of `refund_id`. Calling it again with the same
    /// `refund_id` must answer the same result and change nothing.
    async fn revoke_access(
        &self,
        purchase_id: &str,
        reason: &str,
        refund_id: &str,
    ) -> Result<RevokeResult, IntegrationError>;

    /// Moves the purchase from `from_user_id` to the user with `to_email`, creating that
    /// user when needed. Refuses (409) a purchase that is not active or not owned by
    /// `from_user_id`; a repeat of a transfer that already happened answers its result.
    async fn transfer_purchase(
        &self,
        purchase_id: &str,
        from_user_id: &str,
        to_email: &Email,
    ) -> Result<TransferResult, IntegrationError>;

    /// A single-use sign-in link for the user with `email`, valid for `expires_in_secs`.
    async fn generate_magic_link(
        &self,
        email: &Email,
        expires_in_secs: u64,
    ) -> Result<MagicLink, IntegrationError>;

    /// Optional: the user's subscriptions.
    async fn get_subscriptions(
        &self,
        _user_id: &str,
    ) -> Result<Vec<SdkSubscription>, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }

    /// Optional: changes the user's email; answers the updated user.
    async fn update_email(
        &self,
        _user_id: &str,
        _new_email: &Email,
    ) -> Result<SdkUser, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }

    /// Optional: changes the user's display name; answers the updated user.
    async fn update_name(&self, _user_id: &str, _name: &str) -> Result<SdkUser, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }

    /// Optional: every seat of the bulk purchase behind `bulk_coupon_id`, claimed or not.
    async fn get_claimed_seats(
        &self,
        _bulk_coupon_id: &str,
    ) -> Result<Vec<Seat>, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }

    /// Optional: the app's content matching `query`, best first.
    async fn search_content(&self, _query: &str) -> Result<Vec<ContentHit>, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }

    /// Optional: the app's refund windows.
    async fn get_refund_policy(&self) -> Result<RefundPolicy, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }
}

//! Stands in for the Stripe client when no secret key is configured: every call fails as an
//! authentication error, so a refund ends `failed` with a reason an operator can act on.

use support_stripe::{Charge, Refund, RefundRequest, StripeApi, StripeError};

pub struct Unconfigured;

fn err() -> StripeError {
    StripeError::Auth {
        message: "stripe.secret_key is not configured".into(),
    }
}

#[async_trait::async_trait]
impl StripeApi for Unconfigured {
    async fn create_refund(
        &self,
        _: &str,
        _: &RefundRequest,
        _: &str,
    ) -> Result<Refund, StripeError> {
        Err(err())
    }
    async fn retrieve_refund(&self, _: &str, _: &str) -> Result<Refund, StripeError> {
        Err(err())
    }
    async fn list_refunds_for_charge(&self, _: &str, _: &str) -> Result<Vec<Refund>, StripeError> {
        Err(err())
    }
    async fn retrieve_charge(&self, _: &str, _: &str) -> Result<Charge, StripeError> {
        Err(err())
    }
}

//! Stands in for the Stripe client when no secret key (or, for Connect OAuth, no client id)
//! is configured: every call fails as an authentication error, so a refund ends `failed`
//! and a connect attempt is refused with a reason an operator can act on.

use support_stripe::{
    Charge, ConnectedAccount, PaymentIntent, Refund, RefundRequest, StripeApi, StripeConnect,
    StripeError,
};

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
    async fn retrieve_payment_intent(
        &self,
        _: &str,
        _: &str,
    ) -> Result<PaymentIntent, StripeError> {
        Err(err())
    }
}

/// Connect OAuth when `stripe.secret_key` or `stripe.client_id` is missing.
pub struct ConnectUnconfigured;

fn connect_err() -> StripeError {
    StripeError::InvalidInput {
        message: "Stripe Connect is not configured: set stripe.secret_key and stripe.client_id"
            .into(),
    }
}

#[async_trait::async_trait]
impl StripeConnect for ConnectUnconfigured {
    fn authorize_url(&self, _: &str, _: &str) -> String {
        String::new()
    }
    async fn exchange_code(&self, _: &str) -> Result<ConnectedAccount, StripeError> {
        Err(connect_err())
    }
    async fn deauthorize(&self, _: &str) -> Result<(), StripeError> {
        Err(connect_err())
    }
}

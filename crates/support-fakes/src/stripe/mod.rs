//! A fake Stripe API for the refund path: charges, payment intents and refunds, with
//! Connect scoping (`Stripe-Account`), idempotency keys that behave like Stripe's, and a
//! fault script for the failure modes the platform must survive.
//!
//! Requests are form-encoded with Stripe's bracket syntax (`metadata[support_action_id]=…`);
//! responses are Stripe-shaped JSON (`object`, `livemode`, list envelopes, `error` bodies).
//!
//! Idempotency follows Stripe's v1 rules (keys scoped per account):
//! - the first response of a request that *started executing* is stored with a fingerprint
//!   of its parameters, including business errors (`charge_already_refunded`,
//!   `amount_too_large`, `resource_missing`) and scripted stored 500s;
//! - a repeat with the same parameters replays the stored status and body byte for byte,
//!   with `Idempotent-Replayed: true` and `Original-Request: <first request id>`;
//! - a repeat with different parameters is `400 idempotency_error`;
//! - 401s, 429s, 409 `idempotency_key_in_use`, parameter validation errors and
//!   [`StripeFault::Fail500Once`] are never stored, so the same key can be retried.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::server::{self, RequestLog, RequestRecord, Running, lock, mixed_id, now_secs};

mod model;
mod oauth;
mod render;
mod routes;

pub use model::{SeedCharge, StripeFault, StripeRefund};

use model::*;
use oauth::*;
use render::*;
use routes::*;

/// The account a request acts on when it carries no `Stripe-Account` header (the platform's
/// own account). Seed charges under this id to use them without the header.
pub const PLATFORM_ACCOUNT: &str = "acct_platform";

/// Settings for [`FakeStripe::start`].
#[derive(Debug, Clone)]
pub struct FakeStripeConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The secret key clients must send as `Authorization: Bearer <key>`.
    pub api_token: String,
    /// The platform's Connect client id (`ca_…`) the OAuth endpoints accept.
    pub client_id: String,
}

impl Default for FakeStripeConfig {
    fn default() -> Self {
        FakeStripeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_token: "sk_test_fake".to_owned(),
            client_id: "ca_fake_platform".to_owned(),
        }
    }
}

/// A running fake Stripe.
pub struct FakeStripe {
    shared: Arc<StripeShared>,
    running: Running,
}

impl FakeStripe {
    /// Bind `config.bind` and start serving `/v1/...`.
    pub async fn start(config: FakeStripeConfig) -> anyhow::Result<Self> {
        let bound = server::bind(config.bind).await?;
        let log = RequestLog::default();
        let shared = Arc::new(StripeShared {
            token: config.api_token,
            client_id: config.client_id,
            data: Mutex::new(StripeData::default()),
            log: log.clone(),
        });
        let router = Router::new()
            .route("/v1/charges/{id}", get(get_charge))
            .route("/v1/payment_intents/{id}", get(get_payment_intent))
            .route("/v1/refunds", get(list_refunds).post(create_refund))
            .route("/v1/refunds/{id}", get(get_refund))
            .layer(middleware::from_fn_with_state(shared.clone(), require_key))
            // The OAuth host: the browser hits `authorize` with no key; `token` and
            // `deauthorize` check the secret key themselves and answer in the OAuth shape.
            .route("/oauth/authorize", get(oauth_authorize))
            .route("/oauth/token", post(oauth_token))
            .route("/oauth/deauthorize", post(oauth_deauthorize))
            .fallback(fallback)
            .with_state(shared.clone());
        let running = Running::spawn(bound, router, log);
        Ok(FakeStripe { shared, running })
    }

    /// Base URL, `http://127.0.0.1:PORT`: what the platform uses in place of
    /// `https://api.stripe.com`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }

    /// Seed a succeeded charge into `account` (a connected `acct_…`, or
    /// [`PLATFORM_ACCOUNT`]). Only that account can see or refund it.
    pub fn add_charge(&self, account: &str, charge: SeedCharge) {
        let rec = ChargeRec {
            seed: charge,
            amount_refunded: 0,
            balance_transaction: mixed_id("txn", 24),
        };
        lock(&self.shared.data)
            .charges
            .entry(account.to_owned())
            .or_default()
            .push(rec);
    }

    /// Queue a fault; see [`StripeFault`] for when each one fires.
    pub fn script(&self, fault: StripeFault) {
        lock(&self.shared.data).faults.push_back(fault);
    }

    /// Faults still queued, so a test can assert its script was used up.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.data).faults.len()
    }

    /// Refunds created across all accounts: the number a double-refund test must keep at 1.
    pub fn refund_count(&self) -> usize {
        lock(&self.shared.data).refunds.len()
    }

    /// Refunds of one account, oldest first.
    pub fn refunds(&self, account: &str) -> Vec<StripeRefund> {
        lock(&self.shared.data)
            .refunds
            .iter()
            .filter(|r| r.account == account)
            .cloned()
            .collect()
    }

    /// How many POSTs arrived carrying this `Idempotency-Key` (any outcome, replays included).
    pub fn post_count_for_key(&self, key: &str) -> usize {
        self.shared
            .log
            .snapshot()
            .iter()
            .filter(|r| r.method == "POST" && r.header("idempotency-key") == Some(key))
            .count()
    }

    /// Every request received, in order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    /// The Connect client id the OAuth endpoints accept.
    pub fn client_id(&self) -> String {
        self.shared.client_id.clone()
    }

    /// The next `/oauth/authorize` redirects back with `error=access_denied`, as when the
    /// account owner clicks "Deny".
    pub fn oauth_deny_next(&self) {
        lock(&self.shared.data).oauth.deny_next = true;
    }

    /// The account the next `/oauth/authorize` connects (otherwise a fresh `acct_…`).
    pub fn oauth_next_account(&self, account: &str) {
        lock(&self.shared.data).oauth.next_account = Some(account.to_owned());
    }

    /// Expire every authorization code issued so far (Stripe's expire within minutes).
    pub fn expire_oauth_codes(&self) {
        for code in lock(&self.shared.data).oauth.codes.values_mut() {
            code.expired = true;
        }
    }

    /// Accounts currently connected to the platform through OAuth, sorted.
    pub fn connected_accounts(&self) -> Vec<String> {
        let d = lock(&self.shared.data);
        let mut v: Vec<String> = d.oauth.connected.iter().cloned().collect();
        v.sort();
        v
    }

    /// Refund a charge outside the platform (as from the Stripe dashboard): no idempotency
    /// key, no `support_action_id` metadata. Returns the refund.
    pub fn refund_outside_platform(
        &self,
        account: &str,
        charge: &str,
        amount: Option<i64>,
    ) -> anyhow::Result<StripeRefund> {
        let mut d = lock(&self.shared.data);
        let params = RefundParams {
            charge: Some(charge.to_owned()),
            payment_intent: None,
            amount,
            reason: Some("requested_by_customer".to_owned()),
            metadata: BTreeMap::new(),
        };
        execute_refund(&mut d, account, params, None).map_err(|e| anyhow::anyhow!(e.message))?;
        d.refunds
            .last()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no refund recorded"))
    }

    /// A Stripe event (`{"id","object":"event","type","account","data":{"object":…}}`) about
    /// a charge of `account` as it is now — what Stripe would send to a Connect endpoint for
    /// `charge.refunded`, say. `None` if the account has no such charge.
    pub fn charge_event(&self, event_type: &str, account: &str, charge: &str) -> Option<Value> {
        let d = lock(&self.shared.data);
        let rec = d.charge(account, charge)?;
        Some(event_json(
            event_type,
            account,
            charge_json(&d, account, rec),
        ))
    }

    /// A `charge.dispute.created` event for a charge of `account`.
    pub fn dispute_event(&self, account: &str, charge: &str) -> Option<Value> {
        let d = lock(&self.shared.data);
        let rec = d.charge(account, charge)?;
        let dispute = json!({
            "id": mixed_id("dp", 24),
            "object": "dispute",
            "amount": rec.seed.amount,
            "charge": rec.seed.id,
            "created": now_secs(),
            "currency": rec.seed.currency,
            "is_charge_refundable": rec.amount_refunded < rec.seed.amount,
            "livemode": false,
            "metadata": {},
            "payment_intent": rec.seed.payment_intent,
            "reason": "product_not_received",
            "status": "needs_response",
        });
        Some(event_json("charge.dispute.created", account, dispute))
    }

    /// An `account.application.deauthorized` event for `account`.
    pub fn deauthorized_event(&self, account: &str) -> Value {
        let application = json!({
            "id": self.shared.client_id,
            "object": "application",
            "name": "Support platform",
        });
        event_json("account.application.deauthorized", account, application)
    }
}

fn event_json(event_type: &str, account: &str, object: Value) -> Value {
    json!({
        "id": mixed_id("evt", 24),
        "object": "event",
        "account": account,
        "api_version": "2020-08-27",
        "created": now_secs(),
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

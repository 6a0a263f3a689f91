//! The fake's data: seeded charges, refunds, scripted faults, stored idempotent responses.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use axum::http::StatusCode;

use crate::server::RequestLog;

use super::*;

/// A succeeded, captured charge to seed into an account, standing in for a real payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedCharge {
    /// `ch_…` id.
    pub id: String,
    /// Amount in the smallest currency unit (cents).
    pub amount: i64,
    /// Lower-case ISO code, e.g. `usd`.
    pub currency: String,
    /// Unix seconds.
    pub created: i64,
    /// The `pi_…` that produced the charge, which makes `GET /v1/payment_intents/{id}` and
    /// refunds by `payment_intent` work.
    pub payment_intent: Option<String>,
    /// Shown as `billing_details.email` and `receipt_email`.
    pub customer_email: Option<String>,
}

/// A scripted failure. Faults form a FIFO queue; only the front one is considered, and it is
/// consumed when a `POST /v1/refunds` reaches the point it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeFault {
    /// The next refund create that would execute returns `500 api_error`; nothing is created
    /// and nothing is stored for its idempotency key.
    Fail500Once,
    /// The first executing request with this idempotency key returns `500 api_error`, which
    /// *is* stored and replayed for that key (Stripe replays 500s); nothing is created.
    Stored500ForKey(String),
    /// The next request with this key gets `409 idempotency_key_in_use`, as if a concurrent
    /// request held the key; not stored.
    InFlight409ForKey(String),
    /// The next refund create executes (the refund exists and its response is stored for
    /// the key), then the connection is closed without a single response byte: the
    /// "did it happen?" case.
    CommitThenDrop,
    /// The next refund POST gets `429 rate_limit` before idempotency runs; not stored.
    RateLimit429Once,
}

/// A refund as stored by the fake (inspection view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeRefund {
    /// `re_…`.
    pub id: String,
    /// Account it belongs to (`Stripe-Account`, or [`PLATFORM_ACCOUNT`]).
    pub account: String,
    /// Refunded charge.
    pub charge: String,
    /// The charge's payment intent, if any.
    pub payment_intent: Option<String>,
    /// Amount refunded.
    pub amount: i64,
    /// Currency of the charge.
    pub currency: String,
    /// `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: Option<String>,
    /// `metadata[...]` as sent.
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: i64,
    /// Always `succeeded` in this fake.
    pub status: String,
    /// `txn_…` balance transaction.
    pub balance_transaction: String,
    /// The `Idempotency-Key` of the request that created it.
    pub idempotency_key: Option<String>,
}

pub(super) struct ChargeRec {
    pub(super) seed: SeedCharge,
    pub(super) amount_refunded: i64,
    pub(super) balance_transaction: String,
}

pub(super) struct Stored {
    pub(super) fingerprint: String,
    pub(super) status: StatusCode,
    pub(super) body: String,
    pub(super) request_id: String,
}

#[derive(Default)]
pub(super) struct StripeData {
    pub(super) charges: HashMap<String, Vec<ChargeRec>>,
    pub(super) refunds: Vec<StripeRefund>,
    pub(super) idempotency: HashMap<(String, String), Stored>,
    pub(super) faults: VecDeque<StripeFault>,
    pub(super) oauth: OAuthData,
}

impl StripeData {
    /// `account`'s charge `id`; another account's charges are invisible, as in Stripe.
    pub(super) fn charge(&self, account: &str, id: &str) -> Option<&ChargeRec> {
        self.charges.get(account)?.iter().find(|c| c.seed.id == id)
    }
}

pub(super) struct StripeShared {
    pub(super) token: String,
    pub(super) client_id: String,
    pub(super) data: Mutex<StripeData>,
    pub(super) log: RequestLog,
}

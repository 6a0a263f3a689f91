//! Stripe, the payment processor refunds go through. This crate is the small, hand-written
//! client the refund action uses: `POST /v1/refunds`, `GET /v1/refunds[/{id}]` and
//! `GET /v1/charges/{id}`, always on a connected account (`Stripe-Account`), behind the
//! [`StripeApi`] trait so tests and the sandbox point it at `support_fakes::FakeStripe`.
//!
//! # Exactly-once refunds: who owns what
//!
//! Exactly-once comes from **our action ledger**, not from this client. The ledger writes
//! the action, its deterministic idempotency key ([`refund_idempotency_key`]) and the exact
//! [`RefundRequest`] *before* the first call, and rebuilds the request from that row on every
//! retry. Stripe's `Idempotency-Key` then turns "the same request sent twice" into one
//! refund (the first response is stored for the key and replayed, 500s included, for about
//! 24 hours).
//!
//! This client therefore:
//! - never retries on its own (the ledger owns the retry policy and its audit trail);
//!   reqwest's own protocol-level retries are switched off too;
//! - always sends the caller's idempotency key on a POST and never invents one;
//! - classifies every failure with [`StripeError::outcome`] into [`Outcome::Failed`]
//!   (definitely not done), [`Outcome::RetrySameKey`] (not done, safe to send again with the
//!   *same* key and parameters) or [`Outcome::Uncertain`] (maybe done);
//! - offers [`find_refund_by_action`] to settle an uncertain outcome by listing the charge's
//!   refunds and matching `metadata[support_action_id]`. An uncertain outcome is never
//!   settled by trying again under a new key: that is how double refunds happen.
//!
//! # API version
//!
//! Every request pins `Stripe-Version: 2020-08-27` ([`STRIPE_VERSION`]): the `info.version`
//! of the OpenAPI spec snapshot this client was written against
//! (`spec3_2022-04-12.json`; "2022-04-12" is that snapshot's commit date, not an API version,
//! and Stripe rejects unknown versions). Every field this crate deserializes is present, with
//! the same meaning, in that spec and in the current `fixtures3.json` objects.
//!
//! # TLS
//!
//! The workspace builds reqwest with `rustls-no-provider`: the process must install a rustls
//! crypto provider (e.g. `rustls::crypto::ring::default_provider().install_default()`)
//! before [`StripeClient::new`] is called.

mod connect;

pub use connect::{ConnectedAccount, DEFAULT_CONNECT_URL, StripeConnect, authorize_url};

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// The pinned `Stripe-Version` header value (see the crate docs for why this one).
pub const STRIPE_VERSION: &str = "2020-08-27";

/// The metadata key that ties a Stripe refund to our action (`metadata[support_action_id]`);
/// [`find_refund_by_action`] matches on it.
pub const ACTION_METADATA_KEY: &str = "support_action_id";

/// The refund reasons a caller may send.
pub const REFUND_REASONS: [&str; 3] = ["duplicate", "fraudulent", "requested_by_customer"];

/// Page size used by [`StripeApi::list_refunds_for_charge`] unless
/// [`StripeClient::with_page_size`] says otherwise (Stripe's maximum).
pub const DEFAULT_PAGE_SIZE: u8 = 100;

/// Stripe's limit on `Idempotency-Key` length.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The deterministic idempotency key for a refund action: `refund:{action_id}`. The same
/// action always gets the same key, so a retry can never become a second refund.
pub fn refund_idempotency_key(action_id: &str) -> String {
    format!("refund:{action_id}")
}

// ---------------------------------------------------------------------------------------
// Errors.

/// What a failed call means for the refund action, from [`StripeError::outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Definitely not done, and sending the same request again will not change that: a card
    /// error, an invalid request (`amount_too_large`, `charge_already_refunded`,
    /// `resource_missing` ...), an `idempotency_error` (same key, different parameters: a
    /// bug), a 401, or input this client refused to send. The action fails; a human decides
    /// what next. Never retried under a new key automatically.
    Failed,
    /// Not done (or not known to have started), and safe to send again with the **same** key
    /// and the **same** parameters after a back-off: 409 `idempotency_key_in_use`, 429, a
    /// first-time 5xx (not a replay), a transport error before the request could reach
    /// Stripe, or any transport error on a read-only GET.
    RetrySameKey,
    /// Maybe done: the request may have reached Stripe and we do not know what happened.
    /// Either a transport error after a POST was handed to the connection (dropped
    /// connection, timeout), an unreadable response, or a **replayed stored 5xx** — Stripe
    /// stored a 500 for this key, so every retry with it replays that 500 and the first
    /// attempt's outcome can never be learned through this key. Settle it with
    /// [`find_refund_by_action`] (or the `refund.*` webhooks); never with a new key.
    Uncertain,
}

/// A Stripe call that did not produce the expected object. Messages never contain the secret
/// key (Stripe redacts it in its own 401 text, and this client scrubs it from anything it
/// forwards).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// `card_error` (402): the card network said no.
    #[error("stripe card error ({code:?}): {message}")]
    Card {
        code: Option<String>,
        decline_code: Option<String>,
        message: String,
    },
    /// `invalid_request_error` (400, 403, 404 ...), including `charge_already_refunded`,
    /// `amount_too_large` and `resource_missing` (e.g. a charge of another connected account).
    #[error("stripe rejected the request ({status}, code {code:?}, param {param:?}): {message}")]
    InvalidRequest {
        code: Option<String>,
        param: Option<String>,
        message: String,
        status: u16,
    },
    /// `idempotency_error`: the key was first used with different parameters. A programming
    /// error (the parameters were recomputed instead of rebuilt from the ledger row); never
    /// "fixed" by retrying under a new key.
    #[error("stripe idempotency error (same key, different parameters): {message}")]
    Idempotency { message: String },
    /// 409 `idempotency_key_in_use`: a request with this key is still running at Stripe.
    /// Retry later with the SAME key.
    #[error("stripe: a request with this idempotency key is still in flight: {message}")]
    KeyInUse { message: String },
    /// 429: rate limited before idempotency ran; nothing was stored for the key.
    #[error("stripe rate limited the request (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx. `replayed` is true when the response carried `Idempotent-Replayed: true`: a
    /// stored 500 coming back for the key (see [`Outcome::Uncertain`]).
    #[error("stripe server error {status} (replayed: {replayed}): {message}")]
    Server {
        status: u16,
        message: String,
        replayed: bool,
    },
    /// No usable HTTP response. `uncertain` is true when the request may have reached Stripe
    /// (a POST that got past connecting); connect errors and errors on GETs are not uncertain.
    #[error("stripe transport error (uncertain: {uncertain}): {message}")]
    Transport { uncertain: bool, message: String },
    /// A response arrived but its body was not what Stripe documents.
    #[error("stripe sent an unexpected body: {message}")]
    Decode { message: String },
    /// Rejected by this client before anything was sent.
    #[error("invalid stripe request input: {message}")]
    InvalidInput { message: String },
    /// 401: the secret key is missing, wrong or revoked.
    #[error("stripe authentication failed: {message}")]
    Auth { message: String },
    /// A Connect OAuth error (`{"error", "error_description"}`): `invalid_grant` for an
    /// expired, unknown or reused code, `invalid_client` for an account not connected.
    #[error("stripe oauth error {error}: {description}")]
    OAuth { error: String, description: String },
}

impl StripeError {
    /// What this error means for the refund action; see [`Outcome`] for the reasoning.
    pub fn outcome(&self) -> Outcome {
        match self {
            StripeError::Card { .. }
            | StripeError::InvalidRequest { .. }
            | StripeError::Idempotency { .. }
            | StripeError::InvalidInput { .. }
            | StripeError::Auth { .. }
            | StripeError::OAuth { .. } => Outcome::Failed,
            StripeError::KeyInUse { .. } | StripeError::RateLimited { .. } => Outcome::RetrySameKey,
            // A first-time 5xx may or may not have been stored for the key; retrying with the
            // same key is safe either way, and a stored one then shows up as a replay.
            StripeError::Server { replayed, .. } => {
                if *replayed {
                    Outcome::Uncertain
                } else {
                    Outcome::RetrySameKey
                }
            }
            StripeError::Transport { uncertain, .. } => {
                if *uncertain {
                    Outcome::Uncertain
                } else {
                    Outcome::RetrySameKey
                }
            }
            // A body we cannot read may well be a success (a refund we failed to parse).
            StripeError::Decode { .. } => Outcome::Uncertain,
        }
    }

    /// Stripe's error `code` (`amount_too_large`, `resource_missing` ...) when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            StripeError::Card { code, .. } | StripeError::InvalidRequest { code, .. } => {
                code.as_deref()
            }
            _ => None,
        }
    }

    fn invalid_input(message: impl Into<String>) -> Self {
        StripeError::InvalidInput {
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Objects.

/// Parameters of `POST /v1/refunds`. Store it with the action and rebuild it from the stored
/// row on every retry: Stripe compares the parameters of a repeated key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// `ch_…` (or `py_…`) to refund. Exactly one of `charge` / `payment_intent`.
    pub charge: Option<String>,
    /// `pi_…` to refund. Exactly one of `charge` / `payment_intent`.
    pub payment_intent: Option<String>,
    /// Smallest currency unit, > 0; `None` refunds everything still refundable.
    pub amount: Option<i64>,
    /// One of [`REFUND_REASONS`].
    pub reason: Option<String>,
    /// Sent as `metadata[key]=value`; put [`ACTION_METADATA_KEY`] here.
    pub metadata: BTreeMap<String, String>,
}

/// A refund (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub charge: Option<String>,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled` (empty if Stripe
    /// sent `null`, which older API versions allow).
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

impl Refund {
    /// `metadata[support_action_id]`, if set.
    pub fn action_id(&self) -> Option<&str> {
        self.metadata.get(ACTION_METADATA_KEY).map(String::as_str)
    }
}

/// A charge (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    pub amount_refunded: i64,
    pub currency: String,
    /// True only once the charge is fully refunded.
    pub refunded: bool,
    pub created: i64,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub receipt_email: Option<String>,
    #[serde(default)]
    pub billing_details: Option<BillingDetails>,
}

/// `billing_details` of a charge (the field we use).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetails {
    #[serde(default)]
    pub email: Option<String>,
}

/// A payment intent (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_received: i64,
    pub currency: String,
    pub status: String,
    /// The charge that paid it, when there is one.
    #[serde(default)]
    pub latest_charge: Option<String>,
}

impl Charge {
    /// The payer's email: billing details first, else the receipt address.
    pub fn billing_email(&self) -> Option<&str> {
        self.billing_details
            .as_ref()
            .and_then(|b| b.email.as_deref())
            .or(self.receipt_email.as_deref())
            .filter(|e| !e.is_empty())
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> i64 {
        (self.amount - self.amount_refunded).max(0)
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct ListPage<T> {
    data: Vec<T>,
    has_more: bool,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ApiErrorBody,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    param: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The trait.

/// The Stripe calls the platform makes. Every call acts on the connected account `account`
/// (`acct_…`, sent as `Stripe-Account`).
#[async_trait::async_trait]
pub trait StripeApi: Send + Sync {
    /// POST /v1/refunds on the connected account, with the given idempotency key (always
    /// required; use [`refund_idempotency_key`]).
    async fn create_refund(
        &self,
        account: &str,
        req: &RefundRequest,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError>;

    /// GET /v1/refunds/{id}.
    async fn retrieve_refund(&self, account: &str, refund_id: &str) -> Result<Refund, StripeError>;

    /// GET /v1/refunds?charge=… (all pages, following has_more/starting_after), newest first.
    async fn list_refunds_for_charge(
        &self,
        account: &str,
        charge: &str,
    ) -> Result<Vec<Refund>, StripeError>;

    /// GET /v1/charges/{id}.
    async fn retrieve_charge(&self, account: &str, charge_id: &str) -> Result<Charge, StripeError>;

    /// GET /v1/payment_intents/{id}.
    async fn retrieve_payment_intent(
        &self,
        account: &str,
        payment_intent: &str,
    ) -> Result<PaymentIntent, StripeError>;
}

/// Reconciliation for an [`Outcome::Uncertain`] refund: list the charge's refunds and return
/// the one whose `metadata[support_action_id]` equals `action_id`. `Ok(None)` means Stripe has
/// no refund for this action on this charge (for a replayed stored 500 that is final for the
/// key; a human decides whether to approve a new action). If several match — which the key
/// discipline should make impossible — the oldest is returned.
pub async fn find_refund_by_action(
    api: &dyn StripeApi,
    account: &str,
    charge: &str,
    action_id: &str,
) -> Result<Option<Refund>, StripeError> {
    if action_id.is_empty() {
        return Err(StripeError::invalid_input("action id must not be empty"));
    }
    let refunds = api.list_refunds_for_charge(account, charge).await?;
    // Stripe lists newest first; the oldest match is the one that counts.
    Ok(refunds
        .into_iter()
        .rev()
        .find(|r| r.action_id() == Some(action_id)))
}

// ---------------------------------------------------------------------------------------
// Input validation (before anything is sent).

const ACCOUNT_PREFIXES: &[&str] = &["acct_"];
const CHARGE_PREFIXES: &[&str] = &["ch_", "py_"];
const PAYMENT_INTENT_PREFIXES: &[&str] = &["pi_"];
const REFUND_PREFIXES: &[&str] = &["re_", "pyr_"];
const MAX_ID_LEN: usize = 255;
const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_KEY_CHARS: usize = 40;
const MAX_METADATA_VALUE_CHARS: usize = 500;

/// `value` must start with one of `prefixes` and continue with at least one ASCII letter,
/// digit or underscore (which also keeps it safe to put in a URL path).
fn validate_id(what: &str, value: &str, prefixes: &[&str]) -> Result<(), StripeError> {
    let ok = value.len() <= MAX_ID_LEN
        && prefixes.iter().any(|p| {
            value.strip_prefix(p).is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        });
    if ok {
        Ok(())
    } else {
        Err(StripeError::invalid_input(format!(
            "{what} must look like {}…: got {value:?}",
            prefixes.join("… or ")
        )))
    }
}

fn validate_account(account: &str) -> Result<(), StripeError> {
    validate_id("account", account, ACCOUNT_PREFIXES)
}

fn validate_idempotency_key(key: &str) -> Result<(), StripeError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(StripeError::invalid_input(format!(
            "idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"
        )));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(StripeError::invalid_input(
            "idempotency key must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

fn validate_refund_request(req: &RefundRequest) -> Result<(), StripeError> {
    match (&req.charge, &req.payment_intent) {
        (Some(ch), None) => validate_id("charge", ch, CHARGE_PREFIXES)?,
        (None, Some(pi)) => validate_id("payment_intent", pi, PAYMENT_INTENT_PREFIXES)?,
        _ => {
            return Err(StripeError::invalid_input(
                "exactly one of charge or payment_intent must be set",
            ));
        }
    }
    if let Some(amount) = req.amount
        && amount <= 0
    {
        return Err(StripeError::invalid_input(format!(
            "amount must be greater than 0: got {amount}"
        )));
    }
    if let Some(reason) = &req.reason
        && !REFUND_REASONS.contains(&reason.as_str())
    {
        return Err(StripeError::invalid_input(format!(
            "reason must be one of {}: got {reason:?}",
            REFUND_REASONS.join(", ")
        )));
    }
    if req.metadata.len() > MAX_METADATA_KEYS {
        return Err(StripeError::invalid_input(format!(
            "at most {MAX_METADATA_KEYS} metadata keys"
        )));
    }
    for (k, v) in &req.metadata {
        let key_chars = k.chars().count();
        if key_chars == 0
            || key_chars > MAX_METADATA_KEY_CHARS
            || k.contains(['[', ']'])
            || k.chars().any(char::is_control)
        {
            return Err(StripeError::invalid_input(format!(
                "metadata key {k:?} must be 1 to {MAX_METADATA_KEY_CHARS} characters without \
                 brackets"
            )));
        }
        // An empty value means "unset this key" to Stripe; on a create it is a mistake.
        if v.is_empty() || v.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(StripeError::invalid_input(format!(
                "metadata value for {k:?} must be 1 to {MAX_METADATA_VALUE_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// The form body, in a fixed order so the same request always encodes the same way.
fn refund_form(req: &RefundRequest) -> Vec<(String, String)> {
    let mut form = Vec::new();
    if let Some(ch) = &req.charge {
        form.push(("charge".to_owned(), ch.clone()));
    }
    if let Some(pi) = &req.payment_intent {
        form.push(("payment_intent".to_owned(), pi.clone()));
    }
    if let Some(amount) = req.amount {
        form.push(("amount".to_owned(), amount.to_string()));
    }
    if let Some(reason) = &req.reason {
        form.push(("reason".to_owned(), reason.clone()));
    }
    for (k, v) in &req.metadata {
        form.push((format!("metadata[{k}]"), v.clone()));
    }
    form
}

// ---------------------------------------------------------------------------------------
// The real client.

/// The real client: secret key, base URL (`https://api.stripe.com`, or a fake's URL), the
/// timeout applied to every request, and no automatic retries.
pub struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
    page_size: u8,
    /// Connect OAuth host and the platform's `ca_…` client id ([`StripeClient::with_connect`]).
    connect_url: String,
    client_id: String,
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient")
            .field("base_url", &self.base_url)
            .field("secret_key", &"[redacted]")
            .field("page_size", &self.page_size)
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

impl StripeClient {
    /// A client for `base_url` (no trailing path; `/v1/...` is appended) authenticating with
    /// `secret_key`. `timeout` bounds each whole request (connect, send, response body).
    ///
    /// # Panics
    ///
    /// reqwest panics here if no rustls crypto provider is installed for the process (the
    /// workspace uses `rustls-no-provider`); install one at startup.
    pub fn new(base_url: &str, secret_key: &str, timeout: Duration) -> Result<Self, StripeError> {
        let base_url = base_url.trim_end_matches('/');
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(StripeError::invalid_input(
                "base url must start with https:// or http://",
            ));
        }
        if secret_key.is_empty() || !secret_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StripeError::invalid_input(
                "secret key must be non-empty printable ASCII",
            ));
        }
        if timeout.is_zero() {
            return Err(StripeError::invalid_input("timeout must be greater than 0"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // The action ledger owns retries; not even protocol-level NACKs are resent here.
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StripeError::Transport {
                uncertain: false,
                message: format!("could not build the HTTP client: {e}"),
            })?;
        Ok(StripeClient {
            http,
            base_url: base_url.to_owned(),
            secret_key: secret_key.to_owned(),
            page_size: DEFAULT_PAGE_SIZE,
            connect_url: DEFAULT_CONNECT_URL.to_owned(),
            client_id: String::new(),
        })
    }

    /// Page size for [`StripeApi::list_refunds_for_charge`], clamped to Stripe's 1..=100.
    pub fn with_page_size(mut self, page_size: u8) -> Self {
        self.page_size = page_size.clamp(1, 100);
        self
    }

    /// The page size in use.
    pub fn page_size(&self) -> u8 {
        self.page_size
    }

    /// Never let the secret key into an error message.
    fn scrub(&self, text: &str) -> String {
        if self.secret_key.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.secret_key, "[redacted]")
        }
    }

    fn request(&self, verb: Verb, account: &str, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.base_url);
        let rb = match verb {
            Verb::Get => self.http.get(url),
            Verb::Post => self.http.post(url),
        };
        rb.bearer_auth(&self.secret_key)
            .header("Stripe-Account", account)
            .header("Stripe-Version", STRIPE_VERSION)
    }

    /// A reqwest error with no HTTP response. Connect (and builder) errors happen before a
    /// single byte reached Stripe; anything else on a POST may have been executed.
    fn transport(&self, verb: Verb, e: &reqwest::Error) -> StripeError {
        let before_send = e.is_connect() || e.is_builder();
        StripeError::Transport {
            uncertain: verb == Verb::Post && !before_send,
            message: self.scrub(&error_chain(e)),
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        verb: Verb,
        rb: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let resp = rb.send().await.map_err(|e| self.transport(verb, &e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .map(str::to_owned)
        };
        let replayed =
            header("idempotent-replayed").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let retry_after = header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        // The status line arrived, but a POST whose body we cannot read may still have done
        // its work: same rule as any other post-send failure.
        let body = resp.text().await.map_err(|e| StripeError::Transport {
            uncertain: verb == Verb::Post,
            message: self.scrub(&error_chain(&e)),
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|e| StripeError::Decode {
                message: format!("{status} response: {e}"),
            });
        }
        Err(self.api_error(status, replayed, retry_after, &body))
    }

    /// Map a non-2xx response. Status classes that decide the retry semantics come first
    /// (401, 409, 429, 5xx: real Stripe sends 409 in-flight conflicts as `idempotency_error`,
    /// which must not be mistaken for a parameter mismatch), then Stripe's error `type`.
    fn api_error(
        &self,
        status: u16,
        replayed: bool,
        retry_after: Option<Duration>,
        body: &str,
    ) -> StripeError {
        let parsed = serde_json::from_str::<ErrorEnvelope>(body)
            .ok()
            .map(|e| e.error);
        let message = self.scrub(
            &parsed
                .as_ref()
                .and_then(|e| e.message.clone())
                .unwrap_or_else(|| body.chars().take(200).collect()),
        );
        let (kind, code, decline_code, param) = match parsed {
            Some(e) => (e.kind, e.code, e.decline_code, e.param),
            None => (None, None, None, None),
        };
        match status {
            401 => StripeError::Auth { message },
            409 => StripeError::KeyInUse { message },
            429 => StripeError::RateLimited { retry_after },
            500..=599 => StripeError::Server {
                status,
                message,
                replayed,
            },
            _ => match kind.as_deref() {
                Some("card_error") => StripeError::Card {
                    code,
                    decline_code,
                    message,
                },
                Some("idempotency_error") => StripeError::Idempotency { message },
                _ if code.as_deref() == Some("idempotency_key_mismatch") => {
                    StripeError::Idempotency { message }
                }
                _ => StripeError::InvalidRequest {
                    code,
                    param,
                    message,
                    status,
                },
            },
        }
    }
}

/// `e` and its sources, `: `-joined (reqwest's top-level text alone rarely says why).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[async_trait::async_trait]
impl StripeApi for StripeClient {
    async fn create_refund(
        &self,
        account: &str,
        req: &RefundRequest,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        validate_account(account)?;
        validate_idempotency_key(idempotency_key)?;
        validate_refund_request(req)?;
        let rb = self
            .request(Verb::Post, account, "/v1/refunds")
            .header("Idempotency-Key", idempotency_key)
            .form(&refund_form(req));
        self.send(Verb::Post, rb).await
    }

    async fn retrieve_refund(&self, account: &str, refund_id: &str) -> Result<Refund, StripeError> {
        validate_account(account)?;
        validate_id("refund id", refund_id, REFUND_PREFIXES)?;
        let rb = self.request(Verb::Get, account, &format!("/v1/refunds/{refund_id}"));
        self.send(Verb::Get, rb).await
    }

    async fn list_refunds_for_charge(
        &self,
        account: &str,
        charge: &str,
    ) -> Result<Vec<Refund>, StripeError> {
        validate_account(account)?;
        validate_id("charge", charge, CHARGE_PREFIXES)?;
        let limit = self.page_size.to_string();
        let mut out: Vec<Refund> = Vec::new();
        let mut starting_after: Option<String> = None;
        loop {
            let mut query = vec![("charge", charge), ("limit", limit.as_str())];
            if let Some(after) = &starting_after {
                query.push(("starting_after", after.as_str()));
            }
            let rb = self
                .request(Verb::Get, account, "/v1/refunds")
                .query(&query);
            let page: ListPage<Refund> = self.send(Verb::Get, rb).await?;
            let has_more = page.has_more;
            out.extend(page.data);
            if !has_more {
                return Ok(out);
            }
            let last = out.last().map(|r| r.id.clone());
            if last.is_none() || last == starting_after {
                return Err(StripeError::Decode {
                    message: "refund list said has_more but the page did not advance".to_owned(),
                });
            }
            starting_after = last;
        }
    }

    async fn retrieve_charge(&self, account: &str, charge_id: &str) -> Result<Charge, StripeError> {
        validate_account(account)?;
        validate_id("charge", charge_id, CHARGE_PREFIXES)?;
        let rb = self.request(Verb::Get, account, &format!("/v1/charges/{charge_id}"));
        self.send(Verb::Get, rb).await
    }

    async fn retrieve_payment_intent(
        &self,
        account: &str,
        payment_intent: &str,
    ) -> Result<PaymentIntent, StripeError> {
        validate_account(account)?;
        validate_id("payment intent", payment_intent, PAYMENT_INTENT_PREFIXES)?;
        let rb = self.request(
            Verb::Get,
            account,
            &format!("/v1/payment_intents/{payment_intent}"),
        );
        self.send(Verb::Get, rb).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RefundRequest {
        RefundRequest {
            charge: Some("ch_123".to_owned()),
            amount: Some(500),
            reason: Some("requested_by_customer".to_owned()),
            metadata: BTreeMap::from([(ACTION_METADATA_KEY.to_owned(), "act_1".to_owned())]),
            ..RefundRequest::default()
        }
    }

    #[test]
    fn form_uses_bracket_metadata_in_a_fixed_order() {
        assert_eq!(
            refund_form(&req()),
            vec![
                ("charge".to_owned(), "ch_123".to_owned()),
                ("amount".to_owned(), "500".to_owned()),
                ("reason".to_owned(), "requested_by_customer".to_owned()),
                ("metadata[support_action_id]".to_owned(), "act_1".to_owned()),
            ]
        );
    }

    #[test]
    fn validation_rejects_bad_requests() {
        assert!(validate_refund_request(&req()).is_ok());
        let bad = [
            RefundRequest {
                amount: Some(0),
                ..req()
            },
            RefundRequest {
                reason: Some("changed_mind".to_owned()),
                ..req()
            },
            RefundRequest {
                payment_intent: Some("pi_1".to_owned()),
                ..req()
            },
            RefundRequest {
                charge: None,
                ..req()
            },
            RefundRequest {
                charge: Some("pi_1".to_owned()),
                ..req()
            },
            RefundRequest {
                charge: Some("ch_1/../x".to_owned()),
                ..req()
            },
            RefundRequest {
                metadata: BTreeMap::from([("a[b]".to_owned(), "x".to_owned())]),
                ..req()
            },
            RefundRequest {
                metadata: BTreeMap::from([("k".to_owned(), String::new())]),
                ..req()
            },
        ];
        for r in bad {
            assert!(
                matches!(
                    validate_refund_request(&r),
                    Err(StripeError::InvalidInput { .. })
                ),
                "{r:?}"
            );
        }
        assert!(validate_account("acct_1A").is_ok());
        assert!(validate_account("acct_").is_err());
        assert!(validate_account("cus_1").is_err());
        assert!(validate_idempotency_key("refund:01J").is_ok());
        assert!(validate_idempotency_key("").is_err());
        assert!(validate_idempotency_key("has space").is_err());
        assert!(validate_idempotency_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn outcomes() {
        let server = |replayed| StripeError::Server {
            status: 500,
            message: String::new(),
            replayed,
        };
        assert_eq!(server(false).outcome(), Outcome::RetrySameKey);
        assert_eq!(server(true).outcome(), Outcome::Uncertain);
        let transport = |uncertain| StripeError::Transport {
            uncertain,
            message: String::new(),
        };
        assert_eq!(transport(false).outcome(), Outcome::RetrySameKey);
        assert_eq!(transport(true).outcome(), Outcome::Uncertain);
        assert_eq!(
            StripeError::KeyInUse {
                message: String::new()
            }
            .outcome(),
            Outcome::RetrySameKey
        );
        assert_eq!(
            StripeError::Idempotency {
                message: String::new()
            }
            .outcome(),
            Outcome::Failed
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = StripeClient::new(
            "http://127.0.0.1:1/",
            "sk_test_secret",
            Duration::from_secs(1),
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk_test_secret"), "{dbg}");
        assert_eq!(
            c.scrub("key sk_test_secret leaked"),
            "key [redacted] leaked"
        );
    }
}

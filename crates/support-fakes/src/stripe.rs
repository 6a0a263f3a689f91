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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::server::{
    self, Conn, RequestLog, RequestRecord, Running, bearer, header_str, lock, mixed_id, now_secs,
    parse_form,
};

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

struct ChargeRec {
    seed: SeedCharge,
    amount_refunded: i64,
    balance_transaction: String,
}

struct Stored {
    fingerprint: String,
    status: StatusCode,
    body: String,
    request_id: String,
}

#[derive(Default)]
struct StripeData {
    charges: HashMap<String, Vec<ChargeRec>>,
    refunds: Vec<StripeRefund>,
    idempotency: HashMap<(String, String), Stored>,
    faults: VecDeque<StripeFault>,
    oauth: OAuthData,
}

struct StripeShared {
    token: String,
    client_id: String,
    data: Mutex<StripeData>,
    log: RequestLog,
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
        let rec = d
            .charges
            .get(account)?
            .iter()
            .find(|c| c.seed.id == charge)?;
        Some(event_json(
            event_type,
            account,
            charge_json(&d, account, rec),
        ))
    }

    /// A `charge.dispute.created` event for a charge of `account`.
    pub fn dispute_event(&self, account: &str, charge: &str) -> Option<Value> {
        let d = lock(&self.shared.data);
        let rec = d
            .charges
            .get(account)?
            .iter()
            .find(|c| c.seed.id == charge)?;
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

// ---------------------------------------------------------------------------------------
// Connect OAuth.

/// Authorization codes live this long (Stripe's expire within minutes).
const OAUTH_CODE_SECS: i64 = 300;

#[derive(Default)]
struct OAuthData {
    deny_next: bool,
    next_account: Option<String>,
    codes: HashMap<String, OAuthCode>,
    connected: std::collections::BTreeSet<String>,
}

struct OAuthCode {
    account: String,
    issued: i64,
    expired: bool,
    used: bool,
}

/// Stripe's OAuth error shape: `{"error": "...", "error_description": "..."}`.
fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    raw_response(
        status,
        json!({"error": error, "error_description": description.into()}).to_string(),
        &new_request_id(),
    )
}

fn form_value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `GET /oauth/authorize`: the account owner's consent page. The fake consents at once (or
/// denies, when scripted) and redirects to `redirect_uri` as Stripe does.
async fn oauth_authorize(State(s): St, uri: Uri) -> Response {
    let query = parse_form(uri.query().unwrap_or("")).unwrap_or_default();
    let client_id = form_value(&query, "client_id").unwrap_or("");
    if client_id != s.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            format!("No such application: '{client_id}'"),
        );
    }
    if form_value(&query, "response_type") != Some("code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "response_type must be 'code'",
        );
    }
    let Some(redirect) = form_value(&query, "redirect_uri").filter(|r| r.starts_with("http"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uri is missing or invalid",
        );
    };
    let state = form_value(&query, "state").unwrap_or("");
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let mut d = lock(&s.data);
    let target = if std::mem::take(&mut d.oauth.deny_next) {
        format!(
            "{redirect}{sep}error=access_denied&error_description={}&state={}",
            pct_encode("The user denied your request"),
            pct_encode(state)
        )
    } else {
        let account = d
            .oauth
            .next_account
            .take()
            .unwrap_or_else(|| mixed_id("acct", 16));
        let code = mixed_id("ac", 32);
        d.oauth.codes.insert(
            code.clone(),
            OAuthCode {
                account,
                issued: now_secs(),
                expired: false,
                used: false,
            },
        );
        format!(
            "{redirect}{sep}code={code}&scope=read_write&state={}",
            pct_encode(state)
        )
    };
    axum::response::Redirect::to(&target).into_response()
}

fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn oauth_form(
    s: &StripeShared,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, Box<Response>> {
    let form = std::str::from_utf8(body)
        .ok()
        .and_then(parse_form)
        .ok_or_else(|| {
            Box::new(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid form body",
            ))
        })?;
    let key = bearer(headers).or_else(|| form_value(&form, "client_secret"));
    if key != Some(s.token.as_str()) {
        return Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "No valid API key provided",
        )));
    }
    Ok(form)
}

/// `POST /oauth/token` (`grant_type=authorization_code`).
async fn oauth_token(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let form = match oauth_form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if form_value(&form, "grant_type") != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only authorization_code is supported by this fake",
        );
    }
    let code = form_value(&form, "code").unwrap_or("");
    let mut d = lock(&s.data);
    let account = match d.oauth.codes.get_mut(code) {
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("Authorization code does not exist: {code}"),
            );
        }
        Some(c) if c.used => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "This authorization code has already been used. All tokens issued with this                  code have been revoked.",
            );
        }
        Some(c) if c.expired || now_secs() - c.issued > OAUTH_CODE_SECS => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("Authorization code expired: {code}"),
            );
        }
        Some(c) => {
            c.used = true;
            c.account.clone()
        }
    };
    d.oauth.connected.insert(account.clone());
    ok_json(json!({
        "access_token": mixed_id("sk_test", 24),
        "livemode": false,
        "refresh_token": mixed_id("rt", 32),
        "token_type": "bearer",
        "stripe_publishable_key": mixed_id("pk_test", 24),
        "stripe_user_id": account,
        "scope": "read_write",
    }))
}

/// `POST /oauth/deauthorize` (`client_id`, `stripe_user_id`).
async fn oauth_deauthorize(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let form = match oauth_form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let client_id = form_value(&form, "client_id").unwrap_or("");
    let account = form_value(&form, "stripe_user_id").unwrap_or("").to_owned();
    if client_id != s.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            format!("No such application: '{client_id}'"),
        );
    }
    if !lock(&s.data).oauth.connected.remove(&account) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!("Application {client_id} is not connected to stripe account {account}"),
        );
    }
    ok_json(json!({"stripe_user_id": account}))
}

// ---------------------------------------------------------------------------------------
// Errors and responses.

/// Stripe's error body: `{"error":{"type":…,"code":…,"message":…,"param":…}}`.
struct StripeError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
    param: Option<String>,
}

impl StripeError {
    fn invalid(
        code: Option<&'static str>,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        StripeError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    fn missing(object: &str, id: &str, param: &str) -> Self {
        StripeError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: Some("resource_missing"),
            message: format!("No such {object}: '{id}'"),
            param: Some(param.to_owned()),
        }
    }

    fn api_error() -> Self {
        StripeError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "api_error",
            code: None,
            message: "An unknown error occurred while processing your request. Please retry \
                      or contact support."
                .to_owned(),
            param: None,
        }
    }

    fn body(&self) -> String {
        let mut err = serde_json::Map::new();
        if let Some(code) = self.code {
            err.insert("code".into(), json!(code));
            err.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        err.insert("message".into(), json!(self.message));
        if let Some(p) = &self.param {
            err.insert("param".into(), json!(p));
        }
        err.insert("type".into(), json!(self.kind));
        json!({"error": Value::Object(err)}).to_string()
    }

    fn respond(&self) -> Response {
        raw_response(self.status, self.body(), &new_request_id())
    }
}

fn new_request_id() -> String {
    mixed_id("req", 14)
}

fn raw_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut resp = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut()
            .insert(HeaderName::from_static("request-id"), v);
    }
    resp
}

fn ok_json(v: Value) -> Response {
    raw_response(StatusCode::OK, v.to_string(), &new_request_id())
}

/// Stripe's redaction of a wrong key in its 401 message.
fn redact_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

async fn require_key(State(s): State<Arc<StripeShared>>, req: Request, next: Next) -> Response {
    let message = match bearer(req.headers()) {
        Some(t) if t == s.token => return next.run(req).await,
        Some(t) => format!("Invalid API Key provided: {}", redact_key(t)),
        None => "You did not provide an API key. You need to provide your API key in the \
                 Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
                 YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, \
                 or we can help at https://support.stripe.com/."
            .to_owned(),
    };
    StripeError {
        status: StatusCode::UNAUTHORIZED,
        kind: "invalid_request_error",
        code: None,
        message,
        param: None,
    }
    .respond()
}

async fn fallback(method: Method, uri: Uri) -> Response {
    StripeError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: None,
        message: format!(
            "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or \
             we can help at https://support.stripe.com/.",
            uri.path()
        ),
        param: None,
    }
    .respond()
}

fn account_of(headers: &HeaderMap) -> String {
    header_str(headers, "stripe-account")
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(PLATFORM_ACCOUNT)
        .to_owned()
}

fn money(amount: i64, currency: &str) -> String {
    let major = amount / 100;
    let minor = (amount % 100).abs();
    if currency.eq_ignore_ascii_case("usd") {
        format!("${major}.{minor:02}")
    } else {
        format!("{major}.{minor:02} {}", currency.to_ascii_uppercase())
    }
}

// ---------------------------------------------------------------------------------------
// JSON rendering.

fn refund_json(r: &StripeRefund) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "balance_transaction": r.balance_transaction,
        "charge": r.charge,
        "created": r.created,
        "currency": r.currency,
        "destination_details": {
            "card": {
                "reference": null,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": r.metadata,
        "payment_intent": r.payment_intent,
        "reason": r.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": r.status,
        "transfer_reversal": null,
    })
}

fn charge_json(d: &StripeData, account: &str, c: &ChargeRec) -> Value {
    let s = &c.seed;
    let refunds: Vec<Value> = d
        .refunds
        .iter()
        .rev()
        .filter(|r| r.account == account && r.charge == s.id)
        .map(refund_json)
        .collect();
    json!({
        "id": s.id,
        "object": "charge",
        "amount": s.amount,
        "amount_captured": s.amount,
        "amount_refunded": c.amount_refunded,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": c.balance_transaction,
        "billing_details": {
            "address": {
                "city": null, "country": null, "line1": null, "line2": null,
                "postal_code": null, "state": null,
            },
            "email": s.customer_email,
            "name": null,
            "phone": null,
        },
        "calculated_statement_descriptor": "FAKE SUPPORT",
        "captured": true,
        "created": s.created,
        "currency": s.currency,
        "customer": null,
        "description": null,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "fraud_details": {},
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": {
            "network_status": "approved_by_network",
            "reason": null,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": true,
        "payment_intent": s.payment_intent,
        "payment_method": null,
        "receipt_email": s.customer_email,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": c.amount_refunded >= s.amount,
        "refunds": {
            "object": "list",
            "data": refunds,
            "has_more": false,
            "url": format!("/v1/charges/{}/refunds", s.id),
        },
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null,
    })
}

fn payment_intent_json(c: &ChargeRec) -> Value {
    let s = &c.seed;
    let pi = s.payment_intent.clone().unwrap_or_default();
    json!({
        "id": pi,
        "object": "payment_intent",
        "amount": s.amount,
        "amount_capturable": 0,
        "amount_received": s.amount,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic",
        "client_secret": format!("{pi}_secret_fake"),
        "confirmation_method": "automatic",
        "created": s.created,
        "currency": s.currency,
        "customer": null,
        "description": null,
        "last_payment_error": null,
        "latest_charge": s.id,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_types": ["card"],
        "receipt_email": s.customer_email,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null,
    })
}

// ---------------------------------------------------------------------------------------
// Handlers.

type St = State<Arc<StripeShared>>;

async fn get_charge(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let account = account_of(&headers);
    let d = lock(&s.data);
    match d
        .charges
        .get(&account)
        .and_then(|cs| cs.iter().find(|c| c.seed.id == id))
    {
        Some(c) => ok_json(charge_json(&d, &account, c)),
        None => StripeError::missing("charge", &id, "id").respond(),
    }
}

async fn get_payment_intent(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let account = account_of(&headers);
    let d = lock(&s.data);
    match d.charges.get(&account).and_then(|cs| {
        cs.iter()
            .rev()
            .find(|c| c.seed.payment_intent.as_deref() == Some(id.as_str()))
    }) {
        Some(c) => ok_json(payment_intent_json(c)),
        None => StripeError::missing("payment_intent", &id, "intent").respond(),
    }
}

async fn get_refund(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let account = account_of(&headers);
    let d = lock(&s.data);
    match d
        .refunds
        .iter()
        .find(|r| r.id == id && r.account == account)
    {
        Some(r) => ok_json(refund_json(r)),
        None => StripeError::missing("refund", &id, "id").respond(),
    }
}

fn parse_limit(raw: &str) -> Result<usize, StripeError> {
    let n: i64 = raw.parse().map_err(|_| {
        StripeError::invalid(
            Some("parameter_invalid_integer"),
            format!("Invalid integer: {raw}"),
            Some("limit"),
        )
    })?;
    if !(1..=100).contains(&n) {
        return Err(StripeError::invalid(
            Some("parameter_invalid_integer"),
            "This value must be between 1 and 100.",
            Some("limit"),
        ));
    }
    usize::try_from(n).map_err(|_| StripeError::invalid(None, "Invalid limit", Some("limit")))
}

async fn list_refunds(State(s): St, headers: HeaderMap, uri: Uri) -> Response {
    match list_refunds_inner(&s, &headers, &uri) {
        Ok(v) => ok_json(v),
        Err(e) => e.respond(),
    }
}

fn list_refunds_inner(
    s: &StripeShared,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Value, StripeError> {
    let account = account_of(headers);
    let params = parse_form(uri.query().unwrap_or(""))
        .ok_or_else(|| StripeError::invalid(None, "Invalid query string", None))?;
    let mut charge = None;
    let mut payment_intent = None;
    let mut limit = 10usize;
    let mut starting_after = None;
    let mut ending_before = None;
    for (k, v) in params {
        match k.as_str() {
            "charge" => charge = Some(v),
            "payment_intent" => payment_intent = Some(v),
            "limit" => limit = parse_limit(&v)?,
            "starting_after" => starting_after = Some(v),
            "ending_before" => ending_before = Some(v),
            k if k == "expand" || k.starts_with("expand[") || k.starts_with("created") => {}
            other => {
                return Err(StripeError::invalid(
                    Some("parameter_unknown"),
                    format!("Received unknown parameter: {other}"),
                    Some(other),
                ));
            }
        }
    }
    let d = lock(&s.data);
    // Newest first, as Stripe lists.
    let all: Vec<&StripeRefund> = d
        .refunds
        .iter()
        .rev()
        .filter(|r| r.account == account)
        .filter(|r| charge.as_deref().is_none_or(|c| r.charge == c))
        .filter(|r| {
            payment_intent
                .as_deref()
                .is_none_or(|p| r.payment_intent.as_deref() == Some(p))
        })
        .collect();
    let position = |id: &str, param: &str| {
        all.iter()
            .position(|r| r.id == id)
            .ok_or_else(|| StripeError::missing("refund", id, param))
    };
    let (page, has_more): (Vec<&StripeRefund>, bool) = if let Some(id) = &starting_after {
        let start = position(id, "starting_after")? + 1;
        let rest = &all[start..];
        (
            rest.iter().take(limit).copied().collect(),
            rest.len() > limit,
        )
    } else if let Some(id) = &ending_before {
        let end = position(id, "ending_before")?;
        let from = end.saturating_sub(limit);
        (all[from..end].to_vec(), from > 0)
    } else {
        (all.iter().take(limit).copied().collect(), all.len() > limit)
    };
    Ok(json!({
        "object": "list",
        "data": page.into_iter().map(refund_json).collect::<Vec<_>>(),
        "has_more": has_more,
        "url": "/v1/refunds",
    }))
}

/// Parameters of `POST /v1/refunds` after validation.
struct RefundParams {
    charge: Option<String>,
    payment_intent: Option<String>,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: BTreeMap<String, String>,
}

fn validate_refund(params: &[(String, String)]) -> Result<RefundParams, StripeError> {
    let mut p = RefundParams {
        charge: None,
        payment_intent: None,
        amount: None,
        reason: None,
        metadata: BTreeMap::new(),
    };
    for (k, v) in params {
        match k.as_str() {
            "charge" => p.charge = Some(v.clone()).filter(|c| !c.is_empty()),
            "payment_intent" => p.payment_intent = Some(v.clone()).filter(|c| !c.is_empty()),
            "amount" => {
                let n: i64 = v.parse().map_err(|_| {
                    StripeError::invalid(
                        Some("parameter_invalid_integer"),
                        format!("Invalid integer: {v}"),
                        Some("amount"),
                    )
                })?;
                if n < 1 {
                    return Err(StripeError::invalid(
                        Some("parameter_invalid_integer"),
                        "This value must be greater than or equal to 1.",
                        Some("amount"),
                    ));
                }
                p.amount = Some(n);
            }
            "reason" => {
                if !matches!(
                    v.as_str(),
                    "duplicate" | "fraudulent" | "requested_by_customer"
                ) {
                    return Err(StripeError::invalid(
                        None,
                        format!(
                            "Invalid reason: must be one of duplicate, fraudulent, or \
                             requested_by_customer (got {v:?})"
                        ),
                        Some("reason"),
                    ));
                }
                p.reason = Some(v.clone());
            }
            // `metadata=` (empty) unsets all keys; on create there is nothing to unset.
            "metadata" if v.is_empty() => {}
            k if k.starts_with("metadata[") && k.ends_with(']') => {
                let name = &k["metadata[".len()..k.len() - 1];
                if name.is_empty() || name.chars().count() > 40 {
                    return Err(StripeError::invalid(
                        Some("parameter_invalid_string"),
                        "Metadata keys must be between 1 and 40 characters.",
                        Some(k),
                    ));
                }
                if v.chars().count() > 500 {
                    return Err(StripeError::invalid(
                        Some("parameter_invalid_string"),
                        "Metadata values can have up to 500 characters.",
                        Some(k),
                    ));
                }
                p.metadata.insert(name.to_owned(), v.clone());
            }
            k if k == "expand"
                || k.starts_with("expand[")
                || k == "refund_application_fee"
                || k == "reverse_transfer"
                || k == "instructions_email" => {}
            other => {
                return Err(StripeError::invalid(
                    Some("parameter_unknown"),
                    format!("Received unknown parameter: {other}"),
                    Some(other),
                ));
            }
        }
    }
    if p.charge.is_none() && p.payment_intent.is_none() {
        return Err(StripeError::invalid(
            Some("parameter_missing"),
            "One of the following params should be provided for this request: payment_intent \
             or charge.",
            None,
        ));
    }
    Ok(p)
}

/// Run a validated refund against the account's charges. Errors here happen after the
/// endpoint "started executing", so they are stored for the idempotency key.
fn execute_refund(
    d: &mut StripeData,
    account: &str,
    p: RefundParams,
    key: Option<&str>,
) -> Result<Value, StripeError> {
    let charges = d.charges.entry(account.to_owned()).or_default();
    let idx = match (&p.charge, &p.payment_intent) {
        (Some(ch), pi) => {
            let idx = charges
                .iter()
                .position(|c| &c.seed.id == ch)
                .ok_or_else(|| StripeError::missing("charge", ch, "charge"))?;
            if let Some(pi) = pi
                && charges[idx].seed.payment_intent.as_deref() != Some(pi.as_str())
            {
                return Err(StripeError::invalid(
                    None,
                    format!("The charge {ch} does not belong to payment_intent {pi}."),
                    Some("payment_intent"),
                ));
            }
            idx
        }
        (None, Some(pi)) => charges
            .iter()
            .rposition(|c| c.seed.payment_intent.as_deref() == Some(pi.as_str()))
            .ok_or_else(|| StripeError::missing("payment_intent", pi, "payment_intent"))?,
        (None, None) => {
            return Err(StripeError::invalid(
                Some("parameter_missing"),
                "One of the following params should be provided for this request: \
                 payment_intent or charge.",
                None,
            ));
        }
    };
    let charge = &mut charges[idx];
    let remaining = charge.seed.amount - charge.amount_refunded;
    if remaining <= 0 {
        return Err(StripeError::invalid(
            Some("charge_already_refunded"),
            format!("Charge {} has already been refunded.", charge.seed.id),
            Some("charge"),
        ));
    }
    let amount = p.amount.unwrap_or(remaining);
    if amount > remaining {
        return Err(StripeError::invalid(
            Some("amount_too_large"),
            format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                money(amount, &charge.seed.currency),
                money(remaining, &charge.seed.currency)
            ),
            Some("amount"),
        ));
    }
    charge.amount_refunded += amount;
    let refund = StripeRefund {
        id: mixed_id("re", 24),
        account: account.to_owned(),
        charge: charge.seed.id.clone(),
        payment_intent: charge.seed.payment_intent.clone(),
        amount,
        currency: charge.seed.currency.clone(),
        reason: p.reason,
        metadata: p.metadata,
        created: now_secs(),
        status: "succeeded".to_owned(),
        balance_transaction: mixed_id("txn", 24),
        idempotency_key: key.map(str::to_owned),
    };
    let v = refund_json(&refund);
    d.refunds.push(refund);
    Ok(v)
}

fn fingerprint(method: &str, path: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut out = format!("{method} {path}");
    for (k, v) in sorted {
        out.push('\n');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

async fn create_refund(
    State(s): St,
    ConnectInfo(conn): ConnectInfo<Conn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let account = account_of(&headers);
    let key_header = headers.get("idempotency-key").cloned();
    let key = header_str(&headers, "idempotency-key").map(str::to_owned);
    let request_id = new_request_id();
    let mut d = lock(&s.data);

    // Rate limiting runs before idempotency: never stored.
    if d.faults.front() == Some(&StripeFault::RateLimit429Once) {
        d.faults.pop_front();
        return StripeError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "invalid_request_error",
            code: Some("rate_limit"),
            message: "Request rate limit exceeded. Learn more about rate limits here \
                      https://stripe.com/docs/rate-limits."
                .to_owned(),
            param: None,
        }
        .respond();
    }
    if let Some(k) = &key
        && (k.is_empty() || k.chars().count() > 255)
    {
        return StripeError::invalid(
            None,
            "Idempotency-Key must be between 1 and 255 characters long.",
            None,
        )
        .respond();
    }
    let Some(params) = std::str::from_utf8(&body).ok().and_then(parse_form) else {
        return StripeError::invalid(None, "Invalid request body: not form-encoded UTF-8", None)
            .respond();
    };
    if let (Some(StripeFault::InFlight409ForKey(k)), Some(key)) = (d.faults.front(), &key)
        && k == key
    {
        d.faults.pop_front();
        return StripeError {
            status: StatusCode::CONFLICT,
            kind: "invalid_request_error",
            code: Some("idempotency_key_in_use"),
            message: format!(
                "There is currently another in-progress request using this Idempotent Key \
                 (that probably means you submitted twice, and the other request is still \
                 going through): {key}. Please try again later."
            ),
            param: None,
        }
        .respond();
    }

    let fp = fingerprint("POST", "/v1/refunds", &params);
    if let Some(k) = &key
        && let Some(stored) = d.idempotency.get(&(k.clone(), account.clone()))
    {
        if stored.fingerprint != fp {
            return StripeError {
                status: StatusCode::BAD_REQUEST,
                kind: "idempotency_error",
                code: None,
                message: format!(
                    "Keys for idempotent requests can only be used with the same parameters \
                     they were first used with. Try using a key other than '{k}' if you meant \
                     to execute a different request."
                ),
                param: None,
            }
            .respond();
        }
        let mut resp = raw_response(stored.status, stored.body.clone(), &request_id);
        let h = resp.headers_mut();
        h.insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
        if let Ok(v) = HeaderValue::from_str(&stored.request_id) {
            h.insert(HeaderName::from_static("original-request"), v);
        }
        if let Some(v) = key_header {
            h.insert(HeaderName::from_static("idempotency-key"), v);
        }
        return resp;
    }

    let validated = match validate_refund(&params) {
        Ok(p) => p,
        Err(e) => return e.respond(),
    };

    // The request now "starts executing".
    let mut drop_after = false;
    let outcome: Result<Value, StripeError> = match d.faults.front() {
        Some(StripeFault::Fail500Once) => {
            d.faults.pop_front();
            return StripeError::api_error().respond();
        }
        Some(StripeFault::Stored500ForKey(k)) if key.as_deref() == Some(k.as_str()) => {
            d.faults.pop_front();
            Err(StripeError::api_error())
        }
        Some(StripeFault::CommitThenDrop) => {
            d.faults.pop_front();
            drop_after = true;
            execute_refund(&mut d, &account, validated, key.as_deref())
        }
        _ => execute_refund(&mut d, &account, validated, key.as_deref()),
    };
    let (status, body) = match outcome {
        Ok(v) => (StatusCode::OK, v.to_string()),
        Err(e) => (e.status, e.body()),
    };
    if let Some(k) = &key {
        d.idempotency.insert(
            (k.clone(), account),
            Stored {
                fingerprint: fp,
                status,
                body: body.clone(),
                request_id: request_id.clone(),
            },
        );
    }
    drop(d);
    if drop_after {
        conn.drop_without_response();
    }
    let mut resp = raw_response(status, body, &request_id);
    if let Some(v) = key_header {
        resp.headers_mut()
            .insert(HeaderName::from_static("idempotency-key"), v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_redaction_matches_stripe_style() {
        assert_eq!(redact_key("sk_test_wrongkey1234"), "sk_test_********1234");
        assert_eq!(redact_key("short"), "*****");
    }

    #[test]
    fn fingerprint_ignores_param_order() {
        let a = vec![
            ("charge".to_owned(), "ch_1".to_owned()),
            ("amount".to_owned(), "100".to_owned()),
        ];
        let b = vec![
            ("amount".to_owned(), "100".to_owned()),
            ("charge".to_owned(), "ch_1".to_owned()),
        ];
        assert_eq!(
            fingerprint("POST", "/v1/refunds", &a),
            fingerprint("POST", "/v1/refunds", &b)
        );
    }

    #[test]
    fn money_formats() {
        assert_eq!(money(1999, "usd"), "$19.99");
        assert_eq!(money(500, "eur"), "5.00 EUR");
    }
}

//! The HTTP layer: Stripe-shaped errors, auth, and the charge, payment intent and refund handlers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::server::{Conn, bearer, header_str, lock, mixed_id, now_secs, parse_form};

use super::*;

// ---------------------------------------------------------------------------------------
// Errors and responses.

/// Stripe's error body: `{"error":{"type":…,"code":…,"message":…,"param":…}}`.
pub(super) struct StripeError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    pub(super) message: String,
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

pub(super) fn new_request_id() -> String {
    mixed_id("req", 14)
}

pub(super) fn raw_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut resp = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut()
            .insert(HeaderName::from_static("request-id"), v);
    }
    resp
}

pub(super) fn ok_json(v: Value) -> Response {
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

pub(super) async fn require_key(
    State(s): State<Arc<StripeShared>>,
    req: Request,
    next: Next,
) -> Response {
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

pub(super) async fn fallback(method: Method, uri: Uri) -> Response {
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
// Handlers.

pub(super) type St = State<Arc<StripeShared>>;

pub(super) async fn get_charge(
    State(s): St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let account = account_of(&headers);
    let d = lock(&s.data);
    match d.charge(&account, &id) {
        Some(c) => ok_json(charge_json(&d, &account, c)),
        None => StripeError::missing("charge", &id, "id").respond(),
    }
}

pub(super) async fn get_payment_intent(
    State(s): St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
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

pub(super) async fn get_refund(
    State(s): St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
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

pub(super) async fn list_refunds(State(s): St, headers: HeaderMap, uri: Uri) -> Response {
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
pub(super) struct RefundParams {
    pub(super) charge: Option<String>,
    pub(super) payment_intent: Option<String>,
    pub(super) amount: Option<i64>,
    pub(super) reason: Option<String>,
    pub(super) metadata: BTreeMap<String, String>,
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
pub(super) fn execute_refund(
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

pub(super) fn fingerprint(method: &str, path: &str, params: &[(String, String)]) -> String {
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

pub(super) async fn create_refund(
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

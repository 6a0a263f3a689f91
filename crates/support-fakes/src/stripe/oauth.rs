//! Connect OAuth: authorize, token exchange and deauthorize.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::{bearer, lock, mixed_id, now_secs, parse_form};

use super::*;

// ---------------------------------------------------------------------------------------
// Connect OAuth.

/// Authorization codes live this long (Stripe's expire within minutes).
const OAUTH_CODE_SECS: i64 = 300;

#[derive(Default)]
pub(super) struct OAuthData {
    pub(super) deny_next: bool,
    pub(super) next_account: Option<String>,
    pub(super) codes: HashMap<String, OAuthCode>,
    pub(super) connected: std::collections::BTreeSet<String>,
}

pub(super) struct OAuthCode {
    account: String,
    issued: i64,
    pub(super) expired: bool,
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
pub(super) async fn oauth_authorize(State(s): St, uri: Uri) -> Response {
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
pub(super) async fn oauth_token(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
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
pub(super) async fn oauth_deauthorize(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
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

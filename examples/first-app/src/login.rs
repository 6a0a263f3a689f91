//! Signing in with a magic link. `generateMagicLink` (in [`crate::api`]) stores the SHA-256
//! of a random 256-bit token; `GET /login/magic?token=…` spends it once, before its expiry,
//! and starts a session whose cookie `GET /account` recognises.
//!
//! Tokens and session ids are only stored hashed, so a copy of the database signs nobody
//! in. The pages send `Referrer-Policy: no-referrer` and `Cache-Control: no-store` so the
//! token in the URL does not leak to other sites or caches.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::AppState;
use crate::html::escape;

/// The session cookie `GET /login/magic` sets.
pub const SESSION_COOKIE: &str = "first_app_session";

/// How long a session started by a magic link lasts.
const SESSION_SECS: i64 = 30 * 24 * 3_600;

/// A random 256-bit token, lower-case hex.
pub(crate) fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database stores instead of a token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn looks_like_token(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>First App — {title}</title></head><body>\n<h1>{title}</h1>\n{body_html}\n\
         </body></html>\n",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn link_error(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in link not accepted",
        &format!(
            "<p>{}</p>\n<p>Ask support for a new sign-in link.</p>",
            escape(message)
        ),
    )
}

fn internal(context: &str, e: sqlx::Error) -> Response {
    tracing::error!(error = %e, "first-app: {context}");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p>Please try again.</p>",
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct MagicParams {
    token: Option<String>,
}

/// `GET /login/magic?token=…`: spends the link and signs the browser in.
pub(crate) async fn magic(
    State(state): State<Arc<AppState>>,
    Query(params): Query<MagicParams>,
) -> Response {
    let Some(token) = params.token.filter(|t| !t.is_empty()) else {
        return link_error("This sign-in link is incomplete: it has no token.");
    };
    if !looks_like_token(&token) {
        return link_error("This sign-in link is not valid.");
    }
    let now = crate::now_unix();
    let hash = token_hash(&token);
    let mut tx = match state.pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return internal("starting sign-in", e),
    };
    // Spending the token is the transaction's first statement, so two clicks racing each
    // other cannot both get in.
    let spent: Result<Option<String>, _> = sqlx::query_scalar(
        "UPDATE magic_links SET used_at = ? \
         WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? \
         RETURNING user_id",
    )
    .bind(now)
    .bind(&hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await;
    let user_id = match spent {
        Ok(Some(user_id)) => user_id,
        Ok(None) => {
            // Say which of the three it is: all are harmless to reveal to the link holder.
            let row = sqlx::query("SELECT used_at FROM magic_links WHERE token_hash = ?")
                .bind(&hash)
                .fetch_optional(&mut *tx)
                .await;
            return match row {
                Err(e) => internal("reading a magic link", e),
                Ok(None) => link_error("This sign-in link is not valid."),
                Ok(Some(row)) => match row.try_get::<Option<i64>, _>("used_at") {
                    Ok(Some(_)) => link_error(
                        "This sign-in link has already been used. Each link works only once.",
                    ),
                    Ok(None) => link_error("This sign-in link has expired."),
                    Err(e) => internal("reading a magic link", e),
                },
            };
        }
        Err(e) => return internal("spending a magic link", e),
    };
    let session = new_token();
    let inserted = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    )
    .bind(token_hash(&session))
    .bind(&user_id)
    .bind(now)
    .bind(now + SESSION_SECS)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return internal("starting a session", e);
    }
    let name: Result<String, _> = sqlx::query_scalar("SELECT name FROM users WHERE id = ?")
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await;
    let name = match name {
        Ok(name) => name,
        Err(e) => return internal("reading the signed-in user", e),
    };
    if let Err(e) = tx.commit().await {
        return internal("committing sign-in", e);
    }
    tracing::info!(%user_id, "first-app: signed in with a magic link");

    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECS}{secure}"
    );
    let mut response = page(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<p>Signed in as {}</p>\n<p><a href=\"/account\">Your account</a></p>",
            escape(&name)
        ),
    );
    match HeaderValue::from_str(&cookie) {
        Ok(v) => {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
        Err(e) => {
            tracing::error!(error = %e, "first-app: session cookie is not a valid header");
        }
    }
    response
}

/// The session token from a `Cookie` header, if the browser sent ours.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// `GET /account`: who the session cookie belongs to.
pub(crate) async fn account(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let not_signed_in = || {
        page(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "<p>Not signed in. Ask support for a sign-in link.</p>",
        )
    };
    let Some(token) = session_token(&headers).filter(|t| looks_like_token(t)) else {
        return not_signed_in();
    };
    let name: Result<Option<String>, _> = sqlx::query_scalar(
        "SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ? AND s.expires_at > ?",
    )
    .bind(token_hash(&token))
    .bind(crate::now_unix())
    .fetch_optional(&state.pool)
    .await;
    match name {
        Ok(Some(name)) => page(
            StatusCode::OK,
            "Your account",
            &format!("<p>Signed in as {}</p>", escape(&name)),
        ),
        Ok(None) => not_signed_in(),
        Err(e) => internal("reading a session", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(looks_like_token(&a), "{a}");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(!looks_like_token("ABC"));
        assert!(!looks_like_token(&a.to_uppercase()));
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; first_app_session=abc; b=2"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc"));
        assert_eq!(session_token(&HeaderMap::new()), None);
    }
}

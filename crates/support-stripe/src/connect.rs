//! Stripe Connect OAuth (Standard accounts): the authorize URL an admin opens, the code
//! exchange that yields the connected account, and deauthorization.
//!
//! The flow: we build `{connect_url}/oauth/authorize?...&state=…` ([`authorize_url`]); the
//! admin approves on Stripe, which redirects the browser to our callback with `code` and the
//! same `state` (or `error=access_denied`); we check the state ourselves (it is bound to the
//! admin and the app, single use, short-lived) and only then exchange the code
//! ([`StripeConnect::exchange_code`], `POST /oauth/token`). Codes are single use and expire
//! within minutes; Stripe answers `invalid_grant` for an expired, unknown or reused one.
//! Deauthorizing (`POST /oauth/deauthorize`) revokes the platform's access to the account.
//!
//! OAuth errors have their own shape (`{"error", "error_description"}`, not the API's
//! `{"error": {...}}`); they become [`StripeError::OAuth`], which is always
//! [`crate::Outcome::Failed`]: nothing here is retried.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{StripeClient, StripeError, Verb, error_chain};

/// Stripe's OAuth host.
pub const DEFAULT_CONNECT_URL: &str = "https://connect.stripe.com";

/// What the token exchange returns (the fields we keep). The tokens are secrets: they are
/// stored sealed and never printed ([`fmt::Debug`] redacts them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedAccount {
    /// The connected account (`acct_…`): every refund runs on it via `Stripe-Account`.
    pub stripe_user_id: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub livemode: bool,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub stripe_publishable_key: Option<String>,
}

impl fmt::Debug for ConnectedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedAccount")
            .field("stripe_user_id", &self.stripe_user_id)
            .field("scope", &self.scope)
            .field("livemode", &self.livemode)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The Connect OAuth calls, behind a trait so the server can be pointed at a fake.
#[async_trait::async_trait]
pub trait StripeConnect: Send + Sync {
    /// The URL the admin opens to connect an account; `state` comes back on the callback.
    fn authorize_url(&self, state: &str, redirect_uri: &str) -> String;

    /// `POST /oauth/token` with `grant_type=authorization_code`.
    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, StripeError>;

    /// `POST /oauth/deauthorize`: revoke the platform's access to `account`.
    async fn deauthorize(&self, account: &str) -> Result<(), StripeError>;
}

/// `{connect_url}/oauth/authorize?response_type=code&client_id=…&scope=read_write&state=…&redirect_uri=…`.
pub fn authorize_url(
    connect_url: &str,
    client_id: &str,
    state: &str,
    redirect_uri: &str,
) -> String {
    let base = format!("{}/oauth/authorize", connect_url.trim_end_matches('/'));
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("scope", "read_write"),
        ("state", state),
        ("redirect_uri", redirect_uri),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    format!("{base}?{query}")
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn encode(s: &str) -> String {
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

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Deauthorized {
    stripe_user_id: String,
}

impl StripeClient {
    /// Enable the Connect OAuth calls: Stripe's OAuth host (or a fake's URL) and the
    /// platform's `ca_…` client id.
    pub fn with_connect(mut self, connect_url: &str, client_id: &str) -> Self {
        self.connect_url = connect_url.trim_end_matches('/').to_owned();
        self.client_id = client_id.to_owned();
        self
    }

    async fn oauth_post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, StripeError> {
        if self.client_id.is_empty() {
            return Err(StripeError::InvalidInput {
                message: "stripe.client_id is not configured".into(),
            });
        }
        let resp = self
            .http
            .post(format!("{}{path}", self.connect_url))
            .bearer_auth(&self.secret_key)
            .form(form)
            .send()
            .await
            .map_err(|e| self.transport(Verb::Post, &e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| StripeError::Transport {
            uncertain: true,
            message: self.scrub(&error_chain(&e)),
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|e| StripeError::Decode {
                message: format!("{status} oauth response: {e}"),
            });
        }
        if let Ok(e) = serde_json::from_str::<OAuthErrorBody>(&body) {
            return Err(StripeError::OAuth {
                error: e.error,
                description: self.scrub(&e.error_description.unwrap_or_default()),
            });
        }
        // Not the OAuth shape (a proxy, or the API's own error envelope): the usual mapping.
        Err(self.api_error(status, false, None, &body))
    }
}

#[async_trait::async_trait]
impl StripeConnect for StripeClient {
    fn authorize_url(&self, state: &str, redirect_uri: &str) -> String {
        authorize_url(&self.connect_url, &self.client_id, state, redirect_uri)
    }

    async fn exchange_code(&self, code: &str) -> Result<ConnectedAccount, StripeError> {
        if code.is_empty() || code.len() > 255 || !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StripeError::InvalidInput {
                message: "authorization code must be 1-255 printable ASCII characters".into(),
            });
        }
        let account: ConnectedAccount = self
            .oauth_post(
                "/oauth/token",
                &[("grant_type", "authorization_code"), ("code", code)],
            )
            .await?;
        if !account.stripe_user_id.starts_with("acct_") {
            return Err(StripeError::Decode {
                message: "token response has no acct_… stripe_user_id".into(),
            });
        }
        Ok(account)
    }

    async fn deauthorize(&self, account: &str) -> Result<(), StripeError> {
        crate::validate_account(account)?;
        let client_id = self.client_id.clone();
        let done: Deauthorized = self
            .oauth_post(
                "/oauth/deauthorize",
                &[("client_id", &client_id), ("stripe_user_id", account)],
            )
            .await?;
        if done.stripe_user_id != account {
            return Err(StripeError::Decode {
                message: "deauthorize answered for another account".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_encodes_every_parameter() {
        let url = authorize_url(
            "https://connect.stripe.com/",
            "ca_123",
            "st ate/+=",
            "https://support.example.com/stripe/oauth/callback?x=1",
        );
        assert_eq!(
            url,
            "https://connect.stripe.com/oauth/authorize?response_type=code&client_id=ca_123\
             &scope=read_write&state=st%20ate%2F%2B%3D\
             &redirect_uri=https%3A%2F%2Fsupport.example.com%2Fstripe%2Foauth%2Fcallback%3Fx%3D1"
        );
    }

    #[test]
    fn debug_redacts_tokens() {
        let a = ConnectedAccount {
            stripe_user_id: "acct_1".into(),
            scope: Some("read_write".into()),
            livemode: false,
            access_token: Some("sk_test_secret".into()),
            refresh_token: Some("rt_secret".into()),
            stripe_publishable_key: None,
        };
        let shown = format!("{a:?}");
        assert!(shown.contains("acct_1"));
        assert!(!shown.contains("sk_test_secret") && !shown.contains("rt_secret"));
    }
}

//! The platform's side: a signed client for an app's support route.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use support_signing::support;
use support_types::Email;
use support_types::api::ErrorBody;
use support_types::sdk::{
    ContentHit, MagicLink, RefundPolicy, RevokeResult, SdkPurchase, SdkRequest, SdkSubscription,
    SdkUser, Seat, TransferResult, error_code,
};

/// How many times a read-only method is tried in all before its last error is returned.
/// Writes are tried exactly once.
pub const READ_ATTEMPTS: u32 = 3;

/// The pause before the first resend of a read; doubled before each further one.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Answers are small JSON documents; a bigger body is refused rather than buffered.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A call to an app that did not produce the method's result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdkError {
    /// 401 or 403: the app refused the signature (wrong secret, clock skew ...). Carries the
    /// app's message, which says which.
    #[error("the app refused the request signature: {0}")]
    Unauthorized(String),
    /// 404 `not_found`: the user, purchase ... does not exist in the app.
    #[error("not found in the app: {0}")]
    NotFound(String),
    /// Any other 4xx except 409 (400 `invalid_request`, `invalid_email`, 413 ...): the app
    /// refused the request as sent.
    #[error("the app refused the request: {0}")]
    BadRequest(String),
    /// 409 `conflict`: valid, but the app's current state forbids it (e.g. transferring a
    /// refunded purchase). Resending will not help.
    #[error("the app refused the request in its current state: {0}")]
    Conflict(String),
    /// 501: the app does not implement this optional method. The optional read methods
    /// return `Ok(None)` instead.
    #[error("the app does not support this method")]
    NotSupported,
    /// 5xx (after the retries, for reads), a 404 without the contract's error body (a wrong
    /// support URL), a redirect, or another unexpected status.
    #[error("the app failed: {0}")]
    Server(String),
    /// No HTTP answer: connect error, timeout, connection reset. `uncertain` is true when a
    /// write may have reached the app and been carried out; it is false for reads and for
    /// failures before anything was sent.
    #[error("could not reach the app (uncertain: {uncertain}): {msg}")]
    Transport { uncertain: bool, msg: String },
    /// A 2xx whose body is not the method's result.
    #[error("the app's answer could not be decoded: {0}")]
    Decode(String),
}

impl SdkError {
    /// Worth resending a read for: the failure may be momentary.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Server(_) | Self::Transport { .. })
    }
}

/// The contract as the platform uses it. [`SdkClient`] implements it over HTTP; tests and
/// in-process setups substitute their own. Optional methods default to "not supported".
#[async_trait]
pub trait AppApi: Send + Sync {
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, SdkError>;

    async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, SdkError>;

    async fn revoke_access(
        &self,
        purchase_id: &str,
        reason: &str,
        refund_id: &str,
    ) -> Result<RevokeResult, SdkError>;

    async fn transfer_purchase(
        &self,
        purchase_id: &str,
        from_user_id: &str,
        to_email: &Email,
    ) -> Result<TransferResult, SdkError>;

    async fn generate_magic_link(
        &self,
        email: &Email,
        expires_in_secs: u64,
    ) -> Result<MagicLink, SdkError>;

    /// `None` when the app does not support the method.
    async fn get_subscriptions(
        &self,
        _user_id: &str,
    ) -> Result<Option<Vec<SdkSubscription>>, SdkError> {
        Ok(None)
    }

    /// [`SdkError::NotSupported`] when the app does not support the method.
    async fn update_email(&self, _user_id: &str, _new_email: &Email) -> Result<SdkUser, SdkError> {
        Err(SdkError::NotSupported)
    }

    /// [`SdkError::NotSupported`] when the app does not support the method.
    async fn update_name(&self, _user_id: &str, _name: &str) -> Result<SdkUser, SdkError> {
        Err(SdkError::NotSupported)
    }

    /// `None` when the app does not support the method.
    async fn get_claimed_seats(
        &self,
        _bulk_coupon_id: &str,
    ) -> Result<Option<Vec<Seat>>, SdkError> {
        Ok(None)
    }

    /// `None` when the app does not support the method.
    async fn search_content(&self, _query: &str) -> Result<Option<Vec<ContentHit>>, SdkError> {
        Ok(None)
    }

    /// `None` when the app does not support the method.
    async fn get_refund_policy(&self) -> Result<Option<RefundPolicy>, SdkError> {
        Ok(None)
    }
}

/// A client for one app's support route. Every request is signed with the current secret at
/// send time (so resends carry a fresh timestamp), bounded by the timeout, and never follows
/// redirects. Read-only methods are tried up to [`READ_ATTEMPTS`] times on transport errors
/// and 5xx other than 501; writes are sent once, and the caller (the action ledger) decides
/// about resending them, which the contract's idempotent writes allow.
#[derive(Clone)]
pub struct SdkClient {
    http: reqwest::Client,
    url: String,
    secret: String,
    retry_backoff: Duration,
}

impl fmt::Debug for SdkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkClient")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// Optional reads: 501 means "not supported", not failure.
fn optional<T>(result: Result<T, SdkError>) -> Result<Option<T>, SdkError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(SdkError::NotSupported) => Ok(None),
        Err(e) => Err(e),
    }
}

impl SdkClient {
    /// A client for the app's support route `url` (the full URL, e.g.
    /// `https://app.example.com/api/support`), signing with `current_secret`. `timeout`
    /// bounds each attempt (connect, send, whole response).
    ///
    /// # Errors
    ///
    /// [`SdkError::BadRequest`] for a URL that is not http(s), an empty secret or a zero
    /// timeout; [`SdkError::Transport`] if the HTTP client cannot be built.
    ///
    /// # Panics
    ///
    /// reqwest panics here if no rustls crypto provider is installed for the process (the
    /// workspace uses `rustls-no-provider`); install one at startup.
    pub fn new(url: &str, current_secret: &str, timeout: Duration) -> Result<Self, SdkError> {
        Self::with_http(Self::http_client(timeout)?, url, current_secret)
    }

    /// The HTTP client [`SdkClient::new`] builds: `timeout` per attempt, no redirects, no
    /// protocol-level resends. Build it once and hand it to [`SdkClient::with_http`] when
    /// clients are made per call (a server resolving the app's current secret each time):
    /// building one loads the trust roots, which costs milliseconds of CPU.
    ///
    /// # Errors
    ///
    /// [`SdkError::BadRequest`] for a zero timeout; [`SdkError::Transport`] if the client
    /// cannot be built.
    pub fn http_client(timeout: Duration) -> Result<reqwest::Client, SdkError> {
        if timeout.is_zero() {
            return Err(SdkError::BadRequest(
                "the timeout must be greater than 0".into(),
            ));
        }
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // Resending is decided here, per method; not even protocol-level NACKs are resent.
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SdkError::Transport {
                uncertain: false,
                msg: format!("could not build the HTTP client: {}", error_chain(&e)),
            })
    }

    /// A client over an HTTP client from [`SdkClient::http_client`] (shared, cheap to clone).
    ///
    /// # Errors
    ///
    /// [`SdkError::BadRequest`] for a URL that is not http(s) or an empty secret.
    pub fn with_http(
        http: reqwest::Client,
        url: &str,
        current_secret: &str,
    ) -> Result<Self, SdkError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| SdkError::BadRequest(format!("invalid support URL {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(SdkError::BadRequest(format!(
                "support URL {url:?} must be http:// or https://"
            )));
        }
        if current_secret.is_empty() {
            return Err(SdkError::BadRequest(
                "the signing secret must not be empty".into(),
            ));
        }
        Ok(Self {
            http,
            url: url.to_owned(),
            secret: current_secret.to_owned(),
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        })
    }

    /// Sets the pause before the first resend of a read (doubled for each further one).
    pub fn with_retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// The support route this client calls.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends any contract request and decodes the answer as `T`, with the resend rule of
    /// its method. The typed methods below are this plus the right `T`.
    pub async fn call<T: DeserializeOwned>(&self, request: &SdkRequest) -> Result<T, SdkError> {
        let method = request.method_name();
        let body = serde_json::to_vec(request)
            .map_err(|e| SdkError::BadRequest(format!("could not encode {method}: {e}")))?;
        let read_only = request.is_read_only();
        let attempts = if read_only { READ_ATTEMPTS } else { 1 };
        let mut attempt = 1;
        let raw = loop {
            match self.send_once(&body, read_only).await {
                Err(e) if attempt < attempts && e.is_transient() => {
                    let pause = self.retry_backoff.saturating_mul(1 << (attempt - 1));
                    tracing::debug!(%method, attempt, error = %e, ?pause, "support call failed; resending");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => break other?,
            }
        };
        serde_json::from_slice(&raw).map_err(|e| SdkError::Decode(format!("{method}: {e}")))
    }

    /// One signed POST; `Ok` carries a 2xx body.
    async fn send_once(&self, body: &[u8], read_only: bool) -> Result<Vec<u8>, SdkError> {
        let signature = support::header(self.secret.as_bytes(), now_unix(), body);
        let transport = |e: &reqwest::Error| {
            let before_send = e.is_connect() || e.is_builder();
            SdkError::Transport {
                uncertain: !read_only && !before_send,
                msg: error_chain(e),
            }
        };
        let mut response = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(support::HEADER, signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        let mut raw = Vec::new();
        // The status line arrived; a write whose answer we cannot read may still have run.
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
            if raw.len() + chunk.len() > MAX_RESPONSE_BYTES {
                let msg = format!("{status} response larger than {MAX_RESPONSE_BYTES} bytes");
                return Err(if (200..300).contains(&status) {
                    SdkError::Decode(msg)
                } else {
                    SdkError::Server(msg)
                });
            }
            raw.extend_from_slice(&chunk);
        }
        if (200..300).contains(&status) {
            Ok(raw)
        } else {
            Err(status_error(status, &raw))
        }
    }

    pub async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, SdkError> {
        self.call(&SdkRequest::LookupUser {
            email: email.clone(),
        })
        .await
    }

    pub async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, SdkError> {
        self.call(&SdkRequest::GetPurchases {
            user_id: user_id.to_owned(),
        })
        .await
    }

    pub async fn revoke_access(
        &self,
        purchase_id: &str,
        reason: &str,
        refund_id: &str,
    ) -> Result<RevokeResult, SdkError> {
        self.call(&SdkRequest::RevokeAccess {
            purchase_id: purchase_id.to_owned(),
            reason: reason.to_owned(),
            refund_id: refund_id.to_owned(),
        })
        .await
    }

    pub async fn transfer_purchase(
        &self,
        purchase_id: &str,
        from_user_id: &str,
        to_email: &Email,
    ) -> Result<TransferResult, SdkError> {
        self.call(&SdkRequest::TransferPurchase {
            purchase_id: purchase_id.to_owned(),
            from_user_id: from_user_id.to_owned(),
            to_email: to_email.clone(),
        })
        .await
    }

    pub async fn generate_magic_link(
        &self,
        email: &Email,
        expires_in_secs: u64,
    ) -> Result<MagicLink, SdkError> {
        self.call(&SdkRequest::GenerateMagicLink {
            email: email.clone(),
            expires_in: expires_in_secs,
        })
        .await
    }

    /// `None` when the app does not support the method.
    pub async fn get_subscriptions(
        &self,
        user_id: &str,
    ) -> Result<Option<Vec<SdkSubscription>>, SdkError> {
        optional(
            self.call(&SdkRequest::GetSubscriptions {
                user_id: user_id.to_owned(),
            })
            .await,
        )
    }

    /// [`SdkError::NotSupported`] when the app does not support the method: a write that
    /// did not happen is an error, not an empty result.
    pub async fn update_email(
        &self,
        user_id: &str,
        new_email: &Email,
    ) -> Result<SdkUser, SdkError> {
        self.call(&SdkRequest::UpdateEmail {
            user_id: user_id.to_owned(),
            new_email: new_email.clone(),
        })
        .await
    }

    /// [`SdkError::NotSupported`] when the app does not support the method.
    pub async fn update_name(&self, user_id: &str, name: &str) -> Result<SdkUser, SdkError> {
        self.call(&SdkRequest::UpdateName {
            user_id: user_id.to_owned(),
            name: name.to_owned(),
        })
        .await
    }

    /// `None` when the app does not support the method.
    pub async fn get_claimed_seats(
        &self,
        bulk_coupon_id: &str,
    ) -> Result<Option<Vec<Seat>>, SdkError> {
        optional(
            self.call(&SdkRequest::GetClaimedSeats {
                bulk_coupon_id: bulk_coupon_id.to_owned(),
            })
            .await,
        )
    }

    /// `None` when the app does not support the method.
    pub async fn search_content(&self, query: &str) -> Result<Option<Vec<ContentHit>>, SdkError> {
        optional(
            self.call(&SdkRequest::SearchContent {
                query: query.to_owned(),
            })
            .await,
        )
    }

    /// `None` when the app does not support the method.
    pub async fn get_refund_policy(&self) -> Result<Option<RefundPolicy>, SdkError> {
        optional(self.call(&SdkRequest::GetRefundPolicy).await)
    }
}

#[async_trait]
impl AppApi for SdkClient {
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, SdkError> {
        SdkClient::lookup_user(self, email).await
    }

    async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, SdkError> {
        SdkClient::get_purchases(self, user_id).await
    }

    async fn revoke_access(
        &self,
        purchase_id: &str,
        reason: &str,
        refund_id: &str,
    ) -> Result<RevokeResult, SdkError> {
        SdkClient::revoke_access(self, purchase_id, reason, refund_id).await
    }

    async fn transfer_purchase(
        &self,
        purchase_id: &str,
        from_user_id: &str,
        to_email: &Email,
    ) -> Result<TransferResult, SdkError> {
        SdkClient::transfer_purchase(self, purchase_id, from_user_id, to_email).await
    }

    async fn generate_magic_link(
        &self,
        email: &Email,
        expires_in_secs: u64,
    ) -> Result<MagicLink, SdkError> {
        SdkClient::generate_magic_link(self, email, expires_in_secs).await
    }

    async fn get_subscriptions(
        &self,
        user_id: &str,
    ) -> Result<Option<Vec<SdkSubscription>>, SdkError> {
        SdkClient::get_subscriptions(self, user_id).await
    }

    async fn update_email(&self, user_id: &str, new_email: &Email) -> Result<SdkUser, SdkError> {
        SdkClient::update_email(self, user_id, new_email).await
    }

    async fn update_name(&self, user_id: &str, name: &str) -> Result<SdkUser, SdkError> {
        SdkClient::update_name(self, user_id, name).await
    }

    async fn get_claimed_seats(&self, bulk_coupon_id: &str) -> Result<Option<Vec<Seat>>, SdkError> {
        SdkClient::get_claimed_seats(self, bulk_coupon_id).await
    }

    async fn search_content(&self, query: &str) -> Result<Option<Vec<ContentHit>>, SdkError> {
        SdkClient::search_content(self, query).await
    }

    async fn get_refund_policy(&self) -> Result<Option<RefundPolicy>, SdkError> {
        SdkClient::get_refund_policy(self).await
    }
}

/// Maps a non-2xx answer. Only a 404 carrying the contract's `not_found` body means "no such
/// record": a bare 404 means the URL is not a support route at all.
fn status_error(status: u16, raw: &[u8]) -> SdkError {
    let parsed = serde_json::from_slice::<ErrorBody>(raw).ok();
    let message = match &parsed {
        Some(body) => format!("{}: {}", body.error, body.message),
        None => {
            let text: String = String::from_utf8_lossy(raw).chars().take(200).collect();
            format!("HTTP {status}: {text}")
        }
    };
    match status {
        401 | 403 => SdkError::Unauthorized(message),
        404 if parsed
            .as_ref()
            .is_some_and(|b| b.error == error_code::NOT_FOUND) =>
        {
            SdkError::NotFound(message)
        }
        404 => SdkError::Server(format!(
            "the support URL answered 404 without a contract error body (wrong URL?): {message}"
        )),
        409 => SdkError::Conflict(message),
        501 => SdkError::NotSupported,
        400..=499 => SdkError::BadRequest(message),
        300..=399 => SdkError::Server(format!(
            "the support URL redirected ({status}); configure the final URL"
        )),
        _ => SdkError::Server(message),
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_errors() {
        let body = |code: &str| format!(r#"{{"error":"{code}","message":"m"}}"#).into_bytes();
        assert_eq!(
            status_error(404, &body("not_found")),
            SdkError::NotFound("not_found: m".into())
        );
        assert!(matches!(status_error(404, b""), SdkError::Server(_)));
        assert!(matches!(
            status_error(401, &body("invalid_signature")),
            SdkError::Unauthorized(_)
        ));
        assert!(matches!(
            status_error(409, &body("conflict")),
            SdkError::Conflict(_)
        ));
        assert_eq!(
            status_error(501, &body("not_implemented")),
            SdkError::NotSupported
        );
        assert!(matches!(
            status_error(413, &body("body_too_large")),
            SdkError::BadRequest(_)
        ));
        assert!(matches!(status_error(302, b""), SdkError::Server(_)));
        assert!(matches!(status_error(503, b"busy"), SdkError::Server(m) if m.contains("busy")));
        assert!(SdkError::Server(String::new()).is_transient());
        assert!(!SdkError::NotSupported.is_transient());
    }
}

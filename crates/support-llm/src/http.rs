//! The HTTP plumbing both clients share: one reqwest client per LLM client, a per-attempt
//! timeout, and the retry loop (exponential backoff with jitter, `Retry-After` honoured up to
//! a cap). Provider code only builds the body and headers and decodes the answer.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use crate::config::{ApiKey, LlmConfig};
use crate::error::{LlmError, truncate};

/// Largest response body a client reads.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// When and how often a transient failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff before the first retry; doubles for each further one.
    pub base_delay: Duration,
    /// Ceiling on the computed backoff.
    pub max_delay: Duration,
    /// Ceiling on a provider's `Retry-After`, so one 429 cannot stall a workflow step.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: crate::config::DEFAULT_MAX_RETRIES,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): the provider's `Retry-After` when it
    /// sent one (capped), else `base_delay * 2^(retry-1)` capped at `max_delay`, with "equal
    /// jitter" (a random point in the upper half) so parallel workers do not retry in step.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        let half = exp / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }
}

/// One provider endpoint: URL, fixed headers (auth included), timeout, retry policy.
pub(crate) struct Transport {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    key: Option<ApiKey>,
    pub(crate) retry: RetryPolicy,
}

/// A 2xx body and how many attempts it took.
pub(crate) struct Success {
    pub(crate) body: String,
    pub(crate) status: u16,
    pub(crate) attempts: u32,
}

impl Transport {
    /// `url` is the full endpoint; `auth` is the header carrying the key, if one is set.
    pub(crate) fn new(
        config: &LlmConfig,
        url: String,
        mut headers: HeaderMap,
        auth: Option<(&'static str, String)>,
    ) -> Result<Self, LlmError> {
        config.check()?;
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(LlmError::Config(
                "no rustls crypto provider is installed for this process; call \
                 rustls::crypto::ring::default_provider().install_default() at startup"
                    .to_owned(),
            ));
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some((name, value)) = auth {
            let mut v = HeaderValue::from_str(&value)
                .map_err(|_| LlmError::Config("api_key is not a valid header value".into()))?;
            // Keeps the key out of reqwest/hyper debug output.
            v.set_sensitive(true);
            headers.insert(name, v);
        }
        let timeout = config.timeout();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // The retry loop below owns retries (and counts them for the journal).
            .retry(reqwest::retry::never())
            // A redirect could carry the key to another host; providers never redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| LlmError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            url,
            headers,
            key: config.api_key.clone(),
            retry: config.retry_policy(),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Never let the key into an error message.
    fn scrub(&self, text: &str) -> String {
        match &self.key {
            Some(k) if !k.expose().is_empty() => text.replace(k.expose(), "[redacted]"),
            _ => text.to_owned(),
        }
    }

    /// POST `body`, retrying transient failures. Non-2xx answers become errors through
    /// [`status_error`]; a transient error still failing after the last retry comes back
    /// as [`LlmError::RetriesExhausted`].
    pub(crate) async fn post(&self, body: &Value) -> Result<Success, LlmError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| LlmError::InvalidRequest(format!("could not encode the body: {e}")))?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let err = match self.once(bytes.clone()).await {
                Ok((status, body)) => {
                    return Ok(Success {
                        body,
                        status,
                        attempts: attempt,
                    });
                }
                Err(e) => e,
            };
            if !err.is_transient() {
                return Err(err);
            }
            if attempt > self.retry.max_retries {
                return Err(LlmError::RetriesExhausted {
                    attempts: attempt,
                    last: Box::new(err),
                });
            }
            let wait = self.retry.delay(attempt, err.retry_after());
            tracing::warn!(
                url = %self.url, attempt, error = %err, wait_ms = wait.as_millis() as u64,
                "LLM request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, body: Vec<u8>) -> Result<(u16, String), LlmError> {
        let resp = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let text = self.read_capped(resp).await?;
        if (200..300).contains(&status) {
            return Ok((status, text));
        }
        Err(status_error(status, retry_after, &self.scrub(&text)))
    }

    /// The body as text, refusing more than [`MAX_RESPONSE_BYTES`] (a completion is a few KB;
    /// anything huge is a misbehaving server, not worth holding in memory).
    async fn read_capped(&self, mut resp: reqwest::Response) -> Result<String, LlmError> {
        let too_big = || {
            LlmError::Decode(format!(
                "response body larger than {MAX_RESPONSE_BYTES} bytes"
            ))
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_big());
        }
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(&e))? {
            if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_big());
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn transport_error(&self, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            LlmError::Timeout
        } else {
            LlmError::Network(self.scrub(&truncate(&error_chain(e))))
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

/// `Retry-After` as delta-seconds (integer or decimal). The HTTP-date form is ignored: the
/// providers send seconds, and a date would need a clock we do not trust across hosts.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)?;
    Some(Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The error type and message from a provider error body. Anthropic sends
/// `{"type":"error","error":{"type","message"}}`, OpenAI `{"error":{"message","type","code"}}`,
/// some OpenAI-compatible servers `{"error":"text"}`; anything else keeps the start of the
/// body as the message.
pub(crate) fn error_fields(body: &str) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let str_at = |v: Option<&Value>, k: &str| {
        v.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let kind = str_at(err, "type")
        .or_else(|| str_at(err, "code"))
        .unwrap_or_else(|| "unknown".to_owned());
    let message = match err {
        Some(Value::String(s)) => s.clone(),
        _ => str_at(err, "message").unwrap_or_else(|| body.to_owned()),
    };
    (truncate(&kind), truncate(&message))
}

/// Map a non-2xx answer to its error (the body is already scrubbed of the key).
pub(crate) fn status_error(status: u16, retry_after: Option<Duration>, body: &str) -> LlmError {
    let (kind, message) = error_fields(body);
    match status {
        429 => LlmError::RateLimited {
            retry_after,
            message,
        },
        500..=599 => LlmError::Server { status, message },
        _ => LlmError::Api {
            status,
            kind,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(2),
        };
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = p.delay(3, None);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d9 = p.delay(9, None);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(600))),
            Duration::from_secs(2)
        );
        // Huge retry numbers saturate instead of overflowing.
        assert!(p.delay(u32::MAX, None) <= Duration::from_millis(1000));
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after", HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_bodies_of_both_providers() {
        let e = status_error(
            529,
            None,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(
            e,
            LlmError::Server {
                status: 529,
                message: "Overloaded".into()
            }
        );
        let e = status_error(
            400,
            None,
            r#"{"error":{"message":"bad tools","type":"invalid_request_error","param":null,"code":null}}"#,
        );
        assert_eq!(
            e,
            LlmError::Api {
                status: 400,
                kind: "invalid_request_error".into(),
                message: "bad tools".into()
            }
        );
        let e = status_error(404, None, r#"{"error":"model 'x' not found"}"#);
        assert_eq!(
            e,
            LlmError::Api {
                status: 404,
                kind: "unknown".into(),
                message: "model 'x' not found".into()
            }
        );
        let e = status_error(
            429,
            Some(Duration::from_secs(2)),
            &"<html>slow down</html>".repeat(100),
        );
        match e {
            LlmError::RateLimited {
                retry_after,
                message,
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(2)));
                assert!(message.starts_with("<html>slow down"));
                assert!(message.chars().count() <= crate::error::MAX_MESSAGE_CHARS + 1);
            }
            other => panic!("{other:?}"),
        }
    }
}

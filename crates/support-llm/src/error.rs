//! [`LlmError`]: every way a completion can fail, split so the caller can tell "try again
//! later" ([`LlmError::is_transient`]) from "this request or config is wrong".

use std::time::Duration;

/// A failed completion. Messages never contain the API key or the request body: provider
/// error messages are truncated and scrubbed of the key before they land here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The request did not complete within the configured timeout.
    #[error("the LLM request timed out")]
    Timeout,
    /// No usable HTTP response (connect refused, reset, TLS failure …).
    #[error("network error talking to the LLM provider: {0}")]
    Network(String),
    /// 429 from the provider.
    #[error("the LLM provider rate limited the request (retry after {retry_after:?}): {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 5xx from the provider (529 is Anthropic's "overloaded").
    #[error("the LLM provider answered {status}: {message}")]
    Server { status: u16, message: String },
    /// Any other non-2xx: the request, the key or the account is wrong. Not retried.
    #[error("the LLM provider rejected the request ({status}, {kind}): {message}")]
    Api {
        status: u16,
        /// The provider's error type (`invalid_request_error`, `authentication_error` …).
        kind: String,
        message: String,
    },
    /// A 2xx whose body is not the documented shape.
    #[error("could not decode the LLM response: {0}")]
    Decode(String),
    /// A tool call whose arguments are not a JSON object (OpenAI sends them as a string the
    /// model wrote, which can be cut off or invalid).
    #[error("tool call {tool_call_id} ({name}) has malformed arguments: {reason}")]
    MalformedToolArguments {
        tool_call_id: String,
        name: String,
        reason: String,
    },
    /// A transient failure ([`LlmError::is_transient`]) that was still failing after
    /// `attempts` tries.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: Box<LlmError> },
    /// Refused before sending (see [`crate::ChatRequest::check`]).
    #[error("invalid LLM request: {0}")]
    InvalidRequest(String),
    /// The client could not be built from its configuration.
    #[error("invalid LLM configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Worth sending again: timeouts, network errors, 429 and 500/502/503/504/529.
    pub fn is_transient(&self) -> bool {
        match self {
            LlmError::Timeout | LlmError::Network(_) | LlmError::RateLimited { .. } => true,
            LlmError::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504 | 529),
            LlmError::RetriesExhausted { .. } => true,
            _ => false,
        }
    }

    /// The underlying error: the last one for [`LlmError::RetriesExhausted`], else `self`.
    pub fn root(&self) -> &LlmError {
        match self {
            LlmError::RetriesExhausted { last, .. } => last.root(),
            other => other,
        }
    }

    /// HTTP attempts behind this error, for the journal: exact for
    /// [`LlmError::RetriesExhausted`], 0 when nothing was sent, otherwise 1 (a lower bound:
    /// a non-transient error that follows retried transient ones is returned as itself).
    pub fn attempts(&self) -> u32 {
        match self {
            LlmError::RetriesExhausted { attempts, .. } => *attempts,
            LlmError::InvalidRequest(_) | LlmError::Config(_) => 0,
            _ => 1,
        }
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Longest provider message kept in an error.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;

/// At most [`MAX_MESSAGE_CHARS`] characters of `s`, with an ellipsis when cut.
pub(crate) fn truncate(s: &str) -> String {
    let s = s.trim();
    let mut out: String = s.chars().take(MAX_MESSAGE_CHARS).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_classification() {
        assert!(LlmError::Timeout.is_transient());
        assert!(LlmError::Network("reset".into()).is_transient());
        for s in [500, 502, 503, 504, 529] {
            assert!(
                LlmError::Server {
                    status: s,
                    message: String::new()
                }
                .is_transient(),
                "{s}"
            );
        }
        assert!(
            !LlmError::Server {
                status: 501,
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            !LlmError::Api {
                status: 400,
                kind: "invalid_request_error".into(),
                message: String::new()
            }
            .is_transient()
        );
        assert!(!LlmError::Decode("x".into()).is_transient());
    }

    #[test]
    fn root_and_attempts_see_through_retries() {
        let e = LlmError::RetriesExhausted {
            attempts: 3,
            last: Box::new(LlmError::Timeout),
        };
        assert_eq!(e.root(), &LlmError::Timeout);
        assert_eq!(e.attempts(), 3);
        assert_eq!(LlmError::Timeout.attempts(), 1);
        assert_eq!(LlmError::InvalidRequest("x".into()).attempts(), 0);
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("  short "), "short");
        let long = "é".repeat(MAX_MESSAGE_CHARS + 10);
        let t = truncate(&long);
        assert_eq!(t.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(
            truncate(&"a".repeat(MAX_MESSAGE_CHARS)).len(),
            MAX_MESSAGE_CHARS
        );
    }
}

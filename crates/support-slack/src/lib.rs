//! Slack, where humans approve or reject the actions the agent proposes. This crate holds the
//! few Web API methods the platform calls (`chat.postMessage`, `chat.update`, `views.open`,
//! `auth.test`) behind the [`SlackApi`] trait, so tests and the sandbox point it at
//! `support_fakes::FakeSlack`, and the Block Kit for an approval request ([`approval_blocks`],
//! [`outcome_blocks`]).
//!
//! Every call is a `POST {base_url}/{method}` with a JSON body and
//! `Authorization: Bearer <bot token>`; `base_url` is `https://slack.com/api` in production or
//! the fake's `<url>/api`. Slack answers HTTP 200 with `{"ok":false,"error":"…"}` for API
//! errors ([`SlackError::Api`]) and HTTP 429 with `Retry-After` when rate limited
//! ([`SlackError::RateLimited`]). The client never retries on its own.
//!
//! The workspace builds reqwest with `rustls-no-provider`: install a rustls crypto provider
//! before calling [`SlackClient::new`].

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

mod blocks;

pub use blocks::{
    APPROVE_ACTION_ID, ApprovalCard, OPEN_IN_FRONT_ACTION_ID, REJECT_ACTION_ID, approval_blocks,
    approval_fallback_text, decided_blocks, escape_mrkdwn, outcome_blocks,
};

/// Slack `error` codes that mean "try again later" rather than "this request is wrong".
const TRANSIENT_API_ERRORS: &[&str] = &[
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// A Slack call that did not produce the expected answer. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// `{"ok":false,"error":"…"}`: `channel_not_found`, `invalid_auth`, `not_authed`,
    /// `message_not_found`, `invalid_blocks`, `expired_trigger_id` …
    #[error("slack api error: {error}")]
    Api { error: String },
    /// HTTP 429; `retry_after` is Slack's `Retry-After`.
    #[error("slack rate limited the request (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// Any other non-200 HTTP answer (Slack's own trouble, a proxy, a wrong base URL).
    #[error("slack answered {status}: {message}")]
    Status { status: u16, message: String },
    /// No usable HTTP response (connect error, timeout, dropped connection).
    #[error("slack request failed: {0}")]
    Transport(String),
    /// A 200 whose body was not what Slack documents.
    #[error("slack sent an unexpected body: {0}")]
    Decode(String),
}

impl SlackError {
    /// Worth retrying later: transport trouble, 429, 5xx and Slack's transient error codes
    /// (`ratelimited`, `internal_error`, `fatal_error`, `service_unavailable`,
    /// `request_timeout`). Everything else needs a change before it can succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SlackError::Transport(_) | SlackError::RateLimited { .. } => true,
            SlackError::Status { status, .. } => *status >= 500 || *status == 408,
            SlackError::Api { error } => TRANSIENT_API_ERRORS.contains(&error.as_str()),
            SlackError::Decode(_) => false,
        }
    }

    /// Slack's `error` code for [`SlackError::Api`].
    pub fn api_error(&self) -> Option<&str> {
        match self {
            SlackError::Api { error } => Some(error),
            _ => None,
        }
    }

    /// How long Slack asked us to wait, for [`SlackError::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SlackError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// Where a message lives: its channel id and `ts` (its id within the channel), which
/// `chat.update` needs later.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PostedMessage {
    pub channel: String,
    pub ts: String,
}

/// What `auth.test` says about the token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthInfo {
    pub team_id: String,
    pub user_id: String,
    /// Present for bot tokens.
    #[serde(default)]
    pub bot_id: Option<String>,
}

/// The Slack Web API calls the platform makes.
#[async_trait::async_trait]
pub trait SlackApi: Send + Sync {
    /// `chat.postMessage`. `text` is the notification / fallback text when `blocks` is set.
    async fn post_message(
        &self,
        channel: &str,
        text: &str,
        blocks: Option<Value>,
    ) -> Result<PostedMessage, SlackError>;

    /// `chat.update`: replace the text (and the blocks, when given) of message `ts`.
    async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        text: &str,
        blocks: Option<Value>,
    ) -> Result<PostedMessage, SlackError>;

    /// `views.open`: open a modal for an interaction's `trigger_id`; returns the view id.
    async fn open_view(&self, trigger_id: &str, view: Value) -> Result<String, SlackError>;

    /// `chat.postEphemeral`: a message only `user` sees in `channel`.
    async fn post_ephemeral(&self, channel: &str, user: &str, text: &str)
    -> Result<(), SlackError>;

    /// `auth.test`: check the token and learn the workspace and bot ids.
    async fn auth_test(&self) -> Result<AuthInfo, SlackError>;
}

/// The real client.
pub struct SlackClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackClient")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl SlackClient {
    /// `base_url` is `https://slack.com/api` (or the fake's `<url>/api`); `timeout` bounds
    /// each whole request.
    pub fn new(base_url: &str, bot_token: &str, timeout: Duration) -> Result<Self, SlackError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: bot_token.to_owned(),
        })
    }

    /// POST `args` as JSON to `{base_url}/{method}` and decode the `ok:true` body.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        args: Map<String, Value>,
    ) -> Result<T, SlackError> {
        let body = serde_json::to_vec(&Value::Object(args))
            .map_err(|e| SlackError::Decode(e.to_string()))?;
        let mut req = self
            .http
            .post(format!("{}/{method}", self.base_url))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body);
        // No header at all for an empty token, so Slack says `not_authed`.
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        if status == 429 {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| Duration::from_secs_f64(v.min(86_400.0)));
            return Err(SlackError::RateLimited { retry_after });
        }
        let text = resp
            .text()
            .await
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        let parsed = serde_json::from_str::<Value>(&text);
        if status != 200 {
            let message = parsed
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(SlackError::Status { status, message });
        }
        let value = parsed.map_err(|e| SlackError::Decode(e.to_string()))?;
        match value.get("ok").and_then(Value::as_bool) {
            Some(true) => {
                serde_json::from_value(value).map_err(|e| SlackError::Decode(e.to_string()))
            }
            Some(false) => Err(SlackError::Api {
                error: value
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error")
                    .to_owned(),
            }),
            None => Err(SlackError::Decode(format!(
                "{method} answered without an `ok` field"
            ))),
        }
    }
}

#[derive(Deserialize)]
struct OpenedView {
    view: ViewId,
}

#[derive(Deserialize)]
struct ViewId {
    id: String,
}

fn message_args(channel: &str, text: &str, blocks: Option<Value>) -> Map<String, Value> {
    let mut args = Map::new();
    args.insert("channel".into(), json!(channel));
    args.insert("text".into(), json!(text));
    if let Some(b) = blocks {
        args.insert("blocks".into(), b);
    }
    args
}

#[async_trait::async_trait]
impl SlackApi for SlackClient {
    async fn post_message(
        &self,
        channel: &str,
        text: &str,
        blocks: Option<Value>,
    ) -> Result<PostedMessage, SlackError> {
        self.call("chat.postMessage", message_args(channel, text, blocks))
            .await
    }

    async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        text: &str,
        blocks: Option<Value>,
    ) -> Result<PostedMessage, SlackError> {
        let mut args = message_args(channel, text, blocks);
        args.insert("ts".into(), json!(ts));
        self.call("chat.update", args).await
    }

    async fn open_view(&self, trigger_id: &str, view: Value) -> Result<String, SlackError> {
        let mut args = Map::new();
        args.insert("trigger_id".into(), json!(trigger_id));
        args.insert("view".into(), view);
        let opened: OpenedView = self.call("views.open", args).await?;
        Ok(opened.view.id)
    }

    async fn auth_test(&self) -> Result<AuthInfo, SlackError> {
        self.call("auth.test", Map::new()).await
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        text: &str,
    ) -> Result<(), SlackError> {
        let mut args = message_args(channel, text, None);
        args.insert("user".into(), json!(user));
        let _: Value = self.call("chat.postEphemeral", args).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors() {
        assert!(SlackError::Transport("x".into()).is_transient());
        assert!(SlackError::RateLimited { retry_after: None }.is_transient());
        assert!(
            SlackError::Status {
                status: 503,
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            !SlackError::Status {
                status: 404,
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            SlackError::Api {
                error: "internal_error".into()
            }
            .is_transient()
        );
        assert!(
            !SlackError::Api {
                error: "channel_not_found".into()
            }
            .is_transient()
        );
        assert!(!SlackError::Decode("x".into()).is_transient());
    }
}

//! Front, the helpdesk that owns conversations. This crate holds the parts of Front's Core
//! API the platform calls (behind the [`FrontApi`] trait so tests and the sandbox point it at
//! a local fake) and the application-webhook event shape.
//!
//! Front's webhooks carry a *preview* of the message (`blurb`), not its body, so the platform
//! fetches the message before acting on it.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    #[error("front request failed: {0}")]
    Transport(String),
    #[error("front answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("front sent an unexpected body: {0}")]
    Decode(String),
}

impl FrontError {
    /// Worth retrying later (network trouble, rate limit, Front's own errors).
    pub fn is_transient(&self) -> bool {
        match self {
            FrontError::Transport(_) => true,
            FrontError::Status { status, .. } => *status == 429 || *status >= 500,
            FrontError::Decode(_) => false,
        }
    }
}

/// A message as `GET /messages/{id}` returns it (the fields we use).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FrontMessage {
    pub id: String,
    #[serde(default)]
    pub is_inbound: bool,
    #[serde(default)]
    pub created_at: f64,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub blurb: Option<String>,
    /// HTML body.
    #[serde(default)]
    pub body: Option<String>,
    /// Plain-text body.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Recipient {
    pub handle: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub name: Option<String>,
}

impl FrontMessage {
    /// The sender's handle (`role == "from"`).
    pub fn from_handle(&self) -> Option<&str> {
        self.recipients
            .iter()
            .find(|r| r.role == "from")
            .map(|r| r.handle.as_str())
    }
}

/// An application webhook event (the fields we route on). `source.data` is an array of
/// inboxes for inbound messages but an object for rule or teammate sources, so it is kept
/// as raw JSON and read through [`WebhookEvent::inbox_ids`].
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub emitted_at: f64,
    #[serde(default)]
    pub conversation: Option<EventConversation>,
    #[serde(default)]
    pub source: Option<EventPart>,
    #[serde(default)]
    pub target: Option<EventPart>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventConversation {
    pub id: String,
    #[serde(default)]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventPart {
    #[serde(rename = "_meta", default)]
    pub meta: Option<EventMeta>,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventMeta {
    #[serde(rename = "type")]
    pub kind: String,
}

impl WebhookEvent {
    /// Inbox ids from `source.data`, whether Front sent an array or a single object.
    pub fn inbox_ids(&self) -> Vec<String> {
        let Some(src) = &self.source else {
            return Vec::new();
        };
        let one = |v: &serde_json::Value| v.get("id").and_then(|i| i.as_str()).map(str::to_owned);
        match &src.data {
            serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
            obj @ serde_json::Value::Object(_)
                if src.meta.as_ref().is_some_and(|m| m.kind == "inboxes") =>
            {
                one(obj).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    /// The message id when the target is a message.
    pub fn message_id(&self) -> Option<String> {
        let t = self.target.as_ref()?;
        if t.meta.as_ref().is_some_and(|m| m.kind != "message") {
            return None;
        }
        t.data.get("id")?.as_str().map(str::to_owned)
    }

    /// Emission time in milliseconds (Front sends seconds, sometimes fractional).
    pub fn emitted_at_ms(&self) -> i64 {
        (self.emitted_at * 1000.0) as i64
    }
}

/// The Front Core API calls the platform makes.
#[async_trait::async_trait]
pub trait FrontApi: Send + Sync {
    async fn get_message(&self, message_id: &str) -> Result<FrontMessage, FrontError>;
}

/// The real client: bearer token, base URL from config (Front's is `https://api2.frontapp.com`).
pub struct FrontClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl FrontClient {
    pub fn new(base_url: &str, token: &str) -> Result<Self, FrontError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| FrontError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }
}

#[async_trait::async_trait]
impl FrontApi for FrontClient {
    async fn get_message(&self, message_id: &str) -> Result<FrontMessage, FrontError> {
        if message_id.is_empty()
            || !message_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(FrontError::Decode(format!(
                "invalid message id {message_id:?}"
            )));
        }
        let resp = self
            .http
            .get(format!("{}/messages/{message_id}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| FrontError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .text()
            .await
            .map_err(|e| FrontError::Transport(e.to_string()))?;
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["_error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| body.chars().take(200).collect());
            return Err(FrontError::Status { status, message });
        }
        serde_json::from_str(&body).map_err(|e| FrontError::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_ids_from_array_or_object() {
        let arr: WebhookEvent = serde_json::from_value(serde_json::json!({
            "id": "evt_1", "type": "inbound", "emitted_at": 1767225600.5,
            "source": {"_meta": {"type": "inboxes"}, "data": [{"id": "inb_a"}, {"id": "inb_b"}]},
            "target": {"_meta": {"type": "message"}, "data": {"id": "msg_1", "blurb": "hi"}}
        }))
        .unwrap();
        assert_eq!(arr.inbox_ids(), ["inb_a", "inb_b"]);
        assert_eq!(arr.message_id().as_deref(), Some("msg_1"));
        assert_eq!(arr.emitted_at_ms(), 1_767_225_600_500);

        let rule: WebhookEvent = serde_json::from_value(serde_json::json!({
            "id": "evt_2", "type": "tag",
            "source": {"_meta": {"type": "rule"}, "data": {"id": "rul_1"}},
            "target": {"_meta": {"type": "tag"}, "data": {"id": "tag_1"}}
        }))
        .unwrap();
        assert!(rule.inbox_ids().is_empty());
        assert_eq!(rule.message_id(), None);
    }
}

//! Front, the helpdesk that owns conversations. This crate holds the parts of Front's Core
//! API the platform calls (behind the [`FrontApi`] trait so tests and the sandbox point it at
//! a local fake) and the application-webhook event shape.
//!
//! Front's webhooks carry a *preview* of the message (`blurb`), not its body, so the platform
//! fetches the message before acting on it.
//!
//! Calls: messages and conversations (read), channels (to pick a draft's `channel_id`, see
//! [`pick_channel`]), drafts, replies, tags, comments and conversation events. Ids are checked
//! before a URL is built; 429s are retried for reads only (see [`FrontClient`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

mod client;

pub use client::{FrontClient, MAX_RATE_LIMIT_WAIT, MAX_READ_RETRIES};

/// A Front call that did not produce the expected answer. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    /// No usable HTTP response (connect error, timeout, dropped connection). For a write this
    /// does not say whether Front applied it.
    #[error("front request failed: {0}")]
    Transport(String),
    /// A non-2xx answer other than 429; `message` is Front's `_error.message` when the body
    /// has one. A 301 (merged conversation) lands here too, with the new location.
    #[error("front answered {status}: {message}")]
    Status { status: u16, message: String },
    /// A 2xx answer whose body was not what Front documents.
    #[error("front sent an unexpected body: {0}")]
    Decode(String),
    /// Refused by this client before anything was sent (bad id, empty body …).
    #[error("invalid front request: {0}")]
    Invalid(String),
    /// HTTP 429. Reads are retried inside the client first; writes come back at once so the
    /// workflow decides when to send again. `retry_after` is Front's `Retry-After` (or, if
    /// that is missing, the time until `X-RateLimit-Reset`), uncapped.
    #[error("front rate limited the request (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
}

impl FrontError {
    /// Worth retrying later (network trouble, rate limit, Front's own errors). Invalid input,
    /// undecodable bodies and 4xx answers are not.
    pub fn is_transient(&self) -> bool {
        match self {
            FrontError::Transport(_) | FrontError::RateLimited { .. } => true,
            FrontError::Status { status, .. } => *status == 429 || *status >= 500,
            FrontError::Decode(_) | FrontError::Invalid(_) => false,
        }
    }

    /// How long Front asked us to wait, for [`FrontError::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FrontError::RateLimited { retry_after } => *retry_after,
            _ => None,
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

    /// The sender's display name, as the sender wrote it (untrusted text).
    pub fn from_name(&self) -> Option<&str> {
        self.recipients
            .iter()
            .find(|r| r.role == "from")
            .and_then(|r| r.name.as_deref())
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

/// A conversation as `GET /conversations/{id}` returns it (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontConversation {
    /// `cnv_…`.
    pub id: String,
    pub subject: String,
    /// `unassigned`, `assigned`, `archived` or `deleted`.
    pub status: String,
    /// The main recipient's handle (`recipient.handle`), usually the customer's address.
    pub recipient_handle: Option<String>,
    /// Inbox ids, only when the response carries them (`inbox_id` or `inboxes[].id`).
    /// Front's documented `ConversationResponse` has neither, so this is usually empty: take
    /// the inbox from the webhook event ([`WebhookEvent::inbox_ids`]) instead.
    pub inbox_ids: Vec<String>,
    /// Tags currently on the conversation.
    pub tags: Vec<FrontTag>,
}

impl FrontConversation {
    /// The ids of [`FrontConversation::tags`].
    pub fn tag_ids(&self) -> Vec<&str> {
        self.tags.iter().map(|t| t.id.as_str()).collect()
    }
}

/// A tag on a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontTag {
    /// `tag_…`.
    pub id: String,
    pub name: String,
}

/// A channel as `GET /channels` lists it: what a draft or reply is sent from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontChannel {
    /// `cha_…`.
    pub id: String,
    /// The inbox the channel belongs to, read from `_links.related.inbox`.
    pub inbox_id: Option<String>,
    /// Front's channel `type` (`smtp`, `gmail`, `custom`, …).
    pub kind: String,
    /// Address receiving the messages (an email address for email channels).
    pub address: Option<String>,
    pub name: Option<String>,
}

/// The channel a draft for a conversation should go out on: the first channel of one of
/// `inbox_ids` (from the webhook event), else the first whose address is one of `addresses`
/// (compared case-insensitively; e.g. the `to` handles of the inbound message).
pub fn pick_channel<'a, S: AsRef<str>>(
    channels: &'a [FrontChannel],
    inbox_ids: &[S],
    addresses: &[S],
) -> Option<&'a FrontChannel> {
    channels
        .iter()
        .find(|c| {
            c.inbox_id
                .as_deref()
                .is_some_and(|i| inbox_ids.iter().any(|x| x.as_ref() == i))
        })
        .or_else(|| {
            channels.iter().find(|c| {
                c.address
                    .as_deref()
                    .is_some_and(|a| addresses.iter().any(|x| x.as_ref().eq_ignore_ascii_case(a)))
            })
        })
}

/// Body of `POST /conversations/{id}/drafts` (Front's `ReplyDraft`, the fields we send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftRequest {
    /// HTML (or plain text) body.
    pub body: String,
    /// `cha_…` the draft will be sent from (required by Front).
    pub channel_id: String,
    /// Recipient handles; Front defaults to the conversation's recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// Teammate (`tea_…` or a resource alias) the draft is created for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
}

/// A draft Front created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontDraft {
    /// The draft's `msg_…` id.
    pub id: String,
    /// Version for optimistic concurrency when editing or deleting the draft.
    pub version: Option<String>,
}

/// Body of `POST /conversations/{id}/messages` (Front's `OutboundReplyMessage`, the fields we
/// send). Front archives the conversation on send (its `options.archive` default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyRequest {
    pub body: String,
    /// `cha_…` to send from; Front defaults to the conversation's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Recipient handles; Front defaults to the conversation's recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
}

/// One entry of `GET /conversations/{id}/events` (newest first, as Front lists them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FrontEventSummary {
    /// `evt_…`.
    pub id: String,
    /// Front's event `type` (`inbound`, `out_reply`, `tag`, `comment`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    #[serde(default)]
    pub emitted_at: f64,
}

/// The Front Core API calls the platform makes. Ids are checked (`cnv_…`, `cha_…`, `tag_…`)
/// before any request is built; a bad one is [`FrontError::Invalid`].
#[async_trait::async_trait]
pub trait FrontApi: Send + Sync {
    /// `GET /messages/{id}`; `id` is a `msg_…` id or `alt:uid:<message_uid>`.
    async fn get_message(&self, message_id: &str) -> Result<FrontMessage, FrontError>;

    /// `GET /conversations/{id}`.
    async fn get_conversation(
        &self,
        conversation_id: &str,
    ) -> Result<FrontConversation, FrontError>;

    /// `GET /channels`: every channel the token can see, to pick a draft's `channel_id`.
    async fn list_channels(&self) -> Result<Vec<FrontChannel>, FrontError>;

    /// `POST /conversations/{id}/drafts`.
    async fn create_draft(
        &self,
        conversation_id: &str,
        draft: &DraftRequest,
    ) -> Result<FrontDraft, FrontError>;

    /// `POST /conversations/{id}/messages`; Front answers 202 and this returns the
    /// `message_uid` (fetch the message with `get_message("alt:uid:<uid>")`).
    async fn reply(
        &self,
        conversation_id: &str,
        reply: &ReplyRequest,
    ) -> Result<String, FrontError>;

    /// `POST /conversations/{id}/tags`. An empty list sends nothing.
    async fn add_tags(&self, conversation_id: &str, tag_ids: &[String]) -> Result<(), FrontError>;

    /// `DELETE /conversations/{id}/tags`. An empty list sends nothing.
    async fn remove_tags(
        &self,
        conversation_id: &str,
        tag_ids: &[String],
    ) -> Result<(), FrontError>;

    /// `POST /conversations/{id}/comments` (an internal note); returns the `com_…` id.
    async fn add_comment(&self, conversation_id: &str, body: &str) -> Result<String, FrontError>;

    /// `GET /conversations/{id}/events`, following pages, newest first.
    async fn list_conversation_events(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<FrontEventSummary>, FrontError>;

    /// `GET /events` of the given types emitted after `after_secs` (epoch seconds), oldest
    /// first, following pages: reconciliation for webhooks that never arrived. Each event
    /// is returned as Front sent it, the same JSON an application webhook carries.
    async fn list_events_since(
        &self,
        after_secs: f64,
        types: &[&str],
    ) -> Result<Vec<serde_json::Value>, FrontError>;
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

    fn channel(id: &str, inbox: Option<&str>, address: &str) -> FrontChannel {
        FrontChannel {
            id: id.to_owned(),
            inbox_id: inbox.map(str::to_owned),
            kind: "smtp".to_owned(),
            address: Some(address.to_owned()),
            name: None,
        }
    }

    #[test]
    fn pick_channel_prefers_inbox_then_address() {
        let channels = [
            channel("cha_a", Some("inb_a"), "a@x.test"),
            channel("cha_b", Some("inb_b"), "b@x.test"),
            channel("cha_c", None, "c@x.test"),
        ];
        let pick = |inboxes: &[&str], addrs: &[&str]| {
            pick_channel(&channels, inboxes, addrs).map(|c| c.id.as_str())
        };
        assert_eq!(pick(&["inb_b"], &["a@x.test"]), Some("cha_b"));
        assert_eq!(pick(&["inb_zz"], &["C@X.test"]), Some("cha_c"));
        assert_eq!(pick(&[], &["nobody@x.test"]), None);
    }

    #[test]
    fn draft_and_reply_bodies_leave_out_unset_fields() {
        let d = DraftRequest {
            body: "<p>Hi</p>".into(),
            channel_id: "cha_demo".into(),
            to: None,
            author_id: None,
        };
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"body": "<p>Hi</p>", "channel_id": "cha_demo"})
        );
        let r = ReplyRequest {
            body: "Done".into(),
            channel_id: None,
            to: Some(vec!["ada@example.com".into()]),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"body": "Done", "to": ["ada@example.com"]})
        );
    }
}

//! A fake Front Core API plus Front *application webhooks*, so the platform's Front client
//! and webhook intake can be exercised end to end on loopback with no Front account.
//!
//! Shapes follow Front's OpenAPI (`ConversationResponse`, `MessageResponse`,
//! `EventResponse`, `CommentResponse`, …); lists use Front's `_pagination` / `_links` /
//! `_results` envelope and every resource carries `_links.self` built from the fake's own
//! base URL. Webhooks are signed like Front application webhooks: base64 HMAC-SHA256 over
//! `ts_ms + ":" + body`, with the timestamp in milliseconds.
//!
//! Differences from the real service worth knowing:
//! - `POST /conversations/{id}/messages` answers like Front, `202 {"status":"accepted",
//!   "message_uid":"…"}`; fetch the message with `GET /messages/alt:uid:{message_uid}`
//!   (Front's resource alias) or list the conversation's messages.
//! - Lists are never paginated (`_pagination.next` is always `null`).
//! - Only `inbound` events are pushed to the webhook; every event is listed by
//!   `GET /conversations/{id}/events`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support_signing::front as front_sig;

use crate::server::{
    self, RequestLog, RequestRecord, Running, bearer, lock, lower_id, now_ms, now_secs_f64,
};

/// Settings for [`FakeFront::start`]. Defaults give one demo inbox and a few tags, enough for
/// the sandbox to show a conversation without any setup.
#[derive(Debug, Clone)]
pub struct FakeFrontConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The API token clients must send as `Authorization: Bearer <token>`.
    pub api_token: String,
    /// Seeded inboxes as `(id, name)`; each gets one email channel `cha_<suffix>`.
    pub inboxes: Vec<(String, String)>,
    /// Seeded tags as `(id, name)`; tagging with an unknown id is a 404, as in Front.
    pub tags: Vec<(String, String)>,
}

impl Default for FakeFrontConfig {
    fn default() -> Self {
        FakeFrontConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_token: "front-test-token".to_owned(),
            inboxes: vec![("inb_demo".to_owned(), "Demo Support".to_owned())],
            tags: vec![
                ("tag_refund".to_owned(), "refund".to_owned()),
                ("tag_billing".to_owned(), "billing".to_owned()),
                ("tag_escalated".to_owned(), "escalated".to_owned()),
            ],
        }
    }
}

/// A customer email to feed into the fake as if it had arrived in a Front inbox.
#[derive(Debug, Clone, Default)]
pub struct InboundMessage {
    /// Inbox to deliver to; `None` means the first configured inbox.
    pub inbox_id: Option<String>,
    /// Reply into this existing conversation instead of starting a new one.
    pub conversation_id: Option<String>,
    /// Sender address; becomes (or matches) a contact.
    pub from_email: String,
    /// Sender display name.
    pub from_name: Option<String>,
    /// Email subject.
    pub subject: String,
    /// Plain-text body; the fake also stores an HTML rendering of it as `body`.
    pub body_text: String,
}

/// What [`FakeFront::inject_inbound`] created and how the webhook receiver answered, so a
/// test can follow the ids into the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The `evt_…` id of the `inbound` event (the receiver's dedupe key).
    pub event_id: String,
    /// The conversation the message landed in.
    pub conversation_id: String,
    /// The new `msg_…` id.
    pub message_id: String,
    /// HTTP status the webhook receiver returned.
    pub status: u16,
}

/// What kind of message a [`FrontMessage`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontMessageKind {
    /// From the customer (`is_inbound: true`).
    Inbound,
    /// Sent through `POST /conversations/{id}/messages`.
    Reply,
    /// A draft (`draft_mode` set), still editable.
    Draft,
}

/// One recipient line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontRecipient {
    /// Email address.
    pub handle: String,
    /// `from`, `to`, `cc` or `bcc`.
    pub role: String,
    /// Display name, if known.
    pub name: Option<String>,
}

/// A message as stored by the fake (inspection view).
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMessage {
    /// `msg_…`.
    pub id: String,
    /// Front's message UID, usable as `alt:uid:<uid>`.
    pub message_uid: String,
    /// Owning conversation.
    pub conversation_id: String,
    /// Inbound, reply or draft.
    pub kind: FrontMessageKind,
    /// Subject line.
    pub subject: String,
    /// HTML body, exactly as given (or rendered from the inbound text).
    pub body: String,
    /// Plain-text body.
    pub text: String,
    /// Teammate id of the author for replies and drafts.
    pub author_id: Option<String>,
    /// From, to, cc, bcc.
    pub recipients: Vec<FrontRecipient>,
    /// Channel a reply or draft is sent from.
    pub channel_id: Option<String>,
    /// `private` or `shared` for drafts.
    pub draft_mode: Option<String>,
    /// Draft version; changes on every edit (optimistic concurrency).
    pub version: Option<String>,
    /// Unix seconds.
    pub created_at: f64,
}

/// A conversation as stored by the fake (inspection view).
#[derive(Debug, Clone, PartialEq)]
pub struct FrontConversation {
    /// `cnv_…`.
    pub id: String,
    /// Inbox it lives in.
    pub inbox_id: String,
    /// Subject of the first message.
    pub subject: String,
    /// Front status: `unassigned`, `assigned`, `archived` or `deleted`.
    pub status: String,
    /// The customer contact (`crd_…`).
    pub contact_id: String,
    /// The customer's address (`recipient.handle`).
    pub recipient_handle: String,
    /// The customer's name.
    pub recipient_name: Option<String>,
    /// Tag ids currently applied.
    pub tag_ids: Vec<String>,
    /// Assigned teammate, if any.
    pub assignee_id: Option<String>,
    /// Unix seconds.
    pub created_at: f64,
    /// Unix seconds.
    pub updated_at: f64,
}

/// An internal comment (note) on a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontComment {
    /// `com_…`.
    pub id: String,
    /// Owning conversation.
    pub conversation_id: String,
    /// Teammate that wrote it.
    pub author_id: Option<String>,
    /// Comment text.
    pub body: String,
    /// Pinned in the conversation.
    pub is_pinned: bool,
    /// Unix seconds.
    pub posted_at: f64,
}

#[derive(Debug, Clone)]
struct Inbox {
    id: String,
    name: String,
}

impl Inbox {
    fn suffix(&self) -> &str {
        self.id.strip_prefix("inb_").unwrap_or(&self.id)
    }
    fn channel_id(&self) -> String {
        format!("cha_{}", self.suffix())
    }
    fn address(&self) -> String {
        format!("{}@support.fake-front.test", self.suffix())
    }
}

#[derive(Debug, Clone)]
struct Tag {
    id: String,
    name: String,
    highlight: Option<String>,
    created_at: f64,
}

#[derive(Debug, Clone)]
struct Contact {
    id: String,
    name: Option<String>,
    handle: String,
}

#[derive(Debug, Clone)]
struct EventRec {
    id: String,
    kind: String,
    emitted_at: f64,
    conversation_id: String,
    source: Value,
    target: Value,
}

#[derive(Debug, Default)]
struct FrontData {
    inboxes: Vec<Inbox>,
    tags: Vec<Tag>,
    contacts: Vec<Contact>,
    conversations: Vec<FrontConversation>,
    messages: Vec<FrontMessage>,
    comments: Vec<FrontComment>,
    events: Vec<EventRec>,
}

struct Webhook {
    url: String,
    secret: String,
}

struct FrontShared {
    url: String,
    token: String,
    data: Mutex<FrontData>,
    webhook: Mutex<Option<Webhook>>,
    http: reqwest::Client,
    log: RequestLog,
}

/// A running fake Front. Dropping it without [`FakeFront::shutdown`] leaves the server task
/// running until the runtime stops.
pub struct FakeFront {
    shared: Arc<FrontShared>,
    running: Running,
}

impl FakeFront {
    /// Bind `config.bind`, seed inboxes and tags, and start serving.
    pub async fn start(config: FakeFrontConfig) -> anyhow::Result<Self> {
        let bound = server::bind(config.bind).await?;
        let now = now_secs_f64();
        let data = FrontData {
            inboxes: config
                .inboxes
                .into_iter()
                .map(|(id, name)| Inbox { id, name })
                .collect(),
            tags: config
                .tags
                .into_iter()
                .map(|(id, name)| Tag {
                    id,
                    name,
                    highlight: None,
                    created_at: now,
                })
                .collect(),
            ..FrontData::default()
        };
        let log = RequestLog::default();
        let shared = Arc::new(FrontShared {
            url: bound.url.clone(),
            token: config.api_token,
            data: Mutex::new(data),
            webhook: Mutex::new(None),
            http: webhook_client()?,
            log: log.clone(),
        });
        let running = Running::spawn(bound, router(shared.clone()), log);
        Ok(FakeFront { shared, running })
    }

    /// Base URL, `http://127.0.0.1:PORT` with no trailing slash: what the platform uses in
    /// place of `https://api2.frontapp.com`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }

    /// Where application-webhook events go, and the app secret they are signed with.
    pub fn set_webhook(&self, url: String, app_secret: String) {
        *lock(&self.shared.webhook) = Some(Webhook {
            url,
            secret: app_secret,
        });
    }

    /// Create the contact, conversation and message for an inbound email, then POST the
    /// signed `inbound` event (a preview without `body`/`text`) to the webhook. Fails before
    /// touching state if no webhook is set; if the POST itself fails, the message stays
    /// stored, as it would in Front.
    pub async fn inject_inbound(&self, msg: InboundMessage) -> anyhow::Result<Delivery> {
        let (hook_url, secret) = {
            let hook = lock(&self.shared.webhook);
            let hook = hook
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no webhook set; call set_webhook first"))?;
            (hook.url.clone(), hook.secret.clone())
        };
        let (payload, conversation_id, message_id, event_id) = {
            let mut data = lock(&self.shared.data);
            ingest_inbound(&mut data, &self.shared.url, msg)?
        };
        let body = serde_json::to_vec(&payload)?;
        let (status, _) = self.shared.deliver(&hook_url, &secret, body, None).await?;
        Ok(Delivery {
            event_id,
            conversation_id,
            message_id,
            status,
        })
    }

    /// A customer writes, and Front stores the message and its `inbound` event, but the
    /// webhook never arrives (an outage on either side): what `GET /events` reconciliation
    /// is for. Returns the ids as [`Delivery`] does, with status 0 (not delivered).
    pub fn receive_inbound_undelivered(&self, msg: InboundMessage) -> anyhow::Result<Delivery> {
        let (_payload, conversation_id, message_id, event_id) = {
            let mut data = lock(&self.shared.data);
            ingest_inbound(&mut data, &self.shared.url, msg)?
        };
        Ok(Delivery {
            event_id,
            conversation_id,
            message_id,
            status: 0,
        })
    }

    /// A teammate answers the conversation from Front: the reply is stored (from the inbox's
    /// address) and the signed `outbound` event is POSTed to the webhook, as Front does for a
    /// message sent from its app.
    pub async fn teammate_replies(
        &self,
        conversation_id: &str,
        text: &str,
    ) -> anyhow::Result<Delivery> {
        let (hook_url, secret) = {
            let hook = lock(&self.shared.webhook);
            let hook = hook
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no webhook set; call set_webhook first"))?;
            (hook.url.clone(), hook.secret.clone())
        };
        let (payload, message_id, event_id) = {
            let mut d = lock(&self.shared.data);
            let conv = d
                .conversation(conversation_id)
                .ok_or_else(|| anyhow::anyhow!("unknown conversation {conversation_id}"))?
                .clone();
            let inbox = d
                .inbox(&conv.inbox_id)
                .ok_or_else(|| anyhow::anyhow!("unknown inbox {}", conv.inbox_id))?
                .clone();
            let message = FrontMessage {
                id: lower_id("msg", 9),
                message_uid: uuid::Uuid::new_v4().simple().to_string(),
                conversation_id: conversation_id.to_owned(),
                kind: FrontMessageKind::Reply,
                subject: format!("Re: {}", conv.subject),
                body: text_to_html(text),
                text: text.to_owned(),
                author_id: Some("tea_fake_teammate".to_owned()),
                recipients: vec![
                    FrontRecipient {
                        handle: inbox.address(),
                        role: "from".to_owned(),
                        name: Some(inbox.name.clone()),
                    },
                    FrontRecipient {
                        handle: conv.recipient_handle.clone(),
                        role: "to".to_owned(),
                        name: conv.recipient_name.clone(),
                    },
                ],
                channel_id: Some(inbox.channel_id()),
                draft_mode: None,
                version: None,
                created_at: now_secs_f64(),
            };
            let message_id = message.id.clone();
            let preview = message_json(&self.shared.url, &d, &message, false);
            d.messages.push(message);
            let event_id = d.push_event(
                "outbound",
                conversation_id,
                json!({"_meta": {"type": "inboxes"}, "data": [inbox_json(&self.shared.url, &inbox)]}),
                json!({"_meta": {"type": "message"}, "data": preview}),
            );
            let payload = d
                .events
                .iter()
                .find(|e| e.id == event_id)
                .map(|e| event_json(&self.shared.url, &d, e))
                .unwrap_or(Value::Null);
            (payload, message_id, event_id)
        };
        let body = serde_json::to_vec(&payload)?;
        let (status, _) = self.shared.deliver(&hook_url, &secret, body, None).await?;
        Ok(Delivery {
            event_id,
            conversation_id: conversation_id.to_owned(),
            message_id,
            status,
        })
    }

    /// Send Front's webhook validation request (`{"type":"sync",…}` with an
    /// `x-front-challenge` header, signed like every event) and return the receiver's status
    /// and body, so a test can check the challenge is echoed only after verification.
    pub async fn send_challenge(&self) -> anyhow::Result<(u16, String)> {
        let (hook_url, secret) = {
            let hook = lock(&self.shared.webhook);
            let hook = hook
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no webhook set; call set_webhook first"))?;
            (hook.url.clone(), hook.secret.clone())
        };
        let body = serde_json::to_vec(&json!({
            "type": "sync",
            "authorization": {"id": "cmp_fake"},
        }))?;
        let challenge = uuid::Uuid::new_v4().simple().to_string();
        self.shared
            .deliver(&hook_url, &secret, body, Some(&challenge))
            .await
    }

    /// Every conversation, oldest first.
    pub fn conversations(&self) -> Vec<FrontConversation> {
        lock(&self.shared.data).conversations.clone()
    }

    /// Inbound messages and sent replies of a conversation (not drafts), oldest first.
    pub fn messages(&self, conversation_id: &str) -> Vec<FrontMessage> {
        self.messages_where(conversation_id, |k| k != FrontMessageKind::Draft)
    }

    /// Drafts currently on a conversation (deleted ones are gone), oldest first.
    pub fn drafts(&self, conversation_id: &str) -> Vec<FrontMessage> {
        self.messages_where(conversation_id, |k| k == FrontMessageKind::Draft)
    }

    /// Replies sent through the API, oldest first.
    pub fn replies(&self, conversation_id: &str) -> Vec<FrontMessage> {
        self.messages_where(conversation_id, |k| k == FrontMessageKind::Reply)
    }

    /// Tag ids on a conversation (empty for an unknown conversation).
    pub fn tags(&self, conversation_id: &str) -> Vec<String> {
        lock(&self.shared.data)
            .conversation(conversation_id)
            .map(|c| c.tag_ids.clone())
            .unwrap_or_default()
    }

    /// Comments on a conversation, oldest first.
    pub fn comments(&self, conversation_id: &str) -> Vec<FrontComment> {
        lock(&self.shared.data)
            .comments
            .iter()
            .filter(|c| c.conversation_id == conversation_id)
            .cloned()
            .collect()
    }

    /// Every request received, in order (including ones refused for auth).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    fn messages_where(
        &self,
        conversation_id: &str,
        keep: impl Fn(FrontMessageKind) -> bool,
    ) -> Vec<FrontMessage> {
        lock(&self.shared.data)
            .messages
            .iter()
            .filter(|m| m.conversation_id == conversation_id && keep(m.kind))
            .cloned()
            .collect()
    }
}

/// A reqwest client with an explicit ring provider and no trust roots: webhooks go to
/// plain-HTTP loopback receivers, and this never needs a process-wide default provider.
fn webhook_client() -> anyhow::Result<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(10))
        .build()?)
}

impl FrontShared {
    async fn deliver(
        &self,
        url: &str,
        secret: &str,
        body: Vec<u8>,
        challenge: Option<&str>,
    ) -> anyhow::Result<(u16, String)> {
        let ts_ms = now_ms();
        let signature = front_sig::sign(secret.as_bytes(), ts_ms, &body);
        let mut req = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header(front_sig::SIGNATURE_HEADER, signature)
            .header(front_sig::TIMESTAMP_HEADER, ts_ms.to_string());
        if let Some(c) = challenge {
            req = req.header(front_sig::CHALLENGE_HEADER, c);
        }
        let resp = req.body(body).send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok((status, text))
    }
}

fn ingest_inbound(
    data: &mut FrontData,
    url: &str,
    msg: InboundMessage,
) -> anyhow::Result<(Value, String, String, String)> {
    let inbox = match &msg.inbox_id {
        Some(id) => data
            .inboxes
            .iter()
            .find(|i| &i.id == id)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("unknown inbox {id}"))?,
        None => data
            .inboxes
            .first()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the fake has no inboxes configured"))?,
    };
    let now = now_secs_f64();
    let contact_id = match data
        .contacts
        .iter()
        .find(|c| c.handle.eq_ignore_ascii_case(&msg.from_email))
    {
        Some(c) => c.id.clone(),
        None => {
            let id = lower_id("crd", 8);
            data.contacts.push(Contact {
                id: id.clone(),
                name: msg.from_name.clone(),
                handle: msg.from_email.clone(),
            });
            id
        }
    };
    let conversation_id = match &msg.conversation_id {
        Some(id) => {
            let conv = data
                .conversation_mut(id)
                .ok_or_else(|| anyhow::anyhow!("unknown conversation {id}"))?;
            // A new inbound message brings an archived conversation back to the inbox.
            if conv.status == "archived" || conv.status == "deleted" {
                conv.status = open_status(conv.assignee_id.is_some());
            }
            conv.updated_at = now;
            id.clone()
        }
        None => {
            let id = lower_id("cnv", 8);
            data.conversations.push(FrontConversation {
                id: id.clone(),
                inbox_id: inbox.id.clone(),
                subject: msg.subject.clone(),
                status: "unassigned".to_owned(),
                contact_id,
                recipient_handle: msg.from_email.clone(),
                recipient_name: msg.from_name.clone(),
                tag_ids: Vec::new(),
                assignee_id: None,
                created_at: now,
                updated_at: now,
            });
            id
        }
    };
    let message = FrontMessage {
        id: lower_id("msg", 9),
        message_uid: uuid::Uuid::new_v4().simple().to_string(),
        conversation_id: conversation_id.clone(),
        kind: FrontMessageKind::Inbound,
        subject: msg.subject,
        body: text_to_html(&msg.body_text),
        text: msg.body_text,
        author_id: None,
        recipients: vec![
            FrontRecipient {
                handle: msg.from_email,
                role: "from".to_owned(),
                name: msg.from_name,
            },
            FrontRecipient {
                handle: inbox.address(),
                role: "to".to_owned(),
                name: Some(inbox.name.clone()),
            },
        ],
        channel_id: Some(inbox.channel_id()),
        draft_mode: None,
        version: None,
        created_at: now,
    };
    let message_id = message.id.clone();
    let preview = message_json(url, data, &message, false);
    data.messages.push(message);
    let event_id = data.push_event(
        "inbound",
        &conversation_id,
        json!({"_meta": {"type": "inboxes"}, "data": [inbox_json(url, &inbox)]}),
        json!({"_meta": {"type": "message"}, "data": preview}),
    );
    let payload = data
        .events
        .iter()
        .find(|e| e.id == event_id)
        .map(|e| event_json(url, data, e))
        .unwrap_or(Value::Null);
    Ok((payload, conversation_id, message_id, event_id))
}

fn open_status(assigned: bool) -> String {
    if assigned { "assigned" } else { "unassigned" }.to_owned()
}

impl FrontData {
    fn conversation(&self, id: &str) -> Option<&FrontConversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    fn conversation_mut(&mut self, id: &str) -> Option<&mut FrontConversation> {
        self.conversations.iter_mut().find(|c| c.id == id)
    }

    fn inbox(&self, id: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.id == id)
    }

    fn inbox_for_channel(&self, channel_id: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.channel_id() == channel_id)
    }

    fn tag(&self, id: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    fn push_event(
        &mut self,
        kind: &str,
        conversation_id: &str,
        source: Value,
        target: Value,
    ) -> String {
        let id = lower_id("evt", 10);
        self.events.push(EventRec {
            id: id.clone(),
            kind: kind.to_owned(),
            emitted_at: now_secs_f64(),
            conversation_id: conversation_id.to_owned(),
            source,
            target,
        });
        id
    }

    fn check_tags(&self, ids: &[String]) -> Result<(), FrontError> {
        match ids.iter().find(|id| self.tag(id).is_none()) {
            Some(id) => Err(FrontError::not_found(format!("Tag {id} not found"))),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON rendering, in Front's shapes.

fn list(self_url: String, results: Vec<Value>) -> Value {
    json!({
        "_pagination": {"next": null},
        "_links": {"self": self_url},
        "_results": results,
    })
}

fn inbox_json(url: &str, inbox: &Inbox) -> Value {
    let base = format!("{url}/inboxes/{}", inbox.id);
    json!({
        "_links": {
            "self": base,
            "related": {
                "teammates": format!("{base}/teammates"),
                "conversations": format!("{base}/conversations"),
                "channels": format!("{base}/channels"),
                "owner": null,
            }
        },
        "id": inbox.id,
        "name": inbox.name,
        "is_private": false,
        "is_public": true,
        "custom_fields": {},
    })
}

fn channel_json(url: &str, inbox: &Inbox) -> Value {
    let id = inbox.channel_id();
    json!({
        "_links": {
            "self": format!("{url}/channels/{id}"),
            "related": {"inbox": format!("{url}/inboxes/{}", inbox.id), "owner": null},
        },
        "id": id,
        "name": inbox.name,
        "address": inbox.address(),
        "send_as": inbox.address(),
        "type": "smtp",
        "settings": {},
        "is_private": false,
        "is_valid": true,
    })
}

fn tag_json(url: &str, tag: &Tag) -> Value {
    let base = format!("{url}/tags/{}", tag.id);
    json!({
        "_links": {
            "self": base,
            "related": {
                "conversations": format!("{base}/conversations"),
                "owner": null,
                "parent_tag": null,
                "children": null,
            }
        },
        "id": tag.id,
        "name": tag.name,
        "description": null,
        "highlight": tag.highlight,
        "is_private": false,
        "is_visible_in_conversation_lists": true,
        "created_at": tag.created_at,
        "updated_at": tag.created_at,
    })
}

fn teammate_json(url: &str, id: &str) -> Value {
    let handle = id.strip_prefix("tea_").unwrap_or(id);
    let base = format!("{url}/teammates/{id}");
    json!({
        "_links": {
            "self": base,
            "related": {
                "inboxes": format!("{base}/inboxes"),
                "conversations": format!("{base}/conversations"),
            }
        },
        "id": id,
        "email": format!("{handle}@agents.fake-front.test"),
        "username": handle,
        "first_name": handle,
        "last_name": "",
        "is_admin": false,
        "is_available": true,
        "is_blocked": false,
        "type": "user",
        "custom_fields": {},
    })
}

fn contact_json(url: &str, c: &Contact) -> Value {
    let base = format!("{url}/contacts/{}", c.id);
    json!({
        "_links": {
            "self": base,
            "related": {
                "notes": format!("{base}/notes"),
                "conversations": format!("{base}/conversations"),
                "owner": null,
            }
        },
        "id": c.id,
        "name": c.name,
        "description": null,
        "avatar_url": null,
        "is_spammer": false,
        "links": [],
        "lists": [],
        "handles": [{"handle": c.handle, "source": "email"}],
        "custom_fields": {},
        "is_private": false,
    })
}

fn recipient_json(
    url: &str,
    data: &FrontData,
    handle: &str,
    name: Option<&str>,
    role: &str,
) -> Value {
    let contact = data
        .contacts
        .iter()
        .find(|c| c.handle.eq_ignore_ascii_case(handle))
        .map(|c| format!("{url}/contacts/{}", c.id));
    json!({
        "_links": {"related": {"contact": contact}},
        "name": name,
        "handle": handle,
        "role": role,
    })
}

fn conversation_json(url: &str, data: &FrontData, c: &FrontConversation) -> Value {
    let base = format!("{url}/conversations/{}", c.id);
    let last_message = data
        .messages
        .iter()
        .rev()
        .find(|m| m.conversation_id == c.id && m.kind != FrontMessageKind::Draft)
        .map(|m| format!("{url}/messages/{}", m.id));
    let tags: Vec<Value> = c
        .tag_ids
        .iter()
        .filter_map(|id| data.tag(id))
        .map(|t| tag_json(url, t))
        .collect();
    let status_category = match c.status.as_str() {
        "archived" | "deleted" => "resolved",
        _ => "open",
    };
    json!({
        "_links": {
            "self": base,
            "related": {
                "events": format!("{base}/events"),
                "followers": format!("{base}/followers"),
                "messages": format!("{base}/messages"),
                "comments": format!("{base}/comments"),
                "inboxes": format!("{base}/inboxes"),
                "last_message": last_message,
            }
        },
        "id": c.id,
        "type": "conversation",
        "subject": c.subject,
        "status": c.status,
        "status_category": status_category,
        "ticket_ids": [],
        "assignee": c.assignee_id.as_deref().map(|a| teammate_json(url, a)),
        "recipient": recipient_json(url, data, &c.recipient_handle, c.recipient_name.as_deref(), "from"),
        "tags": tags,
        "links": [],
        "custom_fields": {},
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "is_private": false,
        "scheduled_reminders": [],
        "metadata": {},
    })
}

/// `full: false` is the webhook/event preview: no `body`, no `text`.
fn message_json(url: &str, data: &FrontData, m: &FrontMessage, full: bool) -> Value {
    let recipients: Vec<Value> = m
        .recipients
        .iter()
        .map(|r| recipient_json(url, data, &r.handle, r.name.as_deref(), &r.role))
        .collect();
    let mut v = json!({
        "_links": {
            "self": format!("{url}/messages/{}", m.id),
            "related": {"conversation": format!("{url}/conversations/{}", m.conversation_id)},
        },
        "id": m.id,
        "message_uid": m.message_uid,
        "type": "email",
        "is_inbound": m.kind == FrontMessageKind::Inbound,
        "draft_mode": m.draft_mode,
        "created_at": m.created_at,
        "subject": m.subject,
        "blurb": blurb(&m.text),
        "author": m.author_id.as_deref().map(|a| teammate_json(url, a)),
        "recipients": recipients,
        "attachments": [],
        "metadata": {},
    });
    if let Value::Object(map) = &mut v {
        if let Some(version) = &m.version {
            map.insert("version".to_owned(), json!(version));
        }
        if full {
            map.insert("body".to_owned(), json!(m.body));
            map.insert("text".to_owned(), json!(m.text));
        }
    }
    v
}

fn comment_json(url: &str, c: &FrontComment) -> Value {
    json!({
        "_links": {
            "self": format!("{url}/comments/{}", c.id),
            "related": {
                "conversation": format!("{url}/conversations/{}", c.conversation_id),
                "mentions": format!("{url}/comments/{}/mentions", c.id),
                "comment_replied_to": null,
            }
        },
        "id": c.id,
        "author": c.author_id.as_deref().map(|a| teammate_json(url, a)),
        "body": c.body,
        "posted_at": c.posted_at,
        "attachments": [],
        "is_pinned": c.is_pinned,
    })
}

fn event_json(url: &str, data: &FrontData, e: &EventRec) -> Value {
    json!({
        "_links": {"self": format!("{url}/events/{}", e.id)},
        "id": e.id,
        "type": e.kind,
        "emitted_at": e.emitted_at,
        "source": e.source,
        "target": e.target,
        "conversation": data
            .conversation(&e.conversation_id)
            .map(|c| conversation_json(url, data, c)),
    })
}

fn api_source() -> Value {
    json!({"_meta": {"type": "api"}, "data": null})
}

// ---------------------------------------------------------------------------------------
// Text helpers.

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Render an email's plain text the way a mail client would send its HTML part.
fn text_to_html(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect();
    format!("<div>{}</div>", paragraphs.join(""))
}

/// A rough HTML-to-text for the `text` field of drafts and replies.
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut tag = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let closing = tag.starts_with('/');
                if name == "br" || (closing && (name == "p" || name == "div")) {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

fn blurb(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(100).collect()
}

// ---------------------------------------------------------------------------------------
// HTTP layer.

/// Front's error body: `{"_error":{"status":…,"title":…,"message":…}}`.
#[derive(Debug)]
struct FrontError {
    status: StatusCode,
    message: String,
}

impl FrontError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        FrontError {
            status,
            message: message.into(),
        }
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
}

impl IntoResponse for FrontError {
    fn into_response(self) -> Response {
        let body = json!({
            "_error": {
                "status": self.status.as_u16(),
                "title": self.status.canonical_reason().unwrap_or("Error"),
                "message": self.message,
            }
        });
        (self.status, axum::Json(body)).into_response()
    }
}

type FrontResult = Result<Response, FrontError>;
type St = State<Arc<FrontShared>>;

fn ok_json(v: Value) -> FrontResult {
    Ok(axum::Json(v).into_response())
}

fn no_content() -> FrontResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Parse a JSON body ourselves so malformed input gets Front's `_error` 400, not axum's
/// plain-text rejection. An empty body is read as `{}` so missing fields are named.
fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, FrontError> {
    let raw: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(raw).map_err(|e| FrontError::bad_request(format!("Invalid body: {e}")))
}

fn router(shared: Arc<FrontShared>) -> Router {
    Router::new()
        .route("/inboxes", get(list_inboxes))
        .route("/inboxes/{id}", get(get_inbox))
        .route("/channels", get(list_channels))
        .route("/tags", get(list_tags).post(create_tag))
        .route("/contacts/{id}", get(get_contact))
        .route("/conversations", get(list_conversations))
        .route(
            "/conversations/{id}",
            get(get_conversation).patch(update_conversation),
        )
        .route(
            "/conversations/{id}/messages",
            get(list_messages).post(create_reply),
        )
        .route(
            "/conversations/{id}/drafts",
            get(list_drafts).post(create_draft),
        )
        .route(
            "/conversations/{id}/tags",
            post(add_tags).delete(remove_tags),
        )
        .route(
            "/conversations/{id}/comments",
            get(list_comments).post(create_comment),
        )
        .route("/conversations/{id}/events", get(list_events))
        .route("/messages/{id}", get(get_message))
        .route("/drafts/{id}", patch(edit_draft).delete(delete_draft))
        // The OpenAPI spec writes the edit-draft path with a trailing slash.
        .route("/drafts/{id}/", patch(edit_draft))
        .route("/events", get(list_all_events))
        .route("/events/{id}", get(get_event))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            require_token,
        ))
        .with_state(shared)
}

async fn require_token(State(s): St, req: Request, next: Next) -> Response {
    match bearer(req.headers()) {
        Some(t) if t == s.token => next.run(req).await,
        Some(_) => FrontError::new(StatusCode::UNAUTHORIZED, "Invalid token").into_response(),
        None => FrontError::new(
            StatusCode::UNAUTHORIZED,
            "Missing bearer token in Authorization header",
        )
        .into_response(),
    }
}

async fn fallback() -> Response {
    FrontError::not_found("Route not found").into_response()
}

async fn list_inboxes(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.inboxes.iter().map(|i| inbox_json(&s.url, i)).collect();
    ok_json(list(format!("{}/inboxes", s.url), results))
}

async fn get_inbox(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let inbox = d
        .inbox(&id)
        .ok_or_else(|| FrontError::not_found(format!("Inbox {id} not found")))?;
    ok_json(inbox_json(&s.url, inbox))
}

async fn list_channels(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.inboxes.iter().map(|i| channel_json(&s.url, i)).collect();
    ok_json(list(format!("{}/channels", s.url), results))
}

async fn list_tags(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.tags.iter().map(|t| tag_json(&s.url, t)).collect();
    ok_json(list(format!("{}/tags", s.url), results))
}

#[derive(Deserialize)]
struct CreateTag {
    name: String,
    highlight: Option<String>,
}

async fn create_tag(State(s): St, body: Bytes) -> FrontResult {
    let req: CreateTag = parse_json(&body)?;
    if req.name.trim().is_empty() {
        return Err(FrontError::bad_request("Tag name cannot be empty"));
    }
    let mut d = lock(&s.data);
    let tag = Tag {
        id: lower_id("tag", 6),
        name: req.name,
        highlight: req.highlight,
        created_at: now_secs_f64(),
    };
    let v = tag_json(&s.url, &tag);
    d.tags.push(tag);
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn get_contact(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let c = d
        .contacts
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| FrontError::not_found(format!("Contact {id} not found")))?;
    ok_json(contact_json(&s.url, c))
}

async fn list_conversations(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d
        .conversations
        .iter()
        .rev()
        .map(|c| conversation_json(&s.url, &d, c))
        .collect();
    ok_json(list(format!("{}/conversations", s.url), results))
}

fn conversation_or_404<'a>(
    d: &'a FrontData,
    id: &str,
) -> Result<&'a FrontConversation, FrontError> {
    d.conversation(id)
        .ok_or_else(|| FrontError::not_found(format!("Conversation {id} not found")))
}

async fn get_conversation(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let c = conversation_or_404(&d, &id)?;
    ok_json(conversation_json(&s.url, &d, c))
}

#[derive(Deserialize)]
struct UpdateConversation {
    assignee_id: Option<String>,
    inbox_id: Option<String>,
    status: Option<String>,
    tag_ids: Option<Vec<String>>,
}

async fn update_conversation(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: UpdateConversation = parse_json(&body)?;
    let mut d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    if let Some(tags) = &req.tag_ids {
        d.check_tags(tags)?;
    }
    if let Some(inbox) = &req.inbox_id
        && d.inbox(inbox).is_none()
    {
        return Err(FrontError::not_found(format!("Inbox {inbox} not found")));
    }
    let mut events: Vec<&str> = Vec::new();
    let now = now_secs_f64();
    {
        let conv = d
            .conversation_mut(&id)
            .ok_or_else(|| FrontError::not_found(format!("Conversation {id} not found")))?;
        if let Some(a) = req.assignee_id {
            conv.assignee_id = if a.is_empty() { None } else { Some(a) };
            if conv.status == "assigned" || conv.status == "unassigned" {
                conv.status = open_status(conv.assignee_id.is_some());
            }
        }
        if let Some(inbox) = req.inbox_id {
            conv.inbox_id = inbox;
            events.push("move");
        }
        if let Some(tags) = req.tag_ids {
            conv.tag_ids = tags;
        }
        if let Some(status) = req.status.as_deref() {
            let was_closed = conv.status == "archived" || conv.status == "deleted";
            match status {
                "archived" => {
                    conv.status = "archived".to_owned();
                    events.push("archive");
                }
                "open" => {
                    conv.status = open_status(conv.assignee_id.is_some());
                    if was_closed {
                        events.push("reopen");
                    }
                }
                "deleted" | "spam" => {
                    conv.status = "deleted".to_owned();
                    events.push("trash");
                }
                other => {
                    return Err(FrontError::bad_request(format!(
                        "Invalid status {other:?}: must be one of archived, open, deleted, spam"
                    )));
                }
            }
        }
        conv.updated_at = now;
    }
    for kind in events {
        d.push_event(kind, &id, api_source(), Value::Null);
    }
    no_content()
}

async fn list_messages(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    let results = d
        .messages
        .iter()
        .rev()
        .filter(|m| m.conversation_id == id && m.kind != FrontMessageKind::Draft)
        .map(|m| message_json(&s.url, &d, m, true))
        .collect();
    ok_json(list(
        format!("{}/conversations/{id}/messages", s.url),
        results,
    ))
}

async fn get_message(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let found = match id.strip_prefix("alt:uid:") {
        Some(uid) => d.messages.iter().find(|m| m.message_uid == uid),
        None => d.messages.iter().find(|m| m.id == id),
    };
    let m = found.ok_or_else(|| FrontError::not_found(format!("Message {id} not found")))?;
    ok_json(message_json(&s.url, &d, m, true))
}

#[derive(Deserialize)]
struct ReplyOptions {
    tag_ids: Option<Vec<String>>,
    archive: Option<bool>,
}

#[derive(Deserialize)]
struct OutboundReply {
    to: Option<Vec<String>>,
    cc: Option<Vec<String>>,
    bcc: Option<Vec<String>>,
    sender_name: Option<String>,
    subject: Option<String>,
    author_id: Option<String>,
    channel_id: Option<String>,
    body: String,
    text: Option<String>,
    options: Option<ReplyOptions>,
}

fn addressed(to: &[String], cc: &[String], bcc: &[String]) -> Vec<FrontRecipient> {
    let mut out = Vec::new();
    for (role, list) in [("to", to), ("cc", cc), ("bcc", bcc)] {
        for handle in list {
            out.push(FrontRecipient {
                handle: handle.clone(),
                role: role.to_owned(),
                name: None,
            });
        }
    }
    out
}

async fn create_reply(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: OutboundReply = parse_json(&body)?;
    let mut d = lock(&s.data);
    let conv = conversation_or_404(&d, &id)?.clone();
    let inbox = match &req.channel_id {
        Some(ch) => d
            .inbox_for_channel(ch)
            .ok_or_else(|| FrontError::not_found(format!("Channel {ch} not found")))?,
        None => d
            .inbox(&conv.inbox_id)
            .ok_or_else(|| FrontError::not_found(format!("Inbox {} not found", conv.inbox_id)))?,
    }
    .clone();
    let options = req.options.unwrap_or(ReplyOptions {
        tag_ids: None,
        archive: None,
    });
    let extra_tags = options.tag_ids.unwrap_or_default();
    d.check_tags(&extra_tags)?;

    let to = req
        .to
        .unwrap_or_else(|| vec![conv.recipient_handle.clone()]);
    let mut recipients = vec![FrontRecipient {
        handle: inbox.address(),
        role: "from".to_owned(),
        name: Some(req.sender_name.unwrap_or_else(|| inbox.name.clone())),
    }];
    recipients.extend(addressed(
        &to,
        &req.cc.unwrap_or_default(),
        &req.bcc.unwrap_or_default(),
    ));
    let message = FrontMessage {
        id: lower_id("msg", 9),
        message_uid: uuid::Uuid::new_v4().simple().to_string(),
        conversation_id: id.clone(),
        kind: FrontMessageKind::Reply,
        subject: req
            .subject
            .unwrap_or_else(|| format!("Re: {}", conv.subject)),
        text: req.text.unwrap_or_else(|| strip_html(&req.body)),
        body: req.body,
        author_id: req.author_id,
        recipients,
        channel_id: Some(inbox.channel_id()),
        draft_mode: None,
        version: None,
        created_at: now_secs_f64(),
    };
    let uid = message.message_uid.clone();
    let preview = message_json(&s.url, &d, &message, false);
    d.messages.push(message);
    d.push_event(
        "out_reply",
        &id,
        api_source(),
        json!({"_meta": {"type": "message"}, "data": preview}),
    );
    // Front archives the conversation on send unless `options.archive` is false.
    let archive = options.archive.unwrap_or(true);
    let mut archived = false;
    if let Some(c) = d.conversation_mut(&id) {
        for t in &extra_tags {
            if !c.tag_ids.contains(t) {
                c.tag_ids.push(t.clone());
            }
        }
        if archive && c.status != "archived" {
            c.status = "archived".to_owned();
            archived = true;
        }
        c.updated_at = now_secs_f64();
    }
    if archived {
        d.push_event("archive", &id, api_source(), Value::Null);
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"status": "accepted", "message_uid": uid})),
    )
        .into_response())
}

#[derive(Deserialize)]
struct DraftBody {
    author_id: Option<String>,
    to: Option<Vec<String>>,
    cc: Option<Vec<String>>,
    bcc: Option<Vec<String>>,
    subject: Option<String>,
    body: String,
    quote_body: Option<String>,
    mode: Option<String>,
    channel_id: Option<String>,
    version: Option<String>,
}

fn draft_channel(d: &FrontData, channel_id: Option<&str>) -> Result<Inbox, FrontError> {
    let ch = channel_id.ok_or_else(|| FrontError::bad_request("channel_id is required"))?;
    d.inbox_for_channel(ch)
        .cloned()
        .ok_or_else(|| FrontError::not_found(format!("Channel {ch} not found")))
}

fn draft_body(body: &str, quote: Option<&str>) -> String {
    match quote {
        Some(q) if !q.is_empty() => format!("{body}<blockquote>{q}</blockquote>"),
        _ => body.to_owned(),
    }
}

async fn create_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: DraftBody = parse_json(&body)?;
    let mut d = lock(&s.data);
    let conv = conversation_or_404(&d, &id)?.clone();
    let inbox = draft_channel(&d, req.channel_id.as_deref())?;
    let mode = req.mode.unwrap_or_else(|| "private".to_owned());
    if mode != "private" && mode != "shared" {
        return Err(FrontError::bad_request("mode must be private or shared"));
    }
    let to = req
        .to
        .unwrap_or_else(|| vec![conv.recipient_handle.clone()]);
    let mut recipients = vec![FrontRecipient {
        handle: inbox.address(),
        role: "from".to_owned(),
        name: Some(inbox.name.clone()),
    }];
    recipients.extend(addressed(
        &to,
        &req.cc.unwrap_or_default(),
        &req.bcc.unwrap_or_default(),
    ));
    let html = draft_body(&req.body, req.quote_body.as_deref());
    let message = FrontMessage {
        id: lower_id("msg", 9),
        message_uid: uuid::Uuid::new_v4().simple().to_string(),
        conversation_id: id,
        kind: FrontMessageKind::Draft,
        subject: req
            .subject
            .unwrap_or_else(|| format!("Re: {}", conv.subject)),
        text: strip_html(&html),
        body: html,
        author_id: req.author_id,
        recipients,
        channel_id: Some(inbox.channel_id()),
        draft_mode: Some(mode),
        version: Some(uuid::Uuid::new_v4().simple().to_string()),
        created_at: now_secs_f64(),
    };
    let v = message_json(&s.url, &d, &message, true);
    d.messages.push(message);
    ok_json(v)
}

async fn list_drafts(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    let results = d
        .messages
        .iter()
        .rev()
        .filter(|m| m.conversation_id == id && m.kind == FrontMessageKind::Draft)
        .map(|m| message_json(&s.url, &d, m, true))
        .collect();
    ok_json(list(
        format!("{}/conversations/{id}/drafts", s.url),
        results,
    ))
}

fn draft_index(d: &FrontData, id: &str) -> Result<usize, FrontError> {
    d.messages
        .iter()
        .position(|m| m.id == id && m.kind == FrontMessageKind::Draft)
        .ok_or_else(|| FrontError::not_found(format!("Draft {id} not found")))
}

fn check_version(current: Option<&str>, given: Option<&str>) -> Result<(), FrontError> {
    match given {
        Some(v) if Some(v) != current => Err(FrontError::conflict(
            "The draft has been modified since this version; fetch it again",
        )),
        _ => Ok(()),
    }
}

async fn edit_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: DraftBody = parse_json(&body)?;
    let mut d = lock(&s.data);
    let idx = draft_index(&d, &id)?;
    let inbox = draft_channel(&d, req.channel_id.as_deref())?;
    check_version(d.messages[idx].version.as_deref(), req.version.as_deref())?;
    if let Some(mode) = &req.mode
        && mode != "shared"
    {
        return Err(FrontError::bad_request(
            "mode can only be changed to shared when editing a draft",
        ));
    }
    let html = draft_body(&req.body, req.quote_body.as_deref());
    let conv_handle = d
        .conversation(&d.messages[idx].conversation_id)
        .map(|c| c.recipient_handle.clone())
        .unwrap_or_default();
    let m = &mut d.messages[idx];
    if let Some(subject) = req.subject {
        m.subject = subject;
    }
    if req.to.is_some() || req.cc.is_some() || req.bcc.is_some() {
        let to = req.to.unwrap_or_else(|| vec![conv_handle]);
        let mut recipients = vec![FrontRecipient {
            handle: inbox.address(),
            role: "from".to_owned(),
            name: Some(inbox.name.clone()),
        }];
        recipients.extend(addressed(
            &to,
            &req.cc.unwrap_or_default(),
            &req.bcc.unwrap_or_default(),
        ));
        m.recipients = recipients;
    }
    if req.author_id.is_some() {
        m.author_id = req.author_id;
    }
    if let Some(mode) = req.mode {
        m.draft_mode = Some(mode);
    }
    m.channel_id = Some(inbox.channel_id());
    m.text = strip_html(&html);
    m.body = html;
    m.version = Some(uuid::Uuid::new_v4().simple().to_string());
    let m = m.clone();
    ok_json(message_json(&s.url, &d, &m, true))
}

#[derive(Deserialize)]
struct DeleteDraft {
    version: Option<String>,
}

async fn delete_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: DeleteDraft = parse_json(&body)?;
    let mut d = lock(&s.data);
    let idx = draft_index(&d, &id)?;
    let version = req
        .version
        .ok_or_else(|| FrontError::bad_request("version is required to delete a draft"))?;
    check_version(d.messages[idx].version.as_deref(), Some(&version))?;
    d.messages.remove(idx);
    no_content()
}

#[derive(Deserialize)]
struct TagIds {
    tag_ids: Vec<String>,
}

async fn add_tags(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: TagIds = parse_json(&body)?;
    let mut d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    d.check_tags(&req.tag_ids)?;
    let mut added = Vec::new();
    if let Some(c) = d.conversation_mut(&id) {
        for t in req.tag_ids {
            if !c.tag_ids.contains(&t) {
                c.tag_ids.push(t.clone());
                added.push(t);
            }
        }
        c.updated_at = now_secs_f64();
    }
    for t in added {
        let target = d
            .tag(&t)
            .map(|tag| json!({"_meta": {"type": "tag"}, "data": tag_json(&s.url, tag)}))
            .unwrap_or(Value::Null);
        d.push_event("tag", &id, api_source(), target);
    }
    no_content()
}

async fn remove_tags(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: TagIds = parse_json(&body)?;
    let mut d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    d.check_tags(&req.tag_ids)?;
    let mut removed = Vec::new();
    if let Some(c) = d.conversation_mut(&id) {
        c.tag_ids.retain(|t| {
            let drop = req.tag_ids.contains(t);
            if drop {
                removed.push(t.clone());
            }
            !drop
        });
        c.updated_at = now_secs_f64();
    }
    for t in removed {
        let target = d
            .tag(&t)
            .map(|tag| json!({"_meta": {"type": "tag"}, "data": tag_json(&s.url, tag)}))
            .unwrap_or(Value::Null);
        d.push_event("untag", &id, api_source(), target);
    }
    no_content()
}

#[derive(Deserialize)]
struct CreateComment {
    author_id: Option<String>,
    body: String,
    is_pinned: Option<bool>,
}

async fn create_comment(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
    let req: CreateComment = parse_json(&body)?;
    if req.body.trim().is_empty() {
        return Err(FrontError::bad_request("body cannot be empty"));
    }
    let mut d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    let comment = FrontComment {
        id: lower_id("com", 8),
        conversation_id: id.clone(),
        author_id: req.author_id,
        body: req.body,
        is_pinned: req.is_pinned.unwrap_or(false),
        posted_at: now_secs_f64(),
    };
    let v = comment_json(&s.url, &comment);
    d.comments.push(comment);
    d.push_event(
        "comment",
        &id,
        api_source(),
        json!({"_meta": {"type": "comment"}, "data": v.clone()}),
    );
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn list_comments(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    let results = d
        .comments
        .iter()
        .filter(|c| c.conversation_id == id)
        .map(|c| comment_json(&s.url, c))
        .collect();
    ok_json(list(
        format!("{}/conversations/{id}/comments", s.url),
        results,
    ))
}

async fn list_events(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    conversation_or_404(&d, &id)?;
    // Newest first, as Front lists events.
    let results = d
        .events
        .iter()
        .rev()
        .filter(|e| e.conversation_id == id)
        .map(|e| event_json(&s.url, &d, e))
        .collect();
    ok_json(list(
        format!("{}/conversations/{id}/events", s.url),
        results,
    ))
}

/// `GET /events`: every event of the company, filtered by `q[after]`/`q[before]` (epoch
/// seconds), `q[types][]` and `q[inboxes][]`, sorted by `created_at` (`sort_order`, newest
/// first by default), paged by `limit` (at most 15, as Front) and an opaque `page_token`.
async fn list_all_events(
    State(s): St,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> FrontResult {
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let all = |k: &str| -> Vec<&str> {
        q.iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let time = |k: &str| -> Result<Option<f64>, FrontError> {
        get(k)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| FrontError::bad_request(format!("{k} must be a timestamp")))
            })
            .transpose()
    };
    let (after, before) = (time("q[after]")?, time("q[before]")?);
    let (types, inboxes) = (all("q[types][]"), all("q[inboxes][]"));
    let limit = match get("limit") {
        None => 15,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=15).contains(n))
            .ok_or_else(|| FrontError::bad_request("limit must be between 1 and 15"))?,
    };
    let offset = match get("page_token") {
        None => 0,
        Some(t) => t
            .strip_prefix("off")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| FrontError::bad_request("invalid page_token"))?,
    };
    let d = lock(&s.data);
    let mut matching: Vec<&EventRec> = d
        .events
        .iter()
        .filter(|e| after.is_none_or(|a| e.emitted_at > a))
        .filter(|e| before.is_none_or(|b| e.emitted_at < b))
        .filter(|e| types.is_empty() || types.contains(&e.kind.as_str()))
        .filter(|e| {
            inboxes.is_empty()
                || d.conversation(&e.conversation_id)
                    .is_some_and(|c| inboxes.contains(&c.inbox_id.as_str()))
        })
        .collect();
    matching.sort_by(|a, b| a.emitted_at.total_cmp(&b.emitted_at));
    if get("sort_order") != Some("asc") {
        matching.reverse();
    }
    let results: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| event_json(&s.url, &d, e))
        .collect();
    let next = (offset + limit < matching.len()).then(|| {
        format!(
            "{}/events?limit={limit}&page_token=off{}",
            s.url,
            offset + limit
        )
    });
    ok_json(json!({
        "_pagination": {"next": next},
        "_links": {"self": format!("{}/events", s.url)},
        "_results": results,
    }))
}

async fn get_event(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let e = d
        .events
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| FrontError::not_found(format!("Event {id} not found")))?;
    ok_json(event_json(&s.url, &d, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_round_trip_is_readable() {
        let html = text_to_html("Hi <team>,\nI was charged twice.\n\nThanks & bye");
        assert_eq!(
            html,
            "<div><p>Hi &lt;team&gt;,<br>I was charged twice.</p><p>Thanks &amp; bye</p></div>"
        );
        assert_eq!(
            strip_html(&html),
            "Hi <team>,\nI was charged twice.\nThanks & bye"
        );
    }

    #[test]
    fn blurb_is_collapsed_and_capped() {
        let long = "word ".repeat(50);
        let b = blurb(&long);
        assert_eq!(b.chars().count(), 100);
        assert!(!b.contains("  "));
    }
}

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

use serde_json::{Value, json};
use support_signing::front as front_sig;

use crate::server::{
    self, RequestLog, RequestRecord, Running, lock, lower_id, now_ms, now_secs_f64,
};

mod model;
mod render;
mod routes;

pub use model::{
    Delivery, FrontComment, FrontConversation, FrontMessage, FrontMessageKind, FrontRecipient,
    InboundMessage,
};

use model::*;
use render::*;
use routes::*;

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

    /// The webhook's (URL, secret), or an error before anything is stored if none is set.
    fn webhook(&self) -> anyhow::Result<(String, String)> {
        let hook = lock(&self.shared.webhook);
        let hook = hook
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no webhook set; call set_webhook first"))?;
        Ok((hook.url.clone(), hook.secret.clone()))
    }

    /// Create the contact, conversation and message for an inbound email, then POST the
    /// signed `inbound` event (a preview without `body`/`text`) to the webhook. Fails before
    /// touching state if no webhook is set; if the POST itself fails, the message stays
    /// stored, as it would in Front.
    pub async fn inject_inbound(&self, msg: InboundMessage) -> anyhow::Result<Delivery> {
        let (hook_url, secret) = self.webhook()?;
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
        let (hook_url, secret) = self.webhook()?;
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
            let payload = event_payload(&self.shared.url, &d, &event_id);
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

    /// A teammate archives the conversation in Front (it is resolved): the status changes
    /// and the signed `archive` event is POSTed to the webhook, source the teammate, no
    /// target, as Front sends it. `message_id` of the result is empty.
    pub async fn teammate_archives(&self, conversation_id: &str) -> anyhow::Result<Delivery> {
        let (hook_url, secret) = self.webhook()?;
        let (payload, event_id) = {
            let mut d = lock(&self.shared.data);
            let conv = d
                .conversation_mut(conversation_id)
                .ok_or_else(|| anyhow::anyhow!("unknown conversation {conversation_id}"))?;
            conv.status = "archived".to_owned();
            conv.updated_at = now_secs_f64();
            let event_id = d.push_event(
                "archive",
                conversation_id,
                json!({"_meta": {"type": "teammate"}, "data": {"id": "tea_fake_teammate", "email": "teammate@fake.test"}}),
                Value::Null,
            );
            let payload = event_payload(&self.shared.url, &d, &event_id);
            (payload, event_id)
        };
        let body = serde_json::to_vec(&payload)?;
        let (status, _) = self.shared.deliver(&hook_url, &secret, body, None).await?;
        Ok(Delivery {
            event_id,
            conversation_id: conversation_id.to_owned(),
            message_id: String::new(),
            status,
        })
    }

    /// Send Front's webhook validation request (`{"type":"sync",…}` with an
    /// `x-front-challenge` header, signed like every event) and return the receiver's status
    /// and body, so a test can check the challenge is echoed only after verification.
    pub async fn send_challenge(&self) -> anyhow::Result<(u16, String)> {
        let (hook_url, secret) = self.webhook()?;
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
    let payload = event_payload(url, data, &event_id);
    Ok((payload, conversation_id, message_id, event_id))
}

/// The webhook body of a stored event, as Front POSTs it.
fn event_payload(url: &str, d: &FrontData, event_id: &str) -> Value {
    d.events
        .iter()
        .find(|e| e.id == event_id)
        .map(|e| event_json(url, d, e))
        .unwrap_or(Value::Null)
}

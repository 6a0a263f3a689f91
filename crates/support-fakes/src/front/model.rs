//! The fake's state and data: messages, conversations, comments, inboxes, tags, events.

use std::sync::Mutex;

use serde_json::Value;

use crate::server::{RequestLog, lower_id, now_secs_f64};

use super::*;

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
pub(super) struct Inbox {
    pub(super) id: String,
    pub(super) name: String,
}

impl Inbox {
    fn suffix(&self) -> &str {
        self.id.strip_prefix("inb_").unwrap_or(&self.id)
    }
    pub(super) fn channel_id(&self) -> String {
        format!("cha_{}", self.suffix())
    }
    pub(super) fn address(&self) -> String {
        format!("{}@support.fake-front.test", self.suffix())
    }
}

#[derive(Debug, Clone)]
pub(super) struct Tag {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) highlight: Option<String>,
    pub(super) created_at: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Contact {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) handle: String,
}

#[derive(Debug, Clone)]
pub(super) struct EventRec {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) emitted_at: f64,
    pub(super) conversation_id: String,
    pub(super) source: Value,
    pub(super) target: Value,
}

#[derive(Debug, Default)]
pub(super) struct FrontData {
    pub(super) inboxes: Vec<Inbox>,
    pub(super) tags: Vec<Tag>,
    pub(super) contacts: Vec<Contact>,
    pub(super) conversations: Vec<FrontConversation>,
    pub(super) messages: Vec<FrontMessage>,
    pub(super) comments: Vec<FrontComment>,
    pub(super) events: Vec<EventRec>,
}

pub(super) struct Webhook {
    pub(super) url: String,
    pub(super) secret: String,
}

pub(super) struct FrontShared {
    pub(super) url: String,
    pub(super) token: String,
    pub(super) data: Mutex<FrontData>,
    pub(super) webhook: Mutex<Option<Webhook>>,
    pub(super) http: reqwest::Client,
    pub(super) log: RequestLog,
}

pub(super) fn open_status(assigned: bool) -> String {
    if assigned { "assigned" } else { "unassigned" }.to_owned()
}

impl FrontData {
    pub(super) fn conversation(&self, id: &str) -> Option<&FrontConversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    pub(super) fn conversation_mut(&mut self, id: &str) -> Option<&mut FrontConversation> {
        self.conversations.iter_mut().find(|c| c.id == id)
    }

    pub(super) fn inbox(&self, id: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.id == id)
    }

    pub(super) fn inbox_for_channel(&self, channel_id: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.channel_id() == channel_id)
    }

    pub(super) fn tag(&self, id: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    pub(super) fn push_event(
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

    pub(super) fn check_tags(&self, ids: &[String]) -> Result<(), FrontError> {
        match ids.iter().find(|id| self.tag(id).is_none()) {
            Some(id) => Err(FrontError::not_found(format!("Tag {id} not found"))),
            None => Ok(()),
        }
    }
}

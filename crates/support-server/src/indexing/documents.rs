//! The documents a conversation gives the index, built from what the platform stored: its
//! resolution (a `conversation` document, once Front archived it with a reply sent) and each
//! reply a teammate sent as we drafted it (a `response` document). Pure: the caller reads
//! the rows, this decides what is indexed, everything redacted.

use serde_json::{Map, Value};
use support_core::diff::{DiffClass, diff};
use support_core::redact::Redactor;
use support_retrieval::{DocType, Document, Metadata};
use support_store::actions::ActionRow;
use support_store::decisions::DecisionRow;
use support_store::{Conversation, Message};

/// How much of a conversation's text a document keeps: enough to recognise a similar case,
/// not the whole thread.
const CUSTOMER_CHARS: usize = 1_500;
const REPLY_CHARS: usize = 1_500;

/// Ledger kinds that are the conversation's paperwork rather than its resolution.
const NOT_A_RESOLUTION: [&str; 4] = [
    "draft_response",
    "add_comment",
    "escalate_to_human",
    "lookup_user",
];

/// One conversation as stored: the conversation row, its messages (oldest first), its
/// decisions and its ledger actions.
pub struct History<'a> {
    pub app_id: &'a str,
    pub conversation: &'a Conversation,
    pub messages: &'a [Message],
    pub decisions: &'a [DecisionRow],
    pub actions: &'a [ActionRow],
}

/// The id of a conversation's resolution document.
pub fn conversation_doc_id(conversation_id: &str) -> String {
    format!("conversation:{conversation_id}")
}

/// The id of a sent reply's document.
pub fn response_doc_id(message_id: &str) -> String {
    format!("response:{message_id}")
}

/// Every document the conversation gives the index now.
pub fn documents(h: &History<'_>) -> Vec<Document> {
    let redactor = Redactor::new(known_names(h));
    let mut out = Vec::new();
    if let Some(doc) = resolution(h, &redactor) {
        out.push(doc);
    }
    out.extend(responses(h, &redactor));
    out
}

/// The customer's names as the platform saw them: the address (and its local part) and
/// the display names on their messages, whole and word by word, so "Hi Ada," loses the
/// name as well as "Ada Lovelace" does.
fn known_names(h: &History<'_>) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(email) = &h.conversation.customer_email {
        names.push(email.clone());
        if let Some((local, _)) = email.split_once('@')
            && local.chars().count() >= 3
        {
            names.push(local.to_owned());
        }
    }
    for m in h.messages.iter().filter(|m| m.direction == "inbound") {
        if let Some(name) = m.author_name.as_deref().map(str::trim)
            && !name.is_empty()
        {
            names.push(name.to_owned());
            names.extend(
                name.split_whitespace()
                    .filter(|w| w.chars().count() >= 2)
                    .map(str::to_owned),
            );
        }
    }
    names.sort();
    names.dedup();
    names
}

fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn body(m: &Message) -> &str {
    m.body.as_deref().map(str::trim).unwrap_or_default()
}

/// The latest decision, which says what the conversation was about.
fn latest_decision<'a>(h: &History<'a>) -> Option<&'a DecisionRow> {
    h.decisions.last()
}

fn sentiment(d: Option<&DecisionRow>) -> &'static str {
    let angry = d.is_some_and(|d| {
        serde_json::from_str::<Vec<String>>(&d.signals)
            .is_ok_and(|s| s.iter().any(|s| s == "angry" || s == "legal_threat"))
    });
    if angry { "negative" } else { "neutral" }
}

/// `escalated` when the last decision handed it to a person, else the writes that succeeded
/// (`refund`, `magic_link`, …), else `replied`.
fn resolution_of(h: &History<'_>) -> String {
    if latest_decision(h).is_some_and(|d| d.routing.starts_with("escalate")) {
        return "escalated".to_owned();
    }
    let mut kinds: Vec<&str> = h
        .actions
        .iter()
        .filter(|a| a.state == "succeeded" && !NOT_A_RESOLUTION.contains(&a.kind.as_str()))
        .map(|a| a.kind.as_str())
        .collect();
    kinds.dedup();
    if kinds.is_empty() {
        "replied".to_owned()
    } else {
        kinds.join(",")
    }
}

/// A `conversation` document when Front archived the conversation after a reply was sent:
/// what the customer wrote and the last reply, with the category, the resolution, the
/// sentiment and how many replies a person sent.
fn resolution(h: &History<'_>, redactor: &Redactor) -> Option<Document> {
    let resolved_at = h.conversation.resolved_at?;
    let first_inbound = h
        .messages
        .iter()
        .position(|m| m.direction == "inbound" && !body(m).is_empty())?;
    let replies: Vec<&Message> = h.messages[first_inbound..]
        .iter()
        .filter(|m| m.direction == "outbound" && !body(m).is_empty())
        .collect();
    let last_reply = replies.last()?;
    let customer: Vec<&str> = h
        .messages
        .iter()
        .filter(|m| m.direction == "inbound")
        .map(body)
        .filter(|b| !b.is_empty())
        .collect();
    let customer = customer.join("\n\n");
    let text = format!(
        "{}\n\n{}\n\nReply: {}",
        h.conversation.subject.trim(),
        clip(&customer, CUSTOMER_CHARS),
        clip(body(last_reply), REPLY_CHARS)
    );
    let decision = latest_decision(h);
    let mut metadata = Metadata::new(DocType::Conversation, h.app_id);
    metadata.category = Some(
        decision
            .map_or("unknown", |d| d.category.as_str())
            .to_owned(),
    );
    metadata.resolution = Some(resolution_of(h));
    metadata.sentiment = Some(sentiment(decision).to_owned());
    metadata.source = Some("front".to_owned());
    metadata.title = Some(redactor.redact(h.conversation.subject.trim()));
    let mut extra = Map::new();
    extra.insert(
        "conversationId".into(),
        Value::from(h.conversation.id.as_str()),
    );
    extra.insert("touchCount".into(), Value::from(replies.len() as u64));
    extra.insert("messages".into(), Value::from(h.messages.len() as u64));
    extra.insert("resolvedAt".into(), Value::from(resolved_at));
    metadata.extra = extra;
    Some(Document {
        id: conversation_doc_id(&h.conversation.id),
        data: redactor.redact(&text),
        metadata,
    })
}

/// A `response` document for each reply a person sent as we drafted it (the spec's diff
/// says unmodified against one of the conversation's drafts). Its `trustScore` is how much
/// of the draft went out (above 0.95 by definition), the evidence one unmodified send
/// gives; the category is that of the decision that drafted it.
fn responses(h: &History<'_>, redactor: &Redactor) -> Vec<Document> {
    let drafts: Vec<(&ActionRow, String)> = h
        .actions
        .iter()
        .filter(|a| a.kind == "draft_response" && a.state == "succeeded")
        .filter_map(|a| {
            let params: Value = serde_json::from_str(&a.params).ok()?;
            Some((a, params.get("body")?.as_str()?.to_owned()))
        })
        .collect();
    let mut out = Vec::new();
    for sent in h.messages.iter().filter(|m| m.direction == "outbound") {
        let text = body(sent);
        if text.is_empty() {
            continue;
        }
        let best = drafts
            .iter()
            .map(|(action, draft)| (action, diff(draft, text)))
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
        let Some((action, d)) = best else { break };
        if d.class != DiffClass::Unmodified {
            continue;
        }
        let decision = h.decisions.iter().find(|x| x.trace_id == action.trace_id);
        let mut metadata = Metadata::new(DocType::Response, h.app_id);
        metadata.category = Some(
            decision
                .map_or("unknown", |x| x.category.as_str())
                .to_owned(),
        );
        metadata.trust_score = Some(d.score);
        metadata.source = Some("draft".to_owned());
        metadata.title = Some(redactor.redact(h.conversation.subject.trim()));
        let mut extra = Map::new();
        extra.insert(
            "conversationId".into(),
            Value::from(h.conversation.id.as_str()),
        );
        extra.insert("actionId".into(), Value::from(action.id.as_str()));
        extra.insert("diff".into(), Value::from(d.class.as_str()));
        extra.insert("sentAt".into(), Value::from(sent.created_at));
        metadata.extra = extra;
        out.push(Document {
            id: response_doc_id(&sent.id),
            data: redactor.redact(clip(text, REPLY_CHARS)),
            metadata,
        });
    }
    out
}

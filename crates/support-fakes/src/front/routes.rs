//! The HTTP layer: the axum router, auth, Front-shaped errors and the Core API handlers.

use std::sync::Arc;

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

use crate::server::{bearer, lock, lower_id, now_secs_f64};

use super::*;

// ---------------------------------------------------------------------------------------
// HTTP layer.

/// Front's error body: `{"_error":{"status":…,"title":…,"message":…}}`.
#[derive(Debug)]
pub(super) struct FrontError {
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
    pub(super) fn not_found(message: impl Into<String>) -> Self {
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

pub(super) fn router(shared: Arc<FrontShared>) -> Router {
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

pub(super) async fn require_token(State(s): St, req: Request, next: Next) -> Response {
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

pub(super) async fn fallback() -> Response {
    FrontError::not_found("Route not found").into_response()
}

pub(super) async fn list_inboxes(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.inboxes.iter().map(|i| inbox_json(&s.url, i)).collect();
    ok_json(list(format!("{}/inboxes", s.url), results))
}

pub(super) async fn get_inbox(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let inbox = d
        .inbox(&id)
        .ok_or_else(|| FrontError::not_found(format!("Inbox {id} not found")))?;
    ok_json(inbox_json(&s.url, inbox))
}

pub(super) async fn list_channels(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.inboxes.iter().map(|i| channel_json(&s.url, i)).collect();
    ok_json(list(format!("{}/channels", s.url), results))
}

pub(super) async fn list_tags(State(s): St) -> FrontResult {
    let d = lock(&s.data);
    let results = d.tags.iter().map(|t| tag_json(&s.url, t)).collect();
    ok_json(list(format!("{}/tags", s.url), results))
}

#[derive(Deserialize)]
struct CreateTag {
    name: String,
    highlight: Option<String>,
}

pub(super) async fn create_tag(State(s): St, body: Bytes) -> FrontResult {
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

pub(super) async fn get_contact(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let c = d
        .contacts
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| FrontError::not_found(format!("Contact {id} not found")))?;
    ok_json(contact_json(&s.url, c))
}

pub(super) async fn list_conversations(State(s): St) -> FrontResult {
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

pub(super) async fn get_conversation(State(s): St, Path(id): Path<String>) -> FrontResult {
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

pub(super) async fn update_conversation(
    State(s): St,
    Path(id): Path<String>,
    body: Bytes,
) -> FrontResult {
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

pub(super) async fn list_messages(State(s): St, Path(id): Path<String>) -> FrontResult {
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

pub(super) async fn get_message(State(s): St, Path(id): Path<String>) -> FrontResult {
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

pub(super) async fn create_reply(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn create_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn list_drafts(State(s): St, Path(id): Path<String>) -> FrontResult {
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

pub(super) async fn edit_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn delete_draft(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn add_tags(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn remove_tags(State(s): St, Path(id): Path<String>, body: Bytes) -> FrontResult {
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

pub(super) async fn create_comment(
    State(s): St,
    Path(id): Path<String>,
    body: Bytes,
) -> FrontResult {
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

pub(super) async fn list_comments(State(s): St, Path(id): Path<String>) -> FrontResult {
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

pub(super) async fn list_events(State(s): St, Path(id): Path<String>) -> FrontResult {
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
pub(super) async fn list_all_events(
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

pub(super) async fn get_event(State(s): St, Path(id): Path<String>) -> FrontResult {
    let d = lock(&s.data);
    let e = d
        .events
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| FrontError::not_found(format!("Event {id} not found")))?;
    ok_json(event_json(&s.url, &d, e))
}

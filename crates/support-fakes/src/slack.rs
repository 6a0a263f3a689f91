//! A fake Slack Web API (`chat.postMessage`, `chat.update`, `chat.postEphemeral`,
//! `views.open`, `auth.test`), so approval requests can be posted, updated and inspected on
//! loopback without a workspace.
//!
//! Like Slack, every method answers HTTP 200 with `{"ok":true,…}` or
//! `{"ok":false,"error":"…"}`, accepts `application/json` and
//! `application/x-www-form-urlencoded` bodies (in forms, `blocks` and `view` are JSON
//! strings), and takes the token from `Authorization: Bearer` or a `token` field.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::server::{
    self, RequestLog, RequestRecord, Running, bearer, header_str, lock, now_secs, parse_form,
    upper_token,
};

/// Workspace id the fake reports (`team_id`).
pub const TEAM_ID: &str = "T0FAKETEAM";
/// The bot's user id (`user` on posted messages).
pub const BOT_USER_ID: &str = "U0FAKEBOT";
/// The bot id (`bot_id` on posted messages).
pub const BOT_ID: &str = "B0FAKEBOT";
/// The app id (`app_id`).
pub const APP_ID: &str = "A0FAKEAPP";

/// Settings for [`FakeSlack::start`].
#[derive(Debug, Clone)]
pub struct FakeSlackConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The bot token clients must send.
    pub api_token: String,
}

impl Default for FakeSlackConfig {
    fn default() -> Self {
        FakeSlackConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_token: "xoxb-test-token".to_owned(),
        }
    }
}

/// An earlier version of a message, kept when `chat.update` replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackRevision {
    /// Text before the update.
    pub text: String,
    /// Blocks before the update.
    pub blocks: Option<Value>,
    /// When this version was replaced (`ts`-style).
    pub replaced_at: String,
}

/// A message posted with `chat.postMessage` (inspection view), with its update history so a
/// test can check an approval card was turned into "Approved by …".
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    /// Channel as given by the caller.
    pub channel: String,
    /// Message timestamp (its id within the channel).
    pub ts: String,
    /// Parent message if posted in a thread.
    pub thread_ts: Option<String>,
    /// Current text.
    pub text: String,
    /// Current Block Kit blocks.
    pub blocks: Option<Value>,
    /// Earlier versions, oldest first (empty if never updated).
    pub history: Vec<SlackRevision>,
}

/// A message sent with `chat.postEphemeral`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackEphemeral {
    /// Channel it was shown in.
    pub channel: String,
    /// The only user who sees it.
    pub user: String,
    /// `message_ts` returned to the caller.
    pub message_ts: String,
    /// Text.
    pub text: String,
    /// Blocks.
    pub blocks: Option<Value>,
}

/// A modal opened with `views.open`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackView {
    /// `V…` id Slack assigned.
    pub id: String,
    /// The trigger it was opened with.
    pub trigger_id: String,
    /// The view object as returned to the caller.
    pub view: Value,
}

#[derive(Default)]
struct SlackData {
    messages: Vec<SlackMessage>,
    ephemerals: Vec<SlackEphemeral>,
    views: Vec<SlackView>,
    /// Last issued ts in microseconds, so every ts is unique and increasing.
    last_ts_micros: i64,
}

impl SlackData {
    fn next_ts(&mut self) -> String {
        let now = now_secs().saturating_mul(1_000_000);
        let micros = now.max(self.last_ts_micros + 1);
        self.last_ts_micros = micros;
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }
}

struct SlackShared {
    token: String,
    data: Mutex<SlackData>,
}

/// A running fake Slack Web API.
pub struct FakeSlack {
    shared: Arc<SlackShared>,
    log: RequestLog,
    running: Running,
}

impl FakeSlack {
    /// Bind `config.bind` and start serving `/api/{method}`.
    pub async fn start(config: FakeSlackConfig) -> anyhow::Result<Self> {
        let bound = server::bind(config.bind).await?;
        let shared = Arc::new(SlackShared {
            token: config.api_token,
            data: Mutex::new(SlackData::default()),
        });
        let log = RequestLog::default();
        let router = Router::new()
            .route("/api/{method}", get(api).post(api))
            .with_state(shared.clone());
        let running = Running::spawn(bound, router, log.clone());
        Ok(FakeSlack {
            shared,
            log,
            running,
        })
    }

    /// Base URL, `http://127.0.0.1:PORT`; the platform calls `{url}/api/chat.postMessage`
    /// where it would call `https://slack.com/api/chat.postMessage`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }

    /// Messages posted so far, oldest first, each with its current content and history.
    pub fn messages(&self) -> Vec<SlackMessage> {
        lock(&self.shared.data).messages.clone()
    }

    /// Ephemeral messages, oldest first.
    pub fn ephemerals(&self) -> Vec<SlackEphemeral> {
        lock(&self.shared.data).ephemerals.clone()
    }

    /// Modals opened, oldest first.
    pub fn views(&self) -> Vec<SlackView> {
        lock(&self.shared.data).views.clone()
    }

    /// Every request received, in order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.log.snapshot()
    }
}

fn slack_ok(mut fields: Map<String, Value>) -> Response {
    fields.insert("ok".to_owned(), Value::Bool(true));
    (StatusCode::OK, axum::Json(Value::Object(fields))).into_response()
}

fn slack_err(error: &str) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"ok": false, "error": error})),
    )
        .into_response()
}

/// Merge query parameters and the body (JSON object or form) into one argument map, as
/// Slack does. Body values win over query values.
fn parse_args(
    headers: &HeaderMap,
    uri: &Uri,
    body: &Bytes,
) -> Result<Map<String, Value>, &'static str> {
    let mut args = Map::new();
    if let Some(q) = uri.query() {
        for (k, v) in parse_form(q).ok_or("invalid_form_data")? {
            args.insert(k, Value::String(v));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(args);
    }
    let content_type = header_str(headers, "content-type").unwrap_or("");
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => args.extend(map),
            _ => return Err("invalid_json"),
        }
    } else {
        let text = std::str::from_utf8(body).map_err(|_| "invalid_form_data")?;
        for (k, v) in parse_form(text).ok_or("invalid_form_data")? {
            args.insert(k, Value::String(v));
        }
    }
    Ok(args)
}

/// A string argument; numbers are accepted too since form callers sometimes send them bare.
fn arg_str(args: &Map<String, Value>, key: &str) -> Option<String> {
    match args.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON argument that may arrive as a JSON value (JSON bodies) or as a JSON-encoded string
/// (form bodies). `Err` if a string is not valid JSON.
fn arg_json(args: &Map<String, Value>, key: &str) -> Result<Option<Value>, ()> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| ()),
        Some(v) => Ok(Some(v.clone())),
    }
}

fn blocks_arg(args: &Map<String, Value>) -> Result<Option<Value>, &'static str> {
    match arg_json(args, "blocks") {
        Ok(Some(v @ Value::Array(_))) => Ok(Some(v)),
        Ok(None) => Ok(None),
        _ => Err("invalid_blocks"),
    }
}

fn message_json(ts: &str, text: &str, blocks: Option<&Value>, thread_ts: Option<&str>) -> Value {
    let mut m = json!({
        "type": "message",
        "text": text,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
        "bot_profile": {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": "Support (fake)",
            "icons": {"image_36": "", "image_48": "", "image_72": ""},
            "deleted": false,
            "updated": 0,
            "team_id": TEAM_ID,
        },
    });
    if let Value::Object(map) = &mut m {
        if let Some(b) = blocks {
            map.insert("blocks".to_owned(), b.clone());
        }
        if let Some(t) = thread_ts {
            map.insert("thread_ts".to_owned(), json!(t));
        }
    }
    m
}

async fn api(
    State(s): State<Arc<SlackShared>>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let handler: fn(&SlackShared, &Map<String, Value>) -> Response = match method.as_str() {
        "auth.test" => auth_test,
        "chat.postMessage" => post_message,
        "chat.update" => update_message,
        "chat.postEphemeral" => post_ephemeral,
        "views.open" => open_view,
        _ => return slack_err("unknown_method"),
    };
    let args = match parse_args(&headers, &uri, &body) {
        Ok(a) => a,
        Err(e) => return slack_err(e),
    };
    let token = bearer(&headers)
        .map(str::to_owned)
        .or_else(|| arg_str(&args, "token"));
    match token {
        None => slack_err("not_authed"),
        Some(t) if t != s.token => slack_err("invalid_auth"),
        Some(_) => handler(&s, &args),
    }
}

fn auth_test(_: &SlackShared, _: &Map<String, Value>) -> Response {
    let mut m = Map::new();
    m.insert("url".into(), json!("https://fake-workspace.slack.com/"));
    m.insert("team".into(), json!("Fake Workspace"));
    m.insert("user".into(), json!("support-bot"));
    m.insert("team_id".into(), json!(TEAM_ID));
    m.insert("user_id".into(), json!(BOT_USER_ID));
    m.insert("bot_id".into(), json!(BOT_ID));
    m.insert("is_enterprise_install".into(), json!(false));
    slack_ok(m)
}

fn post_message(s: &SlackShared, args: &Map<String, Value>) -> Response {
    let Some(channel) = arg_str(args, "channel") else {
        return slack_err("channel_not_found");
    };
    let blocks = match blocks_arg(args) {
        Ok(b) => b,
        Err(e) => return slack_err(e),
    };
    let text = arg_str(args, "text").unwrap_or_default();
    if text.is_empty() && blocks.is_none() && args.get("attachments").is_none() {
        return slack_err("no_text");
    }
    let thread_ts = arg_str(args, "thread_ts");
    let mut d = lock(&s.data);
    let ts = d.next_ts();
    d.messages.push(SlackMessage {
        channel: channel.clone(),
        ts: ts.clone(),
        thread_ts: thread_ts.clone(),
        text: text.clone(),
        blocks: blocks.clone(),
        history: Vec::new(),
    });
    let mut m = Map::new();
    m.insert("channel".into(), json!(channel));
    m.insert("ts".into(), json!(ts));
    m.insert(
        "message".into(),
        message_json(&ts, &text, blocks.as_ref(), thread_ts.as_deref()),
    );
    slack_ok(m)
}

fn update_message(s: &SlackShared, args: &Map<String, Value>) -> Response {
    let Some(channel) = arg_str(args, "channel") else {
        return slack_err("channel_not_found");
    };
    let Some(ts) = arg_str(args, "ts") else {
        return slack_err("message_not_found");
    };
    let blocks = match blocks_arg(args) {
        Ok(b) => b,
        Err(e) => return slack_err(e),
    };
    let text = arg_str(args, "text");
    if text.is_none() && blocks.is_none() && args.get("attachments").is_none() {
        return slack_err("no_text");
    }
    let mut d = lock(&s.data);
    let edited_ts = d.next_ts();
    let Some(msg) = d
        .messages
        .iter_mut()
        .find(|m| m.channel == channel && m.ts == ts)
    else {
        return slack_err("message_not_found");
    };
    msg.history.push(SlackRevision {
        text: msg.text.clone(),
        blocks: msg.blocks.clone(),
        replaced_at: edited_ts.clone(),
    });
    if let Some(t) = text {
        msg.text = t;
    }
    // Slack keeps the old blocks when only text is sent, and vice versa.
    if blocks.is_some() {
        msg.blocks = blocks;
    }
    let mut message = message_json(
        &msg.ts,
        &msg.text,
        msg.blocks.as_ref(),
        msg.thread_ts.as_deref(),
    );
    if let Value::Object(map) = &mut message {
        map.remove("ts");
        map.insert(
            "edited".into(),
            json!({"user": BOT_USER_ID, "ts": edited_ts}),
        );
    }
    let mut m = Map::new();
    m.insert("channel".into(), json!(msg.channel));
    m.insert("ts".into(), json!(msg.ts));
    m.insert("text".into(), json!(msg.text));
    m.insert("message".into(), message);
    slack_ok(m)
}

fn post_ephemeral(s: &SlackShared, args: &Map<String, Value>) -> Response {
    let Some(channel) = arg_str(args, "channel") else {
        return slack_err("channel_not_found");
    };
    let Some(user) = arg_str(args, "user") else {
        return slack_err("user_not_in_channel");
    };
    let blocks = match blocks_arg(args) {
        Ok(b) => b,
        Err(e) => return slack_err(e),
    };
    let text = arg_str(args, "text").unwrap_or_default();
    if text.is_empty() && blocks.is_none() && args.get("attachments").is_none() {
        return slack_err("no_text");
    }
    let mut d = lock(&s.data);
    let message_ts = d.next_ts();
    d.ephemerals.push(SlackEphemeral {
        channel,
        user,
        message_ts: message_ts.clone(),
        text,
        blocks,
    });
    let mut m = Map::new();
    m.insert("message_ts".into(), json!(message_ts));
    slack_ok(m)
}

fn open_view(s: &SlackShared, args: &Map<String, Value>) -> Response {
    let Some(trigger_id) = arg_str(args, "trigger_id") else {
        return slack_err("invalid_arguments");
    };
    let view = match arg_json(args, "view") {
        Ok(Some(Value::Object(v))) => v,
        _ => return slack_err("invalid_arguments"),
    };
    let kind = view.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != "modal" {
        return slack_err("invalid_arguments");
    }
    let id = format!("V{}", upper_token(10));
    let field = |k: &str, default: Value| view.get(k).cloned().unwrap_or(default);
    let rendered = json!({
        "id": id,
        "team_id": TEAM_ID,
        "type": kind,
        "title": field("title", Value::Null),
        "submit": field("submit", Value::Null),
        "close": field("close", Value::Null),
        "blocks": field("blocks", json!([])),
        "private_metadata": field("private_metadata", json!("")),
        "callback_id": field("callback_id", json!("")),
        "external_id": field("external_id", json!("")),
        "state": {"values": {}},
        "hash": format!("{}.{}", now_secs(), upper_token(8).to_ascii_lowercase()),
        "clear_on_close": field("clear_on_close", json!(false)),
        "notify_on_close": field("notify_on_close", json!(false)),
        "root_view_id": id,
        "previous_view_id": null,
        "app_id": APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    });
    lock(&s.data).views.push(SlackView {
        id,
        trigger_id,
        view: rendered.clone(),
    });
    let mut m = Map::new();
    m.insert("view".into(), rendered);
    slack_ok(m)
}

//! [`FrontClient`], the reqwest implementation of [`FrontApi`].
//!
//! Rate limits: Front answers 429 with `Retry-After` (seconds). Reads (`GET`) wait that long,
//! capped at [`MAX_RATE_LIMIT_WAIT`], and try again up to [`MAX_READ_RETRIES`] times. Writes
//! never retry here: they come back as [`FrontError::RateLimited`] so the workflow, which owns
//! retries and their audit trail, sends them again.
//!
//! Redirects are not followed: Front answers 301 for a merged conversation, and following it
//! would turn a POST into a GET. The 301 comes back as [`FrontError::Status`] with the new
//! location in the message.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use crate::{
    DraftRequest, FrontApi, FrontChannel, FrontConversation, FrontDraft, FrontError,
    FrontEventSummary, FrontMessage, FrontTag, ReplyRequest,
};

/// How many times a read is sent again after a 429 before giving up with
/// [`FrontError::RateLimited`].
pub const MAX_READ_RETRIES: u32 = 3;

/// The longest a read waits for one 429 before trying again, whatever `Retry-After` says.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(5);

/// Wait used when a 429 carries neither `Retry-After` nor `X-RateLimit-Reset`.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// Page size asked for on paginated lists (Front's maximum).
const PAGE_LIMIT: &str = "100";

/// Stop following `_pagination.next` after this many pages (newest entries come first).
const MAX_PAGES: usize = 50;

const MAX_ID_LEN: usize = 255;

/// The real client: bearer token, base URL from config (Front's is `https://api2.frontapp.com`).
///
/// The workspace builds reqwest with `rustls-no-provider`: install a rustls crypto provider
/// before calling [`FrontClient::new`].
pub struct FrontClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
    max_read_retries: u32,
    max_wait: Duration,
}

impl fmt::Debug for FrontClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontClient")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("max_read_retries", &self.max_read_retries)
            .field("max_wait", &self.max_wait)
            .finish()
    }
}

impl FrontClient {
    pub fn new(base_url: &str, token: &str) -> Result<Self, FrontError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FrontError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            max_read_retries: MAX_READ_RETRIES,
            max_wait: MAX_RATE_LIMIT_WAIT,
        })
    }

    /// Change how reads handle 429: retry at most `max_read_retries` times, waiting at most
    /// `max_wait` each time (defaults [`MAX_READ_RETRIES`] and [`MAX_RATE_LIMIT_WAIT`]).
    pub fn with_rate_limit_policy(mut self, max_read_retries: u32, max_wait: Duration) -> Self {
        self.max_read_retries = max_read_retries;
        self.max_wait = max_wait;
        self
    }

    /// Send one request (retrying 429s on GETs) and return the 2xx body text.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<String, FrontError> {
        let url = format!("{}{path}", self.base_url);
        let retries = if method == Method::GET {
            self.max_read_retries
        } else {
            0
        };
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.token)
                .header(reqwest::header::ACCEPT, "application/json");
            if !query.is_empty() {
                req = req.query(query);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| FrontError::Transport(e.to_string()))?;
            let status = resp.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = retry_after(resp.headers());
                if attempt < retries {
                    attempt += 1;
                    let wait = retry_after
                        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
                        .min(self.max_wait);
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(FrontError::RateLimited { retry_after });
            }
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = resp
                .text()
                .await
                .map_err(|e| FrontError::Transport(e.to_string()))?;
            if status.is_success() {
                return Ok(text);
            }
            return Err(status_error(status.as_u16(), location.as_deref(), &text));
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, FrontError> {
        let text = self.send(Method::GET, path, query, None).await?;
        decode(&text)
    }

    /// GET a Front list, following `_pagination.next` by its `page_token` (always against our
    /// own base URL, so the token never goes to a host taken from a response).
    async fn get_list<T: DeserializeOwned>(
        &self,
        path: &str,
        paginated: bool,
    ) -> Result<Vec<T>, FrontError> {
        self.get_list_with(path, paginated, PAGE_LIMIT, &[]).await
    }

    /// [`Self::get_list`] with a page size and extra query pairs (filters), sent on every page.
    async fn get_list_with<T: DeserializeOwned>(
        &self,
        path: &str,
        paginated: bool,
        limit: &str,
        extra: &[(&str, &str)],
    ) -> Result<Vec<T>, FrontError> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, &str)> = extra.to_vec();
            if paginated {
                query.push(("limit", limit));
            }
            if let Some(t) = &page_token {
                query.push(("page_token", t));
            }
            let page: Page<T> = self.get_json(path, &query).await?;
            out.extend(page.results);
            let next = page.pagination.and_then(|p| p.next);
            page_token = match next.as_deref().map(page_token_of).transpose()? {
                Some(Some(t)) => Some(t),
                _ => break,
            };
        }
        Ok(out)
    }
}

/// `_error.message` (or `_error.title`, or the start of the body) as a [`FrontError::Status`].
fn status_error(status: u16, location: Option<&str>, body: &str) -> FrontError {
    let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
    let from_error = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v["_error"][key].as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut message = from_error("message")
        .or_else(|| from_error("title"))
        .unwrap_or_else(|| body.chars().take(200).collect());
    if let Some(loc) = location
        && (300..400).contains(&status)
    {
        message = if message.is_empty() {
            format!("moved to {loc}")
        } else {
            format!("{message} (moved to {loc})")
        };
    }
    FrontError::Status { status, message }
}

/// `Retry-After` in seconds (integer or decimal); else the time left until
/// `X-RateLimit-Reset` (a Unix timestamp in seconds).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header_f64 = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    if let Some(secs) = header_f64("retry-after") {
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let reset = header_f64("x-ratelimit-reset")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some(Duration::from_secs_f64((reset - now).clamp(0.0, 86_400.0)))
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, FrontError> {
    serde_json::from_str(text).map_err(|e| FrontError::Decode(e.to_string()))
}

/// The `page_token` of a `_pagination.next` link; `None` if the link has none.
fn page_token_of(next: &str) -> Result<Option<String>, FrontError> {
    let url = reqwest::Url::parse(next)
        .map_err(|e| FrontError::Decode(format!("bad _pagination.next link: {e}")))?;
    Ok(url
        .query_pairs()
        .find(|(k, _)| k == "page_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty()))
}

// ---------------------------------------------------------------------------------------
// Input validation (before anything is sent).

/// `value` must be `prefix` followed by at least one ASCII letter, digit or underscore, which
/// keeps it safe to put in a URL path.
fn validate_id(what: &str, value: &str, prefix: &str) -> Result<(), FrontError> {
    let ok = value.len() <= MAX_ID_LEN
        && value.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(FrontError::Invalid(format!(
            "{what} must look like {prefix}…: got {value:?}"
        )))
    }
}

fn validate_conversation(id: &str) -> Result<(), FrontError> {
    validate_id("conversation id", id, "cnv_")
}

fn validate_channel(id: &str) -> Result<(), FrontError> {
    validate_id("channel id", id, "cha_")
}

fn validate_tags(ids: &[String]) -> Result<(), FrontError> {
    ids.iter()
        .try_for_each(|t| validate_id("tag id", t, "tag_"))
}

/// A message id (letters, digits, `_`) or `alt:uid:<message_uid>`.
fn validate_message(id: &str) -> Result<(), FrontError> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= MAX_ID_LEN
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let ok = match id.strip_prefix("alt:uid:") {
        Some(uid) => plain(uid),
        None => plain(id),
    };
    if ok {
        Ok(())
    } else {
        Err(FrontError::Invalid(format!(
            "message id must be msg_… or alt:uid:…: got {id:?}"
        )))
    }
}

fn validate_body(what: &str, body: &str) -> Result<(), FrontError> {
    if body.trim().is_empty() {
        Err(FrontError::Invalid(format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

fn validate_handles(to: Option<&[String]>) -> Result<(), FrontError> {
    match to {
        Some([]) => Err(FrontError::Invalid(
            "to must name at least one recipient (or be left out)".to_owned(),
        )),
        Some(list) if list.iter().any(|h| h.trim().is_empty()) => Err(FrontError::Invalid(
            "recipient handles must not be empty".to_owned(),
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Wire shapes (the fields we read).

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(rename = "_results")]
    results: Vec<T>,
    #[serde(rename = "_pagination", default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct RawConversation {
    id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    subject: String,
    #[serde(default, deserialize_with = "null_as_default")]
    status: String,
    #[serde(default)]
    recipient: Option<RawRecipient>,
    #[serde(default, deserialize_with = "null_as_default")]
    tags: Vec<RawTag>,
    #[serde(default)]
    inbox_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    inboxes: Vec<IdOnly>,
}

#[derive(Deserialize)]
struct RawRecipient {
    #[serde(default)]
    handle: Option<String>,
}

#[derive(Deserialize)]
struct RawTag {
    id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
}

impl From<RawConversation> for FrontConversation {
    fn from(r: RawConversation) -> Self {
        let mut inbox_ids: Vec<String> = r.inbox_id.into_iter().collect();
        for i in r.inboxes {
            if !inbox_ids.contains(&i.id) {
                inbox_ids.push(i.id);
            }
        }
        FrontConversation {
            id: r.id,
            subject: r.subject,
            status: r.status,
            recipient_handle: r.recipient.and_then(|x| x.handle),
            inbox_ids,
            tags: r
                .tags
                .into_iter()
                .map(|t| FrontTag {
                    id: t.id,
                    name: t.name,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct RawChannel {
    id: String,
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    kind: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "_links", default)]
    links: Option<RawChannelLinks>,
}

#[derive(Deserialize)]
struct RawChannelLinks {
    #[serde(default)]
    related: Option<RawChannelRelated>,
}

#[derive(Deserialize)]
struct RawChannelRelated {
    #[serde(default)]
    inbox: Option<String>,
}

impl From<RawChannel> for FrontChannel {
    fn from(r: RawChannel) -> Self {
        // `_links.related.inbox` is `…/inboxes/inb_xxx`; the id is its last path segment.
        let inbox_id = r
            .links
            .and_then(|l| l.related)
            .and_then(|rel| rel.inbox)
            .and_then(|link| {
                let path = link.split(['?', '#']).next().unwrap_or("");
                path.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .filter(|s| s.starts_with("inb_"))
                    .map(str::to_owned)
            });
        FrontChannel {
            id: r.id,
            inbox_id,
            kind: r.kind,
            address: r.address,
            name: r.name,
        }
    }
}

#[derive(Deserialize)]
struct RawDraft {
    id: String,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Accepted {
    message_uid: String,
}

// ---------------------------------------------------------------------------------------
// The trait.

#[async_trait::async_trait]
impl FrontApi for FrontClient {
    async fn get_message(&self, message_id: &str) -> Result<FrontMessage, FrontError> {
        validate_message(message_id)?;
        self.get_json(&format!("/messages/{message_id}"), &[]).await
    }

    async fn get_conversation(
        &self,
        conversation_id: &str,
    ) -> Result<FrontConversation, FrontError> {
        validate_conversation(conversation_id)?;
        let raw: RawConversation = self
            .get_json(&format!("/conversations/{conversation_id}"), &[])
            .await?;
        Ok(raw.into())
    }

    async fn list_channels(&self) -> Result<Vec<FrontChannel>, FrontError> {
        let raw: Vec<RawChannel> = self.get_list("/channels", false).await?;
        Ok(raw.into_iter().map(FrontChannel::from).collect())
    }

    async fn create_draft(
        &self,
        conversation_id: &str,
        draft: &DraftRequest,
    ) -> Result<FrontDraft, FrontError> {
        validate_conversation(conversation_id)?;
        validate_channel(&draft.channel_id)?;
        validate_body("draft body", &draft.body)?;
        validate_handles(draft.to.as_deref())?;
        let body = serde_json::to_value(draft).map_err(|e| FrontError::Invalid(e.to_string()))?;
        let text = self
            .send(
                Method::POST,
                &format!("/conversations/{conversation_id}/drafts"),
                &[],
                Some(&body),
            )
            .await?;
        let raw: RawDraft = decode(&text)?;
        Ok(FrontDraft {
            id: raw.id,
            version: raw.version,
        })
    }

    async fn reply(
        &self,
        conversation_id: &str,
        reply: &ReplyRequest,
    ) -> Result<String, FrontError> {
        validate_conversation(conversation_id)?;
        if let Some(ch) = &reply.channel_id {
            validate_channel(ch)?;
        }
        validate_body("reply body", &reply.body)?;
        validate_handles(reply.to.as_deref())?;
        let body = serde_json::to_value(reply).map_err(|e| FrontError::Invalid(e.to_string()))?;
        let text = self
            .send(
                Method::POST,
                &format!("/conversations/{conversation_id}/messages"),
                &[],
                Some(&body),
            )
            .await?;
        let accepted: Accepted = decode(&text)?;
        Ok(accepted.message_uid)
    }

    async fn add_tags(&self, conversation_id: &str, tag_ids: &[String]) -> Result<(), FrontError> {
        validate_conversation(conversation_id)?;
        validate_tags(tag_ids)?;
        if tag_ids.is_empty() {
            return Ok(());
        }
        self.send(
            Method::POST,
            &format!("/conversations/{conversation_id}/tags"),
            &[],
            Some(&json!({ "tag_ids": tag_ids })),
        )
        .await
        .map(drop)
    }

    async fn remove_tags(
        &self,
        conversation_id: &str,
        tag_ids: &[String],
    ) -> Result<(), FrontError> {
        validate_conversation(conversation_id)?;
        validate_tags(tag_ids)?;
        if tag_ids.is_empty() {
            return Ok(());
        }
        self.send(
            Method::DELETE,
            &format!("/conversations/{conversation_id}/tags"),
            &[],
            Some(&json!({ "tag_ids": tag_ids })),
        )
        .await
        .map(drop)
    }

    async fn add_comment(&self, conversation_id: &str, body: &str) -> Result<String, FrontError> {
        validate_conversation(conversation_id)?;
        validate_body("comment body", body)?;
        let text = self
            .send(
                Method::POST,
                &format!("/conversations/{conversation_id}/comments"),
                &[],
                Some(&json!({ "body": body })),
            )
            .await?;
        let comment: IdOnly = decode(&text)?;
        Ok(comment.id)
    }

    async fn list_conversation_events(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<FrontEventSummary>, FrontError> {
        validate_conversation(conversation_id)?;
        self.get_list(&format!("/conversations/{conversation_id}/events"), true)
            .await
    }

    async fn list_events_since(
        &self,
        after_secs: f64,
        types: &[&str],
    ) -> Result<Vec<serde_json::Value>, FrontError> {
        if !after_secs.is_finite() || after_secs < 0.0 {
            return Err(FrontError::Invalid(format!(
                "events after {after_secs}: not a time"
            )));
        }
        let after = format!("{after_secs:.3}");
        let mut query = vec![
            ("q[after]", after.as_str()),
            ("sort_by", "created_at"),
            ("sort_order", "asc"),
        ];
        query.extend(types.iter().map(|t| ("q[types][]", *t)));
        // `GET /events` pages hold at most 15 events.
        self.get_list_with("/events", true, "15", &query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(validate_conversation("cnv_abc123").is_ok());
        for bad in [
            "", "cnv_", "msg_abc", "cnv_a/b", "cnv_a?x", "cnv_../x", "CNV_a",
        ] {
            assert!(
                matches!(validate_conversation(bad), Err(FrontError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(validate_channel("cha_demo").is_ok());
        assert!(validate_channel("cnv_demo").is_err());
        assert!(validate_tags(&["tag_refund".to_owned()]).is_ok());
        assert!(validate_tags(&["tag_ok".to_owned(), "refund".to_owned()]).is_err());
        assert!(validate_message("msg_1").is_ok());
        assert!(validate_message("alt:uid:1eab543f").is_ok());
        assert!(validate_message("alt:uid:").is_err());
        assert!(validate_message("msg/1").is_err());
        assert!(validate_id("x", &format!("cnv_{}", "a".repeat(300)), "cnv_").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_or_reset() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.remove("retry-after");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        h.insert("x-ratelimit-reset", (now + 30).to_string().parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(31),
            "{d:?}"
        );
        h.insert("x-ratelimit-reset", (now - 30).to_string().parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn error_bodies_are_mapped() {
        let e = status_error(
            404,
            None,
            r#"{"_error":{"status":404,"title":"Not Found","message":"Conversation cnv_x not found"}}"#,
        );
        assert!(
            matches!(&e, FrontError::Status { status: 404, message } if message == "Conversation cnv_x not found")
        );
        assert!(!e.is_transient());
        let e = status_error(502, None, "<html>bad gateway</html>");
        assert!(
            matches!(&e, FrontError::Status { status: 502, message } if message.contains("bad gateway"))
        );
        assert!(e.is_transient());
        let e = status_error(
            301,
            Some("https://api2.frontapp.com/conversations/cnv_new"),
            "",
        );
        assert!(
            matches!(&e, FrontError::Status { status: 301, message } if message == "moved to https://api2.frontapp.com/conversations/cnv_new")
        );
        assert!(FrontError::RateLimited { retry_after: None }.is_transient());
        assert!(!FrontError::Invalid("x".into()).is_transient());
    }

    #[test]
    fn page_tokens_come_from_next_links() {
        assert_eq!(
            page_token_of("https://acme.api.frontapp.com/conversations/cnv_1/events?limit=100&page_token=ab%2Bc")
                .unwrap()
                .as_deref(),
            Some("ab+c")
        );
        assert_eq!(page_token_of("https://x.test/events").unwrap(), None);
        assert!(page_token_of("not a url").is_err());
    }

    #[test]
    fn channel_inbox_comes_from_links() {
        let raw: RawChannel = serde_json::from_value(json!({
            "id": "cha_1", "type": "smtp", "address": "a@b.test",
            "_links": {"related": {"inbox": "https://x.test/inboxes/inb_9/"}}
        }))
        .unwrap();
        let ch = FrontChannel::from(raw);
        assert_eq!(ch.inbox_id.as_deref(), Some("inb_9"));
        assert_eq!(ch.kind, "smtp");
        let raw: RawChannel = serde_json::from_value(
            json!({"id": "cha_2", "type": "custom", "_links": {"related": {"inbox": null}}}),
        )
        .unwrap();
        assert_eq!(FrontChannel::from(raw).inbox_id, None);
    }
}

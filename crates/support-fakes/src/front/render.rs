//! Front's JSON shapes for every resource, and the text helpers (HTML, blurbs).

use serde_json::{Value, json};

use super::*;

// ---------------------------------------------------------------------------------------
// JSON rendering, in Front's shapes.

pub(super) fn list(self_url: String, results: Vec<Value>) -> Value {
    json!({
        "_pagination": {"next": null},
        "_links": {"self": self_url},
        "_results": results,
    })
}

pub(super) fn inbox_json(url: &str, inbox: &Inbox) -> Value {
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

pub(super) fn channel_json(url: &str, inbox: &Inbox) -> Value {
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

pub(super) fn tag_json(url: &str, tag: &Tag) -> Value {
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

pub(super) fn contact_json(url: &str, c: &Contact) -> Value {
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

pub(super) fn conversation_json(url: &str, data: &FrontData, c: &FrontConversation) -> Value {
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
pub(super) fn message_json(url: &str, data: &FrontData, m: &FrontMessage, full: bool) -> Value {
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

pub(super) fn comment_json(url: &str, c: &FrontComment) -> Value {
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

pub(super) fn event_json(url: &str, data: &FrontData, e: &EventRec) -> Value {
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

pub(super) fn api_source() -> Value {
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
pub(super) fn text_to_html(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect();
    format!("<div>{}</div>", paragraphs.join(""))
}

/// A rough HTML-to-text for the `text` field of drafts and replies.
pub(super) fn strip_html(html: &str) -> String {
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

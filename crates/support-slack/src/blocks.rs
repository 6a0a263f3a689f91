//! Block Kit for approval requests: the card a reviewer sees ([`approval_blocks`]) and what
//! replaces its buttons once someone decided ([`outcome_blocks`], [`decided_blocks`]).
//!
//! Everything taken from the card (summary, reasoning, parameters) is escaped for `mrkdwn`
//! (`&`, `<`, `>`), since it may quote customer text, and cut to Slack's length limits so a
//! long reasoning never makes `chat.postMessage` fail with `invalid_blocks`.

use serde_json::{Value, json};

/// `action_id` of the Approve button; its `value` is the card's action id.
pub const APPROVE_ACTION_ID: &str = "approve";
/// `action_id` of the Reject button; its `value` is the card's action id.
pub const REJECT_ACTION_ID: &str = "reject";
/// `action_id` of the "Open in Front" link button. Slack still sends a `block_actions`
/// payload when it is clicked; acknowledge it and do nothing.
pub const OPEN_IN_FRONT_ACTION_ID: &str = "open_front";

/// `block_id` of the actions block.
const ACTIONS_BLOCK_ID: &str = "approval_actions";

// Slack's documented limits.
const HEADER_MAX: usize = 150;
const SECTION_TEXT_MAX: usize = 3000;
const FIELD_MAX: usize = 2000;
const MAX_FIELDS: usize = 10;
const BUTTON_VALUE_MAX: usize = 2000;
const URL_MAX: usize = 3000;
const CONFIRM_TITLE_MAX: usize = 100;
const CONFIRM_TEXT_MAX: usize = 300;

/// What a reviewer needs to decide on one proposed action.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalCard {
    /// Our action id; carried as the buttons' `value`.
    pub action_id: String,
    /// The action kind (`refund`, `reply`, `tag` …).
    pub kind: String,
    /// One line saying what will happen.
    pub summary: String,
    /// Why the agent proposes it.
    pub reason: String,
    /// The action's parameters (shown as fields for a small object, else as JSON).
    pub params: Value,
    /// Link to the conversation in Front; the button is left out unless it is an
    /// `http(s)://` URL of at most 3000 characters.
    pub front_url: Option<String>,
}

/// Escape `&`, `<` and `>` so text shows literally in `mrkdwn` (and cannot ping `@here` or
/// forge links).
pub fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, ending in `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": truncate(text, max), "emoji": true})
}

fn mrkdwn(text: &str, max: usize) -> Value {
    json!({"type": "mrkdwn", "text": truncate(text, max)})
}

/// A parameter value as one line of text: strings bare, anything else as compact JSON.
fn param_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The parameters, as section fields for an object of 1 to 10 entries, else as a JSON code
/// block; `None` when there is nothing to show.
fn params_block(params: &Value) -> Option<Value> {
    match params {
        Value::Null => None,
        Value::Object(map) if map.is_empty() => None,
        Value::Object(map) if map.len() <= MAX_FIELDS => {
            let fields: Vec<Value> = map
                .iter()
                .map(|(k, v)| {
                    let text = format!("*{}*\n{}", escape_mrkdwn(k), escape_mrkdwn(&param_text(v)));
                    mrkdwn(&text, FIELD_MAX)
                })
                .collect();
            Some(json!({
                "type": "section",
                "text": mrkdwn("*Parameters*", SECTION_TEXT_MAX),
                "fields": fields,
            }))
        }
        other => {
            let pretty = serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string());
            // Keep the closing fence even when the JSON is cut.
            let body = truncate(&escape_mrkdwn(&pretty).replace("```", "'''"), 2900);
            Some(json!({
                "type": "section",
                "text": mrkdwn(&format!("*Parameters*\n```{body}```"), SECTION_TEXT_MAX),
            }))
        }
    }
}

fn front_url(card: &ApprovalCard) -> Option<&str> {
    card.front_url.as_deref().filter(|u| {
        (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() <= URL_MAX
            && !u.chars().any(char::is_whitespace)
    })
}

/// Header, summary with reasoning, parameters and the action-id context: the card without
/// its buttons.
fn card_body(card: &ApprovalCard) -> Vec<Value> {
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": plain(&format!("Approval needed: {}", card.kind), HEADER_MAX),
        }),
        json!({
            "type": "section",
            "text": mrkdwn(
                &format!(
                    "*{}*\n*Reasoning:* {}",
                    escape_mrkdwn(&card.summary),
                    escape_mrkdwn(&card.reason)
                ),
                SECTION_TEXT_MAX,
            ),
        }),
    ];
    blocks.extend(params_block(&card.params));
    blocks
}

fn action_context(action_id: &str) -> Value {
    json!({
        "type": "context",
        "elements": [mrkdwn(&format!("Action `{}`", escape_mrkdwn(action_id)), SECTION_TEXT_MAX)],
    })
}

/// The approval request: a header, a section with the summary and reasoning, the parameters,
/// a context line with the action id, and an actions block with **Approve** (primary, with a
/// confirmation dialog), **Reject** (danger) and, when [`ApprovalCard::front_url`] is usable,
/// an **Open in Front** link button. Approve and Reject carry the action id as `value`.
pub fn approval_blocks(card: &ApprovalCard) -> Value {
    let value = truncate(&card.action_id, BUTTON_VALUE_MAX);
    let mut buttons = vec![
        json!({
            "type": "button",
            "action_id": APPROVE_ACTION_ID,
            "text": plain("Approve", 75),
            "style": "primary",
            "value": value,
            "confirm": {
                "title": plain(&format!("Approve this {}?", card.kind), CONFIRM_TITLE_MAX),
                "text": mrkdwn(&escape_mrkdwn(&card.summary), CONFIRM_TEXT_MAX),
                "confirm": plain("Approve", 30),
                "deny": plain("Cancel", 30),
            },
        }),
        json!({
            "type": "button",
            "action_id": REJECT_ACTION_ID,
            "text": plain("Reject", 75),
            "style": "danger",
            "value": value,
        }),
    ];
    if let Some(url) = front_url(card) {
        buttons.push(json!({
            "type": "button",
            "action_id": OPEN_IN_FRONT_ACTION_ID,
            "text": plain("Open in Front", 75),
            "url": url,
        }));
    }
    let mut blocks = card_body(card);
    blocks.push(action_context(&card.action_id));
    blocks.push(json!({
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": buttons,
    }));
    Value::Array(blocks)
}

/// The notification / fallback `text` to send with [`approval_blocks`].
pub fn approval_fallback_text(card: &ApprovalCard) -> String {
    truncate(
        &format!(
            "Approval needed: {}: {}",
            escape_mrkdwn(&card.kind),
            escape_mrkdwn(&card.summary)
        ),
        SECTION_TEXT_MAX,
    )
}

/// What replaces the buttons after a decision: a section with `outcome_text` and the
/// action-id context. `outcome_text` is `mrkdwn` as given (so `<@U123>` mentions work):
/// escape untrusted parts with [`escape_mrkdwn`].
pub fn outcome_blocks(action_id: &str, outcome_text: &str) -> Value {
    json!([
        {"type": "section", "text": mrkdwn(outcome_text, SECTION_TEXT_MAX)},
        action_context(action_id),
    ])
}

/// The card after a decision, for `chat.update` (which replaces every block): the card's
/// header, summary and parameters followed by [`outcome_blocks`] instead of the buttons.
pub fn decided_blocks(card: &ApprovalCard, outcome_text: &str) -> Value {
    let mut blocks = card_body(card);
    if let Value::Array(outcome) = outcome_blocks(&card.action_id, outcome_text) {
        blocks.extend(outcome);
    }
    Value::Array(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> ApprovalCard {
        ApprovalCard {
            action_id: "act_1".into(),
            kind: "refund".into(),
            summary: "Refund $25.00".into(),
            reason: "Charged twice".into(),
            params: json!({"amount": 2500}),
            front_url: Some("https://app.frontapp.com/open/cnv_1".into()),
        }
    }

    fn buttons(blocks: &Value) -> Vec<Value> {
        blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .map(|b| b["elements"].as_array().unwrap().clone())
            .unwrap_or_default()
    }

    #[test]
    fn untrusted_text_is_escaped_and_cut() {
        let mut c = card();
        c.summary = "<!channel> refund & more".into();
        c.reason = "x".repeat(5000);
        let blocks = approval_blocks(&c);
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(section.starts_with("*&lt;!channel&gt; refund &amp; more*"));
        assert_eq!(section.chars().count(), SECTION_TEXT_MAX);
        assert!(section.ends_with('…'));
    }

    #[test]
    fn front_button_only_for_http_urls() {
        assert_eq!(buttons(&approval_blocks(&card())).len(), 3);
        for bad in [
            None,
            Some("javascript:alert(1)"),
            Some("https://x.test/a b"),
        ] {
            let mut c = card();
            c.front_url = bad.map(str::to_owned);
            let b = buttons(&approval_blocks(&c));
            assert_eq!(b.len(), 2, "{bad:?}");
            assert_eq!(b[0]["action_id"], APPROVE_ACTION_ID);
            assert_eq!(b[1]["action_id"], REJECT_ACTION_ID);
        }
    }

    #[test]
    fn params_fall_back_to_json() {
        let mut c = card();
        c.params = json!([1, 2]);
        let blocks = approval_blocks(&c);
        let text = blocks[2]["text"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("*Parameters*\n```") && text.ends_with("```"),
            "{text}"
        );
        c.params = Value::Null;
        let blocks = approval_blocks(&c);
        assert_eq!(blocks[2]["type"], "context");
    }

    #[test]
    fn decided_blocks_drop_the_buttons() {
        let blocks = decided_blocks(&card(), "*Approved* by <@U1>");
        assert!(buttons(&blocks).is_empty());
        let arr = blocks.as_array().unwrap();
        assert_eq!(arr[0]["type"], "header");
        assert_eq!(arr[arr.len() - 2]["text"]["text"], "*Approved* by <@U1>");
        assert_eq!(arr[arr.len() - 1]["type"], "context");
    }
}

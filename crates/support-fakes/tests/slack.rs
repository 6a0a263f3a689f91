//! Fake Slack over real HTTP: JSON and form bodies, updates with history, modals, errors.

use serde_json::{Value, json};
use support_fakes::{FakeSlack, FakeSlackConfig};

const TOKEN: &str = "xoxb-test-token";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A fake Slack with the default token, an HTTP client and the fake's base URL.
async fn start() -> (FakeSlack, reqwest::Client, String) {
    let slack = FakeSlack::start(FakeSlackConfig::default())
        .await
        .expect("start");
    let url = slack.url();
    (slack, client(), url)
}

async fn call_json(http: &reqwest::Client, url: &str, method: &str, body: Value) -> Value {
    let resp = http
        .post(format!("{url}/api/{method}"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200, "Slack answers 200 even for errors");
    resp.json().await.expect("json")
}

async fn call_form(
    http: &reqwest::Client,
    url: &str,
    method: &str,
    form: &[(&str, &str)],
) -> Value {
    let resp = http
        .post(format!("{url}/api/{method}"))
        .form(form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}

fn approval_blocks(text: &str) -> Value {
    json!([
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": "approval", "elements": [
            {"type": "button", "action_id": "approve", "value": "act_1",
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": "reject", "value": "act_1",
             "text": {"type": "plain_text", "text": "Reject"}}
        ]}
    ])
}

#[tokio::test]
async fn post_message_json_and_form_then_update_keeps_history() {
    let (slack, http, url) = start().await;

    let blocks = approval_blocks("Refund $25.00 to ada@example.com?");
    let posted = call_json(
        &http,
        &url,
        "chat.postMessage",
        json!({"channel": "C0APPROVALS", "text": "Refund approval needed", "blocks": blocks}),
    )
    .await;
    assert_eq!(posted["ok"], true);
    assert_eq!(posted["channel"], "C0APPROVALS");
    let ts = posted["ts"].as_str().expect("ts").to_owned();
    let (secs, micros) = ts.split_once('.').expect("ts has a dot");
    assert!(secs.parse::<u64>().expect("secs") > 1_700_000_000);
    assert_eq!(micros.len(), 6);
    assert_eq!(posted["message"]["text"], "Refund approval needed");
    assert_eq!(posted["message"]["ts"], ts.as_str());
    assert_eq!(posted["message"]["blocks"], blocks);
    assert_eq!(posted["message"]["bot_id"], support_fakes::slack::BOT_ID);

    // Form-encoded, with blocks as a JSON string and the token in the body.
    let form_blocks = approval_blocks("Second request").to_string();
    let posted2 = call_form(
        &http,
        &url,
        "chat.postMessage",
        &[
            ("token", TOKEN),
            ("channel", "C0APPROVALS"),
            ("text", "Another approval"),
            ("blocks", &form_blocks),
            ("thread_ts", &ts),
        ],
    )
    .await;
    assert_eq!(posted2["ok"], true);
    let ts2 = posted2["ts"].as_str().expect("ts").to_owned();
    assert_ne!(ts, ts2);
    assert_eq!(posted2["message"]["thread_ts"], ts.as_str());
    assert_eq!(
        posted2["message"]["blocks"][0]["text"]["text"],
        "Second request"
    );

    let msgs = slack.messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].thread_ts.as_deref(), Some(ts.as_str()));
    assert_eq!(
        msgs[1].blocks.as_ref().expect("blocks")[1]["elements"][0]["action_id"],
        "approve"
    );

    // Update the first card to its decided state.
    let decided =
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U123>"}}]);
    let updated = call_json(
        &http,
        &url,
        "chat.update",
        json!({"channel": "C0APPROVALS", "ts": ts, "text": "Approved", "blocks": decided}),
    )
    .await;
    assert_eq!(updated["ok"], true);
    assert_eq!(updated["ts"], ts.as_str());
    assert_eq!(updated["text"], "Approved");
    assert_eq!(updated["message"]["blocks"], decided);
    assert!(updated["message"]["edited"]["ts"].is_string());

    let msgs = slack.messages();
    assert_eq!(msgs[0].text, "Approved");
    assert_eq!(msgs[0].blocks.as_ref(), Some(&decided));
    assert_eq!(msgs[0].history.len(), 1);
    assert_eq!(msgs[0].history[0].text, "Refund approval needed");
    assert_eq!(msgs[0].history[0].blocks.as_ref(), Some(&blocks));

    // Update via form too.
    let again = call_form(
        &http,
        &url,
        "chat.update",
        &[
            ("token", TOKEN),
            ("channel", "C0APPROVALS"),
            ("ts", &ts),
            ("text", "Approved and refunded"),
        ],
    )
    .await;
    assert_eq!(again["ok"], true);
    let msgs = slack.messages();
    assert_eq!(msgs[0].text, "Approved and refunded");
    assert_eq!(msgs[0].blocks.as_ref(), Some(&decided), "blocks kept");
    assert_eq!(msgs[0].history.len(), 2);

    slack.shutdown().await;
}

#[tokio::test]
async fn errors_use_slack_shapes() {
    let (slack, http, url) = start().await;

    let missing_channel = call_json(&http, &url, "chat.postMessage", json!({"text": "hi"})).await;
    assert_eq!(
        missing_channel,
        json!({"ok": false, "error": "channel_not_found"})
    );

    let no_text = call_json(&http, &url, "chat.postMessage", json!({"channel": "C1"})).await;
    assert_eq!(no_text["error"], "no_text");

    let bad_blocks = call_form(
        &http,
        &url,
        "chat.postMessage",
        &[("token", TOKEN), ("channel", "C1"), ("blocks", "[not json")],
    )
    .await;
    assert_eq!(bad_blocks["error"], "invalid_blocks");

    let unknown_ts = call_json(
        &http,
        &url,
        "chat.update",
        json!({"channel": "C1", "ts": "1767225600.000100", "text": "x"}),
    )
    .await;
    assert_eq!(
        unknown_ts,
        json!({"ok": false, "error": "message_not_found"})
    );

    let not_authed = http
        .post(format!("{url}/api/chat.postMessage"))
        .json(&json!({"channel": "C1", "text": "hi"}))
        .send()
        .await
        .expect("send");
    assert_eq!(not_authed.status(), 200);
    let v: Value = not_authed.json().await.expect("json");
    assert_eq!(v, json!({"ok": false, "error": "not_authed"}));

    let invalid = http
        .post(format!("{url}/api/auth.test"))
        .bearer_auth("xoxb-wrong")
        .send()
        .await
        .expect("send")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(invalid, json!({"ok": false, "error": "invalid_auth"}));

    let unknown = call_json(&http, &url, "chat.nope", json!({})).await;
    assert_eq!(unknown["error"], "unknown_method");

    let bad_json = http
        .post(format!("{url}/api/chat.postMessage"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .expect("send")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(bad_json["error"], "invalid_json");

    assert!(slack.messages().is_empty(), "nothing stored on errors");
    assert!(
        slack
            .request_log()
            .iter()
            .any(|r| r.path == "/api/chat.update" && r.body.contains("1767225600.000100"))
    );

    slack.shutdown().await;
}

#[tokio::test]
async fn auth_test_ephemeral_and_views_open() {
    let (slack, http, url) = start().await;

    let me = call_json(&http, &url, "auth.test", json!({})).await;
    assert_eq!(me["ok"], true);
    assert_eq!(me["team_id"], support_fakes::slack::TEAM_ID);
    assert_eq!(me["user_id"], support_fakes::slack::BOT_USER_ID);

    let eph = call_json(
        &http,
        &url,
        "chat.postEphemeral",
        json!({"channel": "C1", "user": "U123", "text": "Only you can see this"}),
    )
    .await;
    assert_eq!(eph["ok"], true);
    let ephs = slack.ephemerals();
    assert_eq!(ephs.len(), 1);
    assert_eq!(ephs[0].user, "U123");
    assert_eq!(eph["message_ts"], ephs[0].message_ts.as_str());

    let view = json!({
        "type": "modal",
        "callback_id": "reject_reason",
        "private_metadata": "act_1",
        "title": {"type": "plain_text", "text": "Reject refund"},
        "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why?"},
                    "element": {"type": "plain_text_input", "action_id": "reason"}}]
    });
    let view_str = view.to_string();
    let opened = call_form(
        &http,
        &url,
        "views.open",
        &[
            ("token", TOKEN),
            ("trigger_id", "123.456.abc"),
            ("view", &view_str),
        ],
    )
    .await;
    assert_eq!(opened["ok"], true);
    let id = opened["view"]["id"].as_str().expect("view id");
    assert!(id.starts_with('V'));
    assert_eq!(opened["view"]["callback_id"], "reject_reason");
    assert_eq!(opened["view"]["private_metadata"], "act_1");
    assert_eq!(opened["view"]["blocks"], view["blocks"]);
    let views = slack.views();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].trigger_id, "123.456.abc");
    assert_eq!(views[0].id, id);

    let no_trigger = call_json(&http, &url, "views.open", json!({"view": view})).await;
    assert_eq!(no_trigger["ok"], false);
    assert_eq!(slack.views().len(), 1);

    slack.shutdown().await;
}

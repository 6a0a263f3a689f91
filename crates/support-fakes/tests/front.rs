//! Fake Front over real HTTP: signed application webhooks into a receiver that verifies them
//! with `support_signing::front`, then the Core API round trips.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use support_fakes::{FakeFront, FakeFrontConfig, FrontMessageKind, InboundMessage};
use support_signing::front as front_sig;

const SECRET: &str = "front-app-secret";
const TOKEN: &str = "front-test-token";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A tiny webhook receiver that verifies before it records, like the real intake must.
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<Bytes>>>,
    rejected: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers
        .get(front_sig::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let ts = headers
        .get(front_sig::TIMESTAMP_HEADER)
        .and_then(|v| v.to_str().ok());
    if front_sig::verify(sig, ts, &body, &[SECRET.as_bytes()], now_ms()).is_err() {
        *r.rejected.lock().expect("lock") += 1;
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    r.bodies.lock().expect("lock").push(body);
    if let Some(challenge) = headers
        .get(front_sig::CHALLENGE_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return axum::Json(json!({ "challenge": challenge })).into_response();
    }
    StatusCode::OK.into_response()
}

async fn start_receiver() -> (String, Receiver, tokio::task::JoinHandle<()>) {
    let receiver = Receiver::default();
    let app = Router::new()
        .route("/front", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/front"), receiver, task)
}

fn inbound(subject: &str, text: &str) -> InboundMessage {
    InboundMessage {
        inbox_id: None,
        conversation_id: None,
        from_email: "ada@example.com".into(),
        from_name: Some("Ada Lovelace".into()),
        subject: subject.into(),
        body_text: text.into(),
    }
}

#[tokio::test]
async fn inbound_webhook_is_a_signed_preview_and_the_body_is_fetched_separately() {
    let front = FakeFront::start(FakeFrontConfig::default())
        .await
        .expect("start");
    let (hook, receiver, task) = start_receiver().await;
    front.set_webhook(hook, SECRET.into());

    let body_text = "Hello,\nI was charged twice for my order #1234. Could you refund one of them?\n\nThanks, Ada";
    let delivery = front
        .inject_inbound(inbound("Double charge", body_text))
        .await
        .expect("deliver");
    assert_eq!(delivery.status, 200);
    assert_eq!(*receiver.rejected.lock().expect("lock"), 0);

    let bodies = receiver.bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 1);
    let event: Value = serde_json::from_slice(&bodies[0]).expect("json event");
    assert_eq!(event["type"], "inbound");
    assert_eq!(event["id"], delivery.event_id.as_str());
    assert!(delivery.event_id.starts_with("evt_"));
    assert!(event["emitted_at"].is_f64());
    let conv = &event["conversation"];
    assert_eq!(conv["id"], delivery.conversation_id.as_str());
    assert!(delivery.conversation_id.starts_with("cnv_"));
    assert_eq!(conv["subject"], "Double charge");
    assert_eq!(conv["status"], "unassigned");
    assert_eq!(conv["recipient"]["handle"], "ada@example.com");
    assert_eq!(conv["recipient"]["role"], "from");
    assert_eq!(
        conv["_links"]["self"],
        format!("{}/conversations/{}", front.url(), delivery.conversation_id).as_str()
    );
    assert_eq!(event["source"]["_meta"]["type"], "inboxes");
    assert_eq!(event["source"]["data"][0]["id"], "inb_demo");
    assert_eq!(event["source"]["data"][0]["name"], "Demo Support");
    assert_eq!(event["target"]["_meta"]["type"], "message");
    let preview = &event["target"]["data"];
    assert_eq!(preview["id"], delivery.message_id.as_str());
    assert_eq!(preview["type"], "email");
    assert_eq!(preview["is_inbound"], true);
    assert!(preview["author"].is_null());
    assert_eq!(preview["subject"], "Double charge");
    assert!(
        preview["blurb"]
            .as_str()
            .expect("blurb")
            .starts_with("Hello, I was charged twice")
    );
    assert!(preview["blurb"].as_str().expect("blurb").chars().count() <= 100);
    assert_eq!(preview["recipients"][0]["handle"], "ada@example.com");
    assert_eq!(preview["recipients"][0]["role"], "from");
    assert_eq!(preview["recipients"][0]["name"], "Ada Lovelace");
    let preview_obj = preview.as_object().expect("object");
    assert!(
        !preview_obj.contains_key("body"),
        "preview must not carry body"
    );
    assert!(
        !preview_obj.contains_key("text"),
        "preview must not carry text"
    );

    // The receiver has to fetch the full message.
    let http = client();
    let msg: Value = http
        .get(format!("{}/messages/{}", front.url(), delivery.message_id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get message")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("json");
    assert_eq!(msg["text"], body_text);
    let html = msg["body"].as_str().expect("body html");
    assert!(html.contains("<p>Hello,<br>I was charged twice for my order #1234."));
    assert!(html.contains("Thanks, Ada"));

    // Conversation and its message list agree with the inspection view.
    let convs = front.conversations();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].recipient_handle, "ada@example.com");
    let list: Value = http
        .get(format!(
            "{}/conversations/{}/messages",
            front.url(),
            delivery.conversation_id
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(list["_pagination"]["next"].is_null());
    assert_eq!(list["_results"].as_array().expect("results").len(), 1);
    assert_eq!(list["_results"][0]["text"], body_text);

    // A follow-up from the customer lands in the same conversation.
    let mut follow = inbound("Re: Double charge", "Any news?");
    follow.conversation_id = Some(delivery.conversation_id.clone());
    let second = front.inject_inbound(follow).await.expect("deliver 2");
    assert_eq!(second.conversation_id, delivery.conversation_id);
    assert_ne!(second.event_id, delivery.event_id);
    assert_eq!(front.messages(&delivery.conversation_id).len(), 2);
    assert_eq!(front.conversations().len(), 1);

    front.shutdown().await;
    task.abort();
}

#[tokio::test]
async fn webhooks_signed_with_the_wrong_secret_are_refused_and_challenge_is_echoed() {
    let front = FakeFront::start(FakeFrontConfig::default())
        .await
        .expect("start");
    // No webhook yet: injecting is an error and creates nothing.
    assert!(front.inject_inbound(inbound("x", "y")).await.is_err());
    assert!(front.conversations().is_empty());

    let (hook, receiver, task) = start_receiver().await;
    front.set_webhook(hook.clone(), "some-other-secret".into());
    let d = front
        .inject_inbound(inbound("Hi", "text"))
        .await
        .expect("deliver");
    assert_eq!(d.status, 401);
    assert_eq!(*receiver.rejected.lock().expect("lock"), 1);
    // The message exists in Front even though the webhook failed.
    assert_eq!(front.messages(&d.conversation_id).len(), 1);

    front.set_webhook(hook, SECRET.into());
    let (status, body) = front.send_challenge().await.expect("challenge");
    assert_eq!(status, 200);
    let echoed: Value = serde_json::from_str(&body).expect("json");
    let challenge = echoed["challenge"].as_str().expect("challenge string");
    assert!(!challenge.is_empty());
    let bodies = receiver.bodies.lock().expect("lock").clone();
    let sync: Value = serde_json::from_slice(bodies.last().expect("one body")).expect("json");
    assert_eq!(
        sync,
        json!({"type": "sync", "authorization": {"id": "cmp_fake"}})
    );

    front.shutdown().await;
    task.abort();
}

async fn setup_conversation() -> (FakeFront, String, tokio::task::JoinHandle<()>) {
    let front = FakeFront::start(FakeFrontConfig::default())
        .await
        .expect("start");
    let (hook, _receiver, task) = start_receiver().await;
    front.set_webhook(hook, SECRET.into());
    let d = front
        .inject_inbound(inbound("Refund please", "Please refund order 42."))
        .await
        .expect("deliver");
    (front, d.conversation_id, task)
}

#[tokio::test]
async fn drafts_tags_replies_comments_and_status_round_trip() {
    let (front, cnv, task) = setup_conversation().await;
    let http = client();
    let url = front.url();

    // --- drafts
    let resp = http
        .post(format!("{url}/conversations/{cnv}/drafts"))
        .bearer_auth(TOKEN)
        .json(
            &json!({"body": "<p>Draft one</p>", "channel_id": "cha_demo", "author_id": "tea_bot"}),
        )
        .send()
        .await
        .expect("create draft");
    assert_eq!(resp.status(), 200);
    let draft: Value = resp.json().await.expect("json");
    let draft_id = draft["id"].as_str().expect("id").to_owned();
    let v1 = draft["version"].as_str().expect("version").to_owned();
    assert_eq!(draft["draft_mode"], "private");
    assert_eq!(draft["is_inbound"], false);
    assert_eq!(draft["body"], "<p>Draft one</p>");
    assert_eq!(draft["text"], "Draft one");
    assert_eq!(draft["author"]["id"], "tea_bot");
    assert_eq!(draft["subject"], "Re: Refund please");

    // channel_id is required, as in Front's spec.
    let resp = http
        .post(format!("{url}/conversations/{cnv}/drafts"))
        .bearer_auth(TOKEN)
        .json(&json!({"body": "no channel"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);

    let listed: Value = http
        .get(format!("{url}/conversations/{cnv}/drafts"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list drafts")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["_results"].as_array().expect("arr").len(), 1);
    assert_eq!(front.drafts(&cnv).len(), 1);
    assert!(
        front
            .messages(&cnv)
            .iter()
            .all(|m| m.kind != FrontMessageKind::Draft)
    );

    let stale = http
        .patch(format!("{url}/drafts/{draft_id}"))
        .bearer_auth(TOKEN)
        .json(&json!({"body": "edit", "channel_id": "cha_demo", "version": "not-the-version"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(stale.status(), 409);
    let err: Value = stale.json().await.expect("json");
    assert_eq!(err["_error"]["status"], 409);

    let edited: Value = http
        .patch(format!("{url}/drafts/{draft_id}"))
        .bearer_auth(TOKEN)
        .json(&json!({"body": "<p>Draft two</p>", "channel_id": "cha_demo", "version": v1, "mode": "shared"}))
        .send()
        .await
        .expect("patch")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("json");
    let v2 = edited["version"].as_str().expect("version").to_owned();
    assert_ne!(v1, v2);
    assert_eq!(edited["draft_mode"], "shared");
    assert_eq!(front.drafts(&cnv)[0].body, "<p>Draft two</p>");

    let del_stale = http
        .delete(format!("{url}/drafts/{draft_id}"))
        .bearer_auth(TOKEN)
        .json(&json!({"version": v1}))
        .send()
        .await
        .expect("delete");
    assert_eq!(del_stale.status(), 409);
    let del = http
        .delete(format!("{url}/drafts/{draft_id}"))
        .bearer_auth(TOKEN)
        .json(&json!({"version": v2}))
        .send()
        .await
        .expect("delete");
    assert_eq!(del.status(), 204);
    assert!(front.drafts(&cnv).is_empty());

    // --- tags
    let resp = http
        .post(format!("{url}/conversations/{cnv}/tags"))
        .bearer_auth(TOKEN)
        .json(&json!({"tag_ids": ["tag_refund", "tag_billing"]}))
        .send()
        .await
        .expect("tag");
    assert_eq!(resp.status(), 204);
    assert_eq!(front.tags(&cnv), vec!["tag_refund", "tag_billing"]);
    let conv: Value = http
        .get(format!("{url}/conversations/{cnv}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get conv")
        .json()
        .await
        .expect("json");
    assert_eq!(conv["tags"][0]["id"], "tag_refund");
    assert_eq!(conv["tags"][0]["name"], "refund");

    let unknown = http
        .post(format!("{url}/conversations/{cnv}/tags"))
        .bearer_auth(TOKEN)
        .json(&json!({"tag_ids": ["tag_nope"]}))
        .send()
        .await
        .expect("tag");
    assert_eq!(unknown.status(), 404);
    let resp = http
        .delete(format!("{url}/conversations/{cnv}/tags"))
        .bearer_auth(TOKEN)
        .json(&json!({"tag_ids": ["tag_billing"]}))
        .send()
        .await
        .expect("untag");
    assert_eq!(resp.status(), 204);
    assert_eq!(front.tags(&cnv), vec!["tag_refund"]);

    // --- reply (Front answers 202 accepted + message_uid, and archives by default)
    let resp = http
        .post(format!("{url}/conversations/{cnv}/messages"))
        .bearer_auth(TOKEN)
        .json(&json!({"body": "<p>Refunded, sorry!</p>", "author_id": "tea_bot"}))
        .send()
        .await
        .expect("reply");
    assert_eq!(resp.status(), 202);
    let accepted: Value = resp.json().await.expect("json");
    assert_eq!(accepted["status"], "accepted");
    let uid = accepted["message_uid"].as_str().expect("uid").to_owned();
    let replies = front.replies(&cnv);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].body, "<p>Refunded, sorry!</p>");
    assert_eq!(replies[0].text, "Refunded, sorry!");
    assert_eq!(replies[0].message_uid, uid);
    assert!(
        replies[0]
            .recipients
            .iter()
            .any(|r| r.role == "to" && r.handle == "ada@example.com")
    );
    let by_alias: Value = http
        .get(format!("{url}/messages/alt:uid:{uid}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get by uid")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("json");
    assert_eq!(by_alias["id"], replies[0].id.as_str());
    assert_eq!(by_alias["is_inbound"], false);
    assert_eq!(front.conversations()[0].status, "archived");

    // --- reopen, then archive via PATCH
    let resp = http
        .patch(format!("{url}/conversations/{cnv}"))
        .bearer_auth(TOKEN)
        .json(&json!({"status": "open"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status(), 204);
    assert_eq!(front.conversations()[0].status, "unassigned");
    let bad = http
        .patch(format!("{url}/conversations/{cnv}"))
        .bearer_auth(TOKEN)
        .json(&json!({"status": "snoozed-forever"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(bad.status(), 400);

    // --- comment
    let resp = http
        .post(format!("{url}/conversations/{cnv}/comments"))
        .bearer_auth(TOKEN)
        .json(&json!({"body": "Refund re_123 issued by policy", "author_id": "tea_bot"}))
        .send()
        .await
        .expect("comment");
    assert_eq!(resp.status(), 201);
    let comment: Value = resp.json().await.expect("json");
    assert!(comment["id"].as_str().expect("id").starts_with("com_"));
    assert_eq!(front.comments(&cnv).len(), 1);

    // --- events, newest first
    let events: Value = http
        .get(format!("{url}/conversations/{cnv}/events"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = events["_results"]
        .as_array()
        .expect("arr")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "comment",
            "reopen",
            "archive",
            "out_reply",
            "untag",
            "tag",
            "tag",
            "inbound"
        ]
    );

    front.shutdown().await;
    task.abort();
}

#[tokio::test]
async fn auth_not_found_and_malformed_bodies_use_front_error_shape() {
    let (front, cnv, task) = setup_conversation().await;
    let http = client();
    let url = front.url();

    let resp = http
        .get(format!("{url}/inboxes"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["_error"]["status"], 401);
    assert_eq!(err["_error"]["title"], "Unauthorized");
    assert!(err["_error"]["message"].is_string());

    let resp = http
        .get(format!("{url}/conversations/{cnv}"))
        .bearer_auth("wrong-token")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);

    let resp = http
        .get(format!("{url}/conversations/cnv_doesnotexist"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["_error"]["status"], 404);
    assert_eq!(err["_error"]["title"], "Not Found");

    let resp = http
        .get(format!("{url}/messages/msg_nope"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);

    let resp = http
        .post(format!("{url}/conversations/{cnv}/messages"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"body\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["_error"]["status"], 400);
    assert!(front.replies(&cnv).is_empty());

    let inboxes: Value = http
        .get(format!("{url}/inboxes"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(inboxes["_links"]["self"], format!("{url}/inboxes").as_str());
    assert_eq!(inboxes["_results"][0]["id"], "inb_demo");
    assert_eq!(
        inboxes["_results"][0]["_links"]["self"],
        format!("{url}/inboxes/inb_demo").as_str()
    );

    let log = front.request_log();
    assert!(
        log.iter().any(|r| r.method == "GET"
            && r.path == "/inboxes"
            && r.header("authorization").is_none())
    );
    let bad = log
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .expect("logged post");
    assert_eq!(bad.body, "{\"body\": ");

    front.shutdown().await;
    task.abort();
}

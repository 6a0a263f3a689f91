//! `FrontClient` over real HTTP against `support_fakes::FakeFront` (and, for rate limits and
//! pagination, a tiny scripted server).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;
use support_fakes::{FakeFront, FakeFrontConfig, InboundMessage};
use support_front::{DraftRequest, FrontApi, FrontClient, FrontError, ReplyRequest, pick_channel};

const TOKEN: &str = "front-test-token";

fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serve `router` on a free loopback port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

/// A webhook receiver that accepts everything (the fake needs one to inject a message).
async fn start_fake_with_conversation() -> (FakeFront, String, String) {
    install_provider();
    let fake = FakeFront::start(FakeFrontConfig::default()).await.unwrap();
    let hook = serve(Router::new().route("/hook", post(|| async { StatusCode::OK }))).await;
    fake.set_webhook(format!("{hook}/hook"), "app-secret".into());
    let delivery = fake
        .inject_inbound(InboundMessage {
            from_email: "ada@example.com".into(),
            from_name: Some("Ada".into()),
            subject: "Charged twice".into(),
            body_text: "Hi, I was charged twice for order 1042.".into(),
            ..InboundMessage::default()
        })
        .await
        .unwrap();
    assert_eq!(delivery.status, 200);
    (fake, delivery.conversation_id, delivery.message_id)
}

fn client(url: &str) -> FrontClient {
    FrontClient::new(url, TOKEN).unwrap()
}

#[tokio::test]
async fn conversation_workflow_against_the_fake() {
    let (fake, cnv, msg) = start_fake_with_conversation().await;
    let front = client(&fake.url());

    // get_message keeps working.
    let m = front.get_message(&msg).await.unwrap();
    assert_eq!(m.from_handle(), Some("ada@example.com"));
    assert!(m.text.unwrap().contains("charged twice"));

    // Conversation.
    let conv = front.get_conversation(&cnv).await.unwrap();
    assert_eq!(conv.id, cnv);
    assert_eq!(conv.subject, "Charged twice");
    assert_eq!(conv.status, "unassigned");
    assert_eq!(conv.recipient_handle.as_deref(), Some("ada@example.com"));
    assert!(conv.tags.is_empty());

    // Channels, and picking the draft channel for the conversation's inbox.
    let channels = front.list_channels().await.unwrap();
    assert_eq!(channels.len(), 1);
    let ch = &channels[0];
    assert_eq!(ch.id, "cha_demo");
    assert_eq!(ch.inbox_id.as_deref(), Some("inb_demo"));
    assert_eq!(ch.kind, "smtp");
    assert_eq!(ch.address.as_deref(), Some("demo@support.fake-front.test"));
    let none: [&str; 0] = [];
    let picked = pick_channel(&channels, &["inb_demo"], &none).unwrap();
    assert_eq!(picked.id, "cha_demo");

    // Draft.
    let draft = front
        .create_draft(
            &cnv,
            &DraftRequest {
                body: "<p>Sorry about that, refunding now.</p>".into(),
                channel_id: picked.id.clone(),
                to: None,
                author_id: Some("tea_agent".into()),
            },
        )
        .await
        .unwrap();
    assert!(draft.id.starts_with("msg_"), "{draft:?}");
    assert!(draft.version.as_deref().is_some_and(|v| !v.is_empty()));
    let drafts = fake.drafts(&cnv);
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, draft.id);
    assert_eq!(drafts[0].version, draft.version);
    assert_eq!(drafts[0].body, "<p>Sorry about that, refunding now.</p>");
    assert_eq!(drafts[0].channel_id.as_deref(), Some("cha_demo"));
    assert_eq!(drafts[0].author_id.as_deref(), Some("tea_agent"));
    assert!(
        drafts[0]
            .recipients
            .iter()
            .any(|r| r.role == "to" && r.handle == "ada@example.com")
    );

    // Tags.
    front
        .add_tags(&cnv, &["tag_refund".into(), "tag_billing".into()])
        .await
        .unwrap();
    assert_eq!(fake.tags(&cnv), ["tag_refund", "tag_billing"]);
    front
        .remove_tags(&cnv, &["tag_billing".into()])
        .await
        .unwrap();
    assert_eq!(fake.tags(&cnv), ["tag_refund"]);
    let conv = front.get_conversation(&cnv).await.unwrap();
    assert_eq!(conv.tag_ids(), ["tag_refund"]);
    assert_eq!(conv.tags[0].name, "refund");
    // Empty lists send nothing.
    let before = fake.request_log().len();
    front.add_tags(&cnv, &[]).await.unwrap();
    front.remove_tags(&cnv, &[]).await.unwrap();
    assert_eq!(fake.request_log().len(), before);

    // Comment.
    let com = front
        .add_comment(&cnv, "Agent proposes a $25 refund; waiting for approval.")
        .await
        .unwrap();
    assert!(com.starts_with("com_"), "{com}");
    let comments = fake.comments(&cnv);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].id, com);
    assert_eq!(
        comments[0].body,
        "Agent proposes a $25 refund; waiting for approval."
    );

    // Reply: 202 with a message_uid, resolvable through the alt:uid alias.
    let uid = front
        .reply(
            &cnv,
            &ReplyRequest {
                body: "<p>Refunded, sorry again.</p>".into(),
                channel_id: Some("cha_demo".into()),
                to: None,
            },
        )
        .await
        .unwrap();
    assert!(!uid.is_empty());
    let replies = fake.replies(&cnv);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].message_uid, uid);
    assert_eq!(replies[0].body, "<p>Refunded, sorry again.</p>");
    let sent = front.get_message(&format!("alt:uid:{uid}")).await.unwrap();
    assert_eq!(sent.id, replies[0].id);
    assert!(!sent.is_inbound);

    // Events, newest first.
    let events = front.list_conversation_events(&cnv).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "archive",
            "out_reply",
            "comment",
            "untag",
            "tag",
            "tag",
            "inbound"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.id.starts_with("evt_") && e.emitted_at > 1e9)
    );
    let ev_req = fake
        .request_log()
        .into_iter()
        .rfind(|r| r.path.ends_with("/events"))
        .unwrap();
    assert_eq!(ev_req.query.as_deref(), Some("limit=100"));
    assert_eq!(
        ev_req.header("authorization"),
        Some("Bearer front-test-token")
    );

    // Every write carried JSON.
    for r in fake.request_log().iter().filter(|r| r.method != "GET") {
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    }
    let conv = front.get_conversation(&cnv).await.unwrap();
    assert_eq!(conv.status, "archived");

    fake.shutdown().await;
}

#[tokio::test]
async fn invalid_ids_are_refused_before_any_request() {
    let (fake, cnv, _) = start_fake_with_conversation().await;
    let front = client(&fake.url());
    let before = fake.request_log();
    assert!(before.is_empty(), "{before:?}");

    let draft = |channel: &str| DraftRequest {
        body: "hi".into(),
        channel_id: channel.into(),
        to: None,
        author_id: None,
    };
    let reply = ReplyRequest {
        body: "hi".into(),
        channel_id: None,
        to: None,
    };
    let mut errors = vec![
        front.get_conversation("cnv_../../x").await.unwrap_err(),
        front.get_conversation("msg_abc").await.unwrap_err(),
        front.get_conversation("").await.unwrap_err(),
        front.get_message("msg_1/../x").await.unwrap_err(),
        front
            .create_draft("cnv_a?b", &draft("cha_demo"))
            .await
            .unwrap_err(),
        front
            .create_draft(&cnv, &draft("inb_demo"))
            .await
            .unwrap_err(),
        front
            .create_draft(&cnv, &draft("cha_demo#x"))
            .await
            .unwrap_err(),
        front.reply("cnv x", &reply).await.unwrap_err(),
        front
            .add_tags(&cnv, &["tag_refund".into(), "refund".into()])
            .await
            .unwrap_err(),
        front
            .remove_tags(&cnv, &["tag_a/b".into()])
            .await
            .unwrap_err(),
        front.add_comment("cnv_%2e%2e", "note").await.unwrap_err(),
        front.add_comment(&cnv, "   ").await.unwrap_err(),
        front.list_conversation_events("cnv_").await.unwrap_err(),
    ];
    errors.push(
        front
            .reply(
                &cnv,
                &ReplyRequest {
                    body: "hi".into(),
                    channel_id: Some("cha_demo/x".into()),
                    to: None,
                },
            )
            .await
            .unwrap_err(),
    );
    for e in &errors {
        assert!(matches!(e, FrontError::Invalid(_)), "{e:?}");
        assert!(!e.is_transient());
    }
    assert!(fake.request_log().is_empty(), "{:?}", fake.request_log());
    fake.shutdown().await;
}

#[tokio::test]
async fn not_found_and_unauthorized_are_mapped() {
    let (fake, cnv, _) = start_fake_with_conversation().await;
    let front = client(&fake.url());

    let e = front.get_conversation("cnv_missing").await.unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 404, message } if message == "Conversation cnv_missing not found"),
        "{e:?}"
    );
    assert!(!e.is_transient());

    let e = front
        .add_tags(&cnv, &["tag_unknown".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 404, message } if message == "Tag tag_unknown not found"),
        "{e:?}"
    );

    let e = front
        .create_draft(
            &cnv,
            &DraftRequest {
                body: "hi".into(),
                channel_id: "cha_nope".into(),
                to: None,
                author_id: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 404, message } if message == "Channel cha_nope not found"),
        "{e:?}"
    );
    assert!(fake.drafts(&cnv).is_empty());

    let e = front.get_message("msg_missing").await.unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 404, .. }),
        "{e:?}"
    );

    let bad = FrontClient::new(&fake.url(), "wrong-token").unwrap();
    let e = bad.get_conversation(&cnv).await.unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 401, message } if message == "Invalid token"),
        "{e:?}"
    );
    assert!(!e.is_transient());
    let e = bad.add_comment(&cnv, "note").await.unwrap_err();
    assert!(
        matches!(&e, FrontError::Status { status: 401, .. }),
        "{e:?}"
    );
    assert!(fake.comments(&cnv).is_empty());

    fake.shutdown().await;
}

#[tokio::test]
async fn transport_errors_are_transient() {
    install_provider();
    // Bind then drop, so nothing listens on the port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = client(&url).get_conversation("cnv_1").await.unwrap_err();
    assert!(matches!(e, FrontError::Transport(_)), "{e:?}");
    assert!(e.is_transient());
}

fn conversation_body() -> serde_json::Value {
    json!({
        "id": "cnv_1", "type": "conversation", "subject": "Hello", "status": "assigned",
        "recipient": {"handle": "ada@example.com", "role": "from", "name": null},
        "tags": [{"id": "tag_vip", "name": "vip"}],
        "inboxes": [{"id": "inb_1"}],
    })
}

#[tokio::test]
async fn reads_wait_out_429_and_writes_do_not() {
    install_provider();
    let reads = Arc::new(AtomicUsize::new(0));
    let writes = Arc::new(AtomicUsize::new(0));
    let (r, w) = (reads.clone(), writes.clone());
    let router = Router::new()
        .route(
            "/conversations/cnv_1",
            get(move || {
                let r = r.clone();
                async move {
                    // Two 429s (Retry-After: 0), then the conversation.
                    if r.fetch_add(1, Ordering::SeqCst) < 2 {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "0")],
                            axum::Json(json!({"_error": {"status": 429, "title": "Too Many Requests", "message": "Rate limit exceeded"}})),
                        )
                            .into_response()
                    } else {
                        axum::Json(conversation_body()).into_response()
                    }
                }
            }),
        )
        .route(
            "/conversations/cnv_1/comments",
            post(move || {
                let w = w.clone();
                async move {
                    w.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], "slow down")
                        .into_response()
                }
            }),
        )
        .route(
            "/conversations/cnv_2",
            get(|| async {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3600")], "").into_response()
            }),
        );
    let url = serve(router).await;

    let front = client(&url);
    let conv = front.get_conversation("cnv_1").await.unwrap();
    assert_eq!(reads.load(Ordering::SeqCst), 3);
    assert_eq!(conv.status, "assigned");
    assert_eq!(conv.recipient_handle.as_deref(), Some("ada@example.com"));
    assert_eq!(conv.inbox_ids, ["inb_1"]);
    assert_eq!(conv.tag_ids(), ["tag_vip"]);

    let e = front.add_comment("cnv_1", "note").await.unwrap_err();
    assert!(
        matches!(e, FrontError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{e:?}"
    );
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(writes.load(Ordering::SeqCst), 1, "writes are never retried");

    // A long Retry-After is capped per wait; after the retries the read gives up too.
    let quick = client(&url).with_rate_limit_policy(3, Duration::from_millis(20));
    let started = Instant::now();
    let e = quick.get_conversation("cnv_2").await.unwrap_err();
    assert!(
        matches!(e, FrontError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3600)),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn event_pages_are_followed_by_page_token_on_our_own_host() {
    install_provider();
    let router = Router::new().route(
        "/conversations/cnv_1/events",
        get(|uri: Uri, headers: HeaderMap| async move {
            assert_eq!(
                headers.get("authorization").unwrap(),
                "Bearer front-test-token"
            );
            let query = uri.query().unwrap_or("");
            let (results, next) = if query.contains("page_token=p%2B2") {
                (json!([{"id": "evt_1", "type": "inbound", "emitted_at": 1.0}]), json!(null))
            } else {
                (
                    json!([{"id": "evt_3", "type": "tag", "emitted_at": 3.0},
                           {"id": "evt_2", "type": "comment", "emitted_at": 2.0}]),
                    // Front's next links point at the company host, never at ours.
                    json!("https://elsewhere.example/conversations/cnv_1/events?limit=100&page_token=p%2B2"),
                )
            };
            axum::Json(json!({"_pagination": {"next": next}, "_links": {}, "_results": results}))
        }),
    );
    let url = serve(router).await;
    let events = client(&url)
        .list_conversation_events("cnv_1")
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["evt_3", "evt_2", "evt_1"]);
    assert_eq!(events[0].kind, "tag");
    assert_eq!(events[2].emitted_at, 1.0);
}

/// Reconciliation: `GET /events` after a time, of some types, oldest first, across pages of
/// 15, each event the JSON a webhook would have carried.
#[tokio::test]
async fn events_since_a_time_are_listed_oldest_first_across_pages() {
    let (fake, first_conversation, _) = start_fake_with_conversation().await;
    let c = client(&fake.url());
    let all = c.list_events_since(0.0, &["inbound"]).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["conversation"]["id"], first_conversation.as_str());
    let cursor = all[0]["emitted_at"].as_f64().unwrap();

    let mut missed = Vec::new();
    for n in 0..20 {
        let d = fake
            .receive_inbound_undelivered(InboundMessage {
                from_email: format!("c{n}@example.com"),
                subject: format!("Question {n}"),
                body_text: "How do I log in?".into(),
                ..InboundMessage::default()
            })
            .unwrap();
        assert_eq!(d.status, 0, "not delivered");
        missed.push(d.event_id);
        // Distinct emission times, so the order is checkable.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let since = c.list_events_since(cursor, &["inbound"]).await.unwrap();
    let ids: Vec<&str> = since.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, missed.iter().map(String::as_str).collect::<Vec<_>>());
    for e in &since {
        let parsed: support_front::WebhookEvent =
            serde_json::from_value(e.clone()).expect("the webhook shape");
        assert_eq!(parsed.kind, "inbound");
        assert!(parsed.emitted_at > cursor);
    }
    assert!(
        c.list_events_since(cursor, &["outbound"])
            .await
            .unwrap()
            .is_empty()
    );
    let err = c
        .list_events_since(f64::NAN, &["inbound"])
        .await
        .unwrap_err();
    assert!(matches!(err, FrontError::Invalid(_)), "{err:?}");
}

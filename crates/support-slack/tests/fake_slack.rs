//! `SlackClient` over real HTTP against `support_fakes::FakeSlack` (and a scripted server for
//! rate limits).

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;
use support_fakes::slack::{BOT_ID, BOT_USER_ID, TEAM_ID};
use support_fakes::{FakeSlack, FakeSlackConfig};
use support_slack::{
    ApprovalCard, SlackApi, SlackClient, SlackError, approval_blocks, approval_fallback_text,
    decided_blocks, outcome_blocks,
};

const TOKEN: &str = "xoxb-test-token";

async fn start() -> (FakeSlack, SlackClient) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeSlack::start(FakeSlackConfig::default()).await.unwrap();
    let client = SlackClient::new(
        &format!("{}/api", fake.url()),
        TOKEN,
        Duration::from_secs(5),
    )
    .unwrap();
    (fake, client)
}

fn card() -> ApprovalCard {
    ApprovalCard {
        action_id: "act_01J9REFUND".into(),
        kind: "refund".into(),
        summary: "Refund $25.00 to ada@example.com".into(),
        reason: "The customer was charged twice for order 1042 <duplicate charge>.".into(),
        params: json!({"charge": "ch_123", "amount": 2500, "currency": "usd"}),
        front_url: Some("https://app.frontapp.com/open/cnv_abc".into()),
    }
}

#[tokio::test]
async fn post_update_view_and_auth() {
    let (fake, slack) = start().await;

    let posted = slack
        .post_message("C0APPROVALS", "hello", None)
        .await
        .unwrap();
    assert_eq!(posted.channel, "C0APPROVALS");
    assert!(!posted.ts.is_empty());

    let updated = slack
        .update_message(&posted.channel, &posted.ts, "hello again", None)
        .await
        .unwrap();
    assert_eq!(updated, posted);

    let msgs = fake.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].ts, posted.ts);
    assert_eq!(msgs[0].text, "hello again");
    assert_eq!(msgs[0].history.len(), 1);
    assert_eq!(msgs[0].history[0].text, "hello");

    let view_id = slack
        .open_view(
            "trigger.123",
            json!({
                "type": "modal",
                "callback_id": "reject_reason",
                "title": {"type": "plain_text", "text": "Reject"},
                "blocks": [],
            }),
        )
        .await
        .unwrap();
    assert!(view_id.starts_with('V'), "{view_id}");
    let views = fake.views();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].id, view_id);
    assert_eq!(views[0].trigger_id, "trigger.123");

    let auth = slack.auth_test().await.unwrap();
    assert_eq!(auth.team_id, TEAM_ID);
    assert_eq!(auth.user_id, BOT_USER_ID);
    assert_eq!(auth.bot_id.as_deref(), Some(BOT_ID));

    // JSON bodies with the bearer token.
    for r in fake.request_log() {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("authorization"), Some("Bearer xoxb-test-token"));
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    let paths: Vec<String> = fake.request_log().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/chat.postMessage",
            "/api/chat.update",
            "/api/views.open",
            "/api/auth.test"
        ]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn api_errors_are_mapped() {
    let (fake, slack) = start().await;

    let e = slack.post_message("", "hi", None).await.unwrap_err();
    assert_eq!(
        e,
        SlackError::Api {
            error: "channel_not_found".into()
        }
    );
    assert!(!e.is_transient());
    assert_eq!(e.api_error(), Some("channel_not_found"));

    let e = slack
        .update_message("C1", "1.000001", "x", None)
        .await
        .unwrap_err();
    assert_eq!(e.api_error(), Some("message_not_found"));

    let e = slack
        .open_view("trigger.1", json!({"type": "home"}))
        .await
        .unwrap_err();
    assert_eq!(e.api_error(), Some("invalid_arguments"));

    let url = format!("{}/api", fake.url());
    let bad = SlackClient::new(&url, "xoxb-wrong", Duration::from_secs(5)).unwrap();
    let e = bad.auth_test().await.unwrap_err();
    assert_eq!(e.api_error(), Some("invalid_auth"));
    assert!(!e.is_transient());
    let e = bad.post_message("C1", "hi", None).await.unwrap_err();
    assert_eq!(e.api_error(), Some("invalid_auth"));

    let none = SlackClient::new(&url, "", Duration::from_secs(5)).unwrap();
    let e = none.auth_test().await.unwrap_err();
    assert_eq!(e.api_error(), Some("not_authed"));

    assert!(fake.messages().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn approval_card_round_trips_through_the_fake() {
    let (fake, slack) = start().await;
    let c = card();
    let blocks = approval_blocks(&c);

    let posted = slack
        .post_message(
            "C0APPROVALS",
            &approval_fallback_text(&c),
            Some(blocks.clone()),
        )
        .await
        .unwrap();
    let stored = fake.messages();
    assert_eq!(stored[0].blocks.as_ref(), Some(&blocks));
    assert_eq!(
        stored[0].text,
        "Approval needed: refund: Refund $25.00 to ada@example.com"
    );

    // After the decision: the buttons go, the history keeps the card.
    let outcome = "*Approved* by <@U0REVIEWER>";
    slack
        .update_message(
            &posted.channel,
            &posted.ts,
            "Approved: Refund $25.00",
            Some(decided_blocks(&c, outcome)),
        )
        .await
        .unwrap();
    let stored = fake.messages();
    let now = stored[0].blocks.as_ref().unwrap();
    assert_eq!(now, &decided_blocks(&c, outcome));
    assert!(
        now.as_array()
            .unwrap()
            .iter()
            .all(|b| b["type"] != "actions")
    );
    assert_eq!(stored[0].history[0].blocks.as_ref(), Some(&blocks));

    // outcome_blocks alone is a valid replacement too.
    slack
        .update_message(
            &posted.channel,
            &posted.ts,
            "Rejected",
            Some(outcome_blocks(&c.action_id, "*Rejected*")),
        )
        .await
        .unwrap();
    let stored = fake.messages();
    assert_eq!(
        stored[0].blocks.as_ref(),
        Some(&outcome_blocks(&c.action_id, "*Rejected*"))
    );
    assert_eq!(stored[0].history.len(), 2);
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limits_and_transport_errors() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let router = Router::new()
        .route(
            "/api/chat.postMessage",
            post(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "30")],
                    axum::Json(json!({"ok": false, "error": "ratelimited"})),
                )
                    .into_response()
            }),
        )
        .route(
            "/api/chat.update",
            post(|| async { (StatusCode::BAD_GATEWAY, "upstream down").into_response() }),
        )
        .route(
            "/api/auth.test",
            post(|| async { axum::Json(json!({"team_id": "T1"})).into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let slack = SlackClient::new(
        &format!("http://{addr}/api/"),
        TOKEN,
        Duration::from_secs(5),
    )
    .unwrap();

    let e = slack.post_message("C1", "hi", None).await.unwrap_err();
    assert_eq!(
        e,
        SlackError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));

    let e = slack
        .update_message("C1", "1.0", "x", None)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SlackError::Status {
            status: 502,
            message: "upstream down".into()
        }
    );
    assert!(e.is_transient());

    let e = slack.auth_test().await.unwrap_err();
    assert!(matches!(e, SlackError::Decode(_)), "{e:?}");
    assert!(!e.is_transient());

    // Nothing listening.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let e = SlackClient::new(&dead, TOKEN, Duration::from_secs(2))
        .unwrap()
        .auth_test()
        .await
        .unwrap_err();
    assert!(matches!(e, SlackError::Transport(_)), "{e:?}");
    assert!(e.is_transient());
}

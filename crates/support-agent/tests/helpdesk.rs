//! Draft and escalate as ledger actions against the fake Front and Slack.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support_agent::actions::{ActionService, Proposal, Verdict};
use support_agent::helpdesk_tools::{DraftTool, EscalateTool};
use support_agent::tools::ToolRegistry;
use support_engine::{Engine, EngineConfig};
use support_fakes::{FakeFront, FakeFrontConfig, FakeSlack, FakeSlackConfig, InboundMessage};
use support_store::Store;
use support_store::actions::state;

async fn receiver() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/hook")
}

#[tokio::test]
async fn drafts_and_escalations_run_through_the_ledger() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::connect(&format!("sqlite://{}/h.db", dir.path().display()))
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    let front = FakeFront::start(FakeFrontConfig::default())
        .await
        .expect("front");
    front.set_webhook(receiver().await, "s".into());
    let slack = FakeSlack::start(FakeSlackConfig::default())
        .await
        .expect("slack");
    let front_client = Arc::new(
        support_front::FrontClient::new(&front.url(), &FakeFrontConfig::default().api_token)
            .expect("front client"),
    );
    let slack_client = Arc::new(
        support_slack::SlackClient::new(
            &format!("{}/api", slack.url()),
            &FakeSlackConfig::default().api_token,
            Duration::from_secs(2),
        )
        .expect("slack client"),
    );
    let engine = Arc::new(Engine::new(store.clone(), EngineConfig::default()));
    let tools = ToolRegistry::new()
        .with(
            "draft_response",
            Arc::new(DraftTool::new(front_client.clone())),
        )
        .with(
            "escalate_to_human",
            Arc::new(EscalateTool::new(front_client, slack_client)),
        );
    let svc = ActionService::new(store.clone(), engine.clone(), tools);

    let d = front
        .inject_inbound(InboundMessage {
            inbox_id: Some("inb_demo".into()),
            from_email: "ada@example.com".into(),
            subject: "Help".into(),
            body_text: "I cannot log in".into(),
            ..InboundMessage::default()
        })
        .await
        .expect("inbound");
    let propose = |kind: &str, params: serde_json::Value| Proposal {
        app_id: None,
        conversation_id: None,
        kind: kind.into(),
        params,
        verdict: Verdict::Auto,
        requested_by: "agent".into(),
        trace_id: support_store::new_id(),
    };
    let draft = svc
        .propose(propose(
            "draft_response",
            json!({"conversation": d.conversation_id, "inbox_id": "inb_demo", "body": "Here is a new login link."}),
        ))
        .await
        .expect("draft");
    let esc = svc
        .propose(propose(
            "escalate_to_human",
            json!({"conversation": d.conversation_id, "reason": "legal threat", "slack_channel": "C0ESCALATE"}),
        ))
        .await
        .expect("escalate");
    engine.drain().await.expect("drain");
    assert_eq!(
        store.action(&draft.id).await.expect("a").expect("a").state,
        state::SUCCEEDED
    );
    assert_eq!(
        store.action(&esc.id).await.expect("a").expect("a").state,
        state::SUCCEEDED
    );
    let drafts = front.drafts(&d.conversation_id);
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0].text.contains("new login link") || drafts[0].body.contains("new login link"));
    assert_eq!(front.tags(&d.conversation_id), ["tag_escalated"]);
    let posted = slack.messages();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].channel, "C0ESCALATE");
    assert!(posted[0].text.contains("legal threat"));

    // Invalid input is refused before anything is written.
    assert!(
        svc.propose(propose(
            "draft_response",
            json!({"conversation": "nope", "inbox_id": "inb_demo", "body": "x"})
        ))
        .await
        .is_err()
    );
    assert!(
        svc.propose(propose(
            "escalate_to_human",
            json!({"conversation": d.conversation_id, "reason": " "})
        ))
        .await
        .is_err()
    );
    assert_eq!(store.list_actions(None, 10).await.expect("list").len(), 2);
}

//! `POST /api/v1/agent` and `POST /api/v1/apps/{slug}/test`: a task in words goes through the
//! same facts, brain and policy as a customer's message; the verdict decides what the ledger
//! does. A dry run does nothing at all.

use serde_json::{Value, json};
use support_testkit::{FIRST_APP_ACCOUNT, TestApp, both, first_app_email};

both!(the_agent_acts_under_the_policy, pinned_clock);
async fn the_agent_acts_under_the_policy(app: &TestApp) {
    let shop = app.connect_first_app(&[]).await;

    // 30 days and an hour old: an approval request, not a refund.
    let chen = first_app_email("usr_chen");
    let r = app
        .post_json(
            "/api/v1/agent",
            &json!({"task": format!("refund the last charge for {chen} on first-app")}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    for key in ["reasoning", "action", "result", "draftResponse"] {
        assert!(v.get(key).is_some(), "PRD shape: {key} in {v}");
    }
    assert_eq!(v["action"]["type"], "refund", "{v}");
    assert_eq!(v["result"]["status"], "awaiting_approval", "{v}");
    assert_eq!(v["result"]["success"], true);
    assert!(
        v["result"]["approvers"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    app.drain().await;
    let id = v["result"]["actionId"].as_str().expect("action id");
    let row = app.action(id).await;
    assert_eq!(row.state, "proposed");
    assert_eq!(
        row.requested_by.as_deref(),
        Some(format!("agent:{}", app.admin_email).as_str())
    );
    assert!(app.state.store.approval_for(id).await.expect("a").is_some());
    assert_eq!(app.stripe_posts(), 0, "no money moved");

    // 10 days old: refunded, once.
    let jonas = first_app_email("usr_jonas");
    let v: Value = app
        .post_json(
            "/api/v1/agent",
            &json!({"task": format!("Please refund {jonas}'s most recent purchase"), "app": "first-app"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["result"]["status"], "executing", "{v}");
    app.drain().await;
    let id = v["result"]["actionId"].as_str().expect("action id");
    let row = app.action(id).await;
    assert_eq!(row.state, "succeeded", "{row:?}");
    assert_eq!(app.stripe.refunds(FIRST_APP_ACCOUNT).len(), 1);
    assert!(
        v["draftResponse"]
            .as_str()
            .is_some_and(|d| d.contains("refunded")),
        "{v}"
    );
    // The draft was returned, not sent: no Front draft or reply for the agent's task.
    let front_writes = app.front_posts();
    assert_eq!(front_writes, 0);

    // Bad input: 4xx with a reason, nothing written.
    let before = app
        .state
        .store
        .list_actions(None, 100)
        .await
        .expect("l")
        .len();
    for (body, status) in [
        (json!({"task": "refund pat@example.com"}), 400),
        (json!({"task": "   "}), 400),
        (json!({"task": "refund", "context": "cnv_missing"}), 404),
        (
            json!({"task": format!("refund {jonas}"), "app": "nope"}),
            404,
        ),
        (json!({"task": "x", "surprise": true}), 400),
    ] {
        let r = app.post_json("/api/v1/agent", &body).await;
        assert_eq!(r.status(), status, "{body}");
    }
    assert_eq!(
        app.state
            .store
            .list_actions(None, 100)
            .await
            .expect("l")
            .len(),
        before
    );
    shop.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_decides_and_does_nothing() {
    let app = TestApp::spawn_pinned().await;
    let shop = app.connect_first_app(&[]).await;
    let r = app
        .post_json(
            "/api/v1/apps/first-app/test",
            &json!({
                "from": first_app_email("usr_jonas"),
                "subject": "Refund please",
                "body": "I would like a refund for TypeScript Essentials.",
            }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.expect("json");
    assert_eq!(d["category"], "support_refund", "{d}");
    assert_eq!(d["routing"], "respond");
    assert_eq!(d["proposals"][0]["kind"], "refund");
    assert_eq!(d["proposals"][0]["verdict"]["verdict"], "auto");
    assert_eq!(d["purchases"], 1);
    assert!(d["draft"].as_str().is_some());
    assert_eq!(d["validation"]["valid"], true, "{d}");
    // Nothing recorded, nothing done.
    assert!(
        app.state
            .store
            .list_actions(None, 10)
            .await
            .expect("l")
            .is_empty()
    );
    assert_eq!(app.stripe_posts(), 0);
    assert_eq!(app.status().await.conversations, 0);
    shop.shutdown().await;
    app.finish().await;
}

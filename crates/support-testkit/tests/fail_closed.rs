//! Money paths fail closed: an app whose stored policy cannot be read decides nothing on its
//! own. The next refund request goes to a human with the parse error as the reason, and no
//! write happens (no refund at Stripe, no access revoked in the app, no draft promising one).

use support_testkit::TestApp;

async fn refund_request_under_policy(policy: &str) -> (TestApp, String) {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    app.set_policy("first-app", policy).await;
    // Jonas bought TypeScript Essentials 10 days ago: the default policy would refund it on
    // its own. A broken policy must not fall back to that.
    let cnv = app
        .converse(
            &support_testkit::first_app_email("usr_jonas"),
            "Refund please",
            "Hi, I bought TypeScript Essentials but it is not what I expected. I would like a refund please.",
        )
        .await;
    (app, cnv)
}

async fn assert_went_to_a_human(app: &TestApp, cnv: &str, why: &str) {
    let acts = app.actions_for(cnv).await;
    assert!(
        acts.iter().all(|a| a.kind == "escalate_to_human"),
        "only an escalation: {acts:?}"
    );
    let esc = acts.first().expect("an escalation");
    assert_eq!(esc.state, "succeeded", "{esc:?}");
    let params: serde_json::Value = serde_json::from_str(&esc.params).expect("json");
    let reason = params["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("policy_invalid") && reason.contains(why),
        "the escalation names the parse error: {reason}"
    );
    assert_eq!(app.front.tags(cnv), ["tag_escalated"]);
    assert_eq!(app.stripe.refund_count(), 0, "no money moved");
    assert!(
        app.front.drafts(cnv).is_empty(),
        "no draft promising a refund"
    );

    // The decision record says why.
    let conv = app.conversation_id(cnv).await;
    let decision = app
        .state
        .store
        .decisions_for(&conv)
        .await
        .expect("decisions")
        .pop()
        .expect("a decision");
    assert_eq!(decision.routing, "escalate_human");
    assert_eq!(decision.proposed_actions, "[]");
    let audit = app
        .audit_log()
        .await
        .into_iter()
        .find(|e| e.action == "decision.recorded" && e.subject == format!("conversation:{conv}"))
        .expect("the decision's audit entry");
    let data: serde_json::Value = serde_json::from_str(&audit.data).expect("json");
    assert_eq!(data["route_rule"], "policy_invalid", "{data}");
    assert!(
        data["reasoning"][0]
            .as_str()
            .is_some_and(|r| r.contains(why)),
        "{data}"
    );
}

#[tokio::test]
async fn a_policy_that_is_not_toml_sends_the_refund_request_to_a_human() {
    let (app, cnv) =
        refund_request_under_policy("version = \"v2\"\nauto_approve_refund_days = [").await;
    assert_went_to_a_human(&app, &cnv, "not valid TOML").await;
    app.finish().await;
}

#[tokio::test]
async fn a_policy_with_an_unknown_key_sends_the_refund_request_to_a_human() {
    let (app, cnv) =
        refund_request_under_policy("version = \"v2\"\nauto_refund_everything = true\n").await;
    assert_went_to_a_human(&app, &cnv, "auto_refund_everything").await;
    app.finish().await;
}

/// The operator's path is judged by the same policy: one that cannot be read refuses the
/// request (422 `policy_invalid`, the parse error in the message) and writes nothing, dry run
/// or not.
#[tokio::test]
async fn an_operator_refund_under_an_unreadable_policy_is_refused() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    app.set_policy("first-app", "version = [").await;
    let jonas = support_testkit::first_app_email("usr_jonas");
    for dry_run in [true, false] {
        let r = app
            .post_json(
                "/api/v1/apps/first-app/operator-actions",
                &serde_json::json!({"kind": "refund", "target": "ch_seed_jonas_ess", "email": jonas, "dry_run": dry_run}),
            )
            .await;
        assert_eq!(r.status(), 422);
        let body: support_types::api::ErrorBody = r.json().await.expect("error body");
        assert_eq!(body.error, "policy_invalid", "{body:?}");
        assert!(body.message.contains("not valid TOML"), "{body:?}");
    }
    assert_eq!(app.stripe.refund_count(), 0);
    assert!(
        app.state
            .store
            .list_actions(None, 10)
            .await
            .expect("actions")
            .is_empty(),
        "nothing written"
    );
    app.finish().await;
}

//! Proposing and deciding actions through the JSON API, with the platform's real Stripe
//! client against the fake Stripe.

use serde_json::json;
use support_fakes::stripe::SeedCharge;
use support_testkit::both;
use support_testkit::{Db, TestApp};
use support_types::actions::{DecisionOutcome, ProposedAction};
use support_types::api::ErrorBody;

fn seed(app: &TestApp) {
    app.stripe.add_charge(
        "acct_api",
        SeedCharge {
            id: "ch_api".into(),
            amount: 9900,
            currency: "usd".into(),
            created: 1_767_225_600,
            payment_intent: None,
            customer_email: Some("ada@example.com".into()),
        },
    );
}

both!(an_operator_refund_runs_once_through_the_ledger);
async fn an_operator_refund_runs_once_through_the_ledger(app: &TestApp) {
    seed(app);
    let r = app
        .post_json(
            "/api/v1/actions",
            &json!({"kind": "refund", "params": {"account": "acct_api", "charge": "ch_api", "amount": 2500}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let a: ProposedAction = r.json().await.expect("json");
    assert_eq!(a.state, "proposed");
    app.drain().await;
    let row = app.action(&a.id).await;
    assert_eq!(row.state, "succeeded");
    assert_eq!(app.stripe.refund_count(), 1);
    assert_eq!(app.stripe.post_count_for_key(&a.idempotency_key), 1);
    let trail: Vec<String> = app
        .state
        .store
        .audit_by_trace(&a.trace_id)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.actor + " " + &e.action)
        .collect();
    assert_eq!(
        trail[0],
        format!("user:{} action.proposed", app.admin_email),
        "the operator is the requester of record"
    );
    assert!(trail.iter().any(|t| t.ends_with("action.succeeded")));

    // Bad input: 400 with a reason, nothing written.
    for bad in [
        json!({"kind": "refund", "params": {"account": "acct_api"}}),
        json!({"kind": "teleport", "params": {}}),
        json!({"kind": "refund", "params": {}, "surprise": 1}),
        json!({"kind": "refund", "params": {"account": "acct_api", "charge": "ch_api"}, "approval": {"approvers": [], "reason": "x"}}),
    ] {
        let r = app.post_json("/api/v1/actions", &bad).await;
        assert_eq!(r.status(), 400, "{bad}");
        let e: ErrorBody = r.json().await.expect("err");
        assert!(!e.message.is_empty());
    }
    assert_eq!(
        app.state
            .store
            .list_actions(None, 10)
            .await
            .expect("list")
            .len(),
        1
    );
}

both!(approvals_over_the_api);
async fn approvals_over_the_api(app: &TestApp) {
    seed(app);
    // The operator may not approve their own request.
    let body = json!({"kind": "refund", "params": {"account": "acct_api", "charge": "ch_api", "amount": 1000},
                      "approval": {"approvers": [format!("user:{}", app.admin_email)], "reason": "over 30 days"}});
    let own: ProposedAction = app
        .post_json("/api/v1/actions", &body)
        .await
        .json()
        .await
        .expect("json");
    app.drain().await;
    let r = app
        .post_json(&format!("/api/v1/actions/{}/approve", own.id), &json!({}))
        .await;
    assert_eq!(r.status(), 403);

    // Someone else's approval; the admin is a listed approver.
    let row = app.action(&own.id).await;
    assert_eq!(row.state, "proposed", "a refused decision changes nothing");
    support_store::on_pool!(app.state.store.pool(), |p| {
        support_store::sqlx::query("UPDATE actions SET requested_by = 'agent' WHERE id = $1")
            .bind(&own.id)
            .execute(p)
            .await
            .expect("as if the agent proposed it");
    });
    let ok = app
        .post_json(&format!("/api/v1/actions/{}/approve", own.id), &json!({}))
        .await;
    assert_eq!(ok.status(), 200);
    let d: DecisionOutcome = ok.json().await.expect("json");
    assert!(d.this_call_won);
    assert_eq!(d.standing, "approve");
    let again = app
        .post_json(&format!("/api/v1/actions/{}/approve", own.id), &json!({}))
        .await;
    assert_eq!(
        again.status(),
        200,
        "a repeated decision sees the standing one"
    );
    let d2: DecisionOutcome = again.json().await.expect("json");
    assert!(!d2.this_call_won);
    app.drain().await;
    assert_eq!(app.action(&own.id).await.state, "succeeded");
    assert_eq!(app.stripe.refund_count(), 1);
    // Decided and executed: closed.
    let closed = app
        .post_json(
            &format!("/api/v1/actions/{}/reject", own.id),
            &json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(closed.status(), 409);

    let missing = app
        .post_json("/api/v1/actions/nope/approve", &json!({}))
        .await;
    assert_eq!(missing.status(), 404);
    let no_reason = app
        .post_json(
            &format!("/api/v1/actions/{}/reject", own.id),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status(), 400);
    let _ = Db::Sqlite;
}

async fn login(app: &TestApp) -> String {
    app.dashboard_session().await
}

#[tokio::test]
async fn the_dashboard_approves_and_refuses_cross_origin_posts() {
    let app = TestApp::spawn().await;
    seed(&app);
    let body = json!({"kind": "refund", "params": {"account": "acct_api", "charge": "ch_api", "amount": 800},
                      "approval": {"approvers": [format!("user:{}", app.admin_email)], "reason": "needs a human"}});
    let a: ProposedAction = app
        .post_json("/api/v1/actions", &body)
        .await
        .json()
        .await
        .expect("json");
    support_store::on_pool!(app.state.store.pool(), |p| {
        support_store::sqlx::query("UPDATE actions SET requested_by = 'agent' WHERE id = $1")
            .bind(&a.id)
            .execute(p)
            .await
            .expect("as if the agent proposed it");
    });
    app.drain().await;
    let cookie = login(&app).await;
    let page = app
        .get_with_cookie("/dashboard/actions", &cookie)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("/dashboard/actions/{}/approve", a.id)),
        "{page}"
    );
    assert!(page.contains("needs a human"));

    let evil = app
        .http
        .post(format!("{}/dashboard/actions/{}/approve", app.url, a.id))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(evil.status(), 403);
    app.drain().await;
    assert_eq!(app.action(&a.id).await.state, "proposed");

    let ok = app
        .http
        .post(format!("{}/dashboard/actions/{}/approve", app.url, a.id))
        .header("cookie", &cookie)
        .header("origin", app.url.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), 303);
    app.drain().await;
    assert_eq!(app.action(&a.id).await.state, "succeeded");
    assert_eq!(app.stripe.refund_count(), 1);
    let approval = app.approval(&a.id).await;
    assert_eq!(approval.surface.as_deref(), Some("dashboard"));
    app.finish().await;
}

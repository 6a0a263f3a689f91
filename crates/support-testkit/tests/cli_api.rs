//! The operator routes behind the `skill` command line, against the real example app and
//! the fake Stripe: operator actions through the app's policy and the ledger (auto, the
//! operator's own approval, waiting for approvers, refusals that write nothing, dry runs
//! that only read, client references that make a request exactly-once), a customer's
//! history, the app's logs and metrics, and exports with and without PII.

use first_app::FirstApp;
use serde_json::{Value, json};
use support_server::clock::Clock as _;
use support_testkit::{TestApp, both};
use support_types::api::ErrorBody;
use support_types::cli_api::{
    AppLogs, AppMetrics, CustomerHistory, ExportPage, OperatorActionResponse, RefundOutcomes,
};

const ACCOUNT: &str = support_testkit::FIRST_APP_ACCOUNT;

async fn setup(app: &TestApp) -> FirstApp {
    app.connect_first_app(&[]).await
}

fn email_of(user_id: &str) -> String {
    first_app::seeded_customers()
        .into_iter()
        .find(|c| c.user_id == user_id)
        .expect("seeded")
        .email
        .to_string()
}

const PATH: &str = "/api/v1/apps/first-app/operator-actions";

async fn act(app: &TestApp, body: Value) -> OperatorActionResponse {
    let r = app.post_json(PATH, &body).await;
    let status = r.status();
    let text = r.text().await.expect("body");
    assert_eq!(status, 200, "{body}: {text}");
    serde_json::from_str(&text).expect("json")
}

async fn refused(app: &TestApp, body: Value) -> (u16, ErrorBody) {
    let r = app.post_json(PATH, &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("error body"))
}

async fn action_count(app: &TestApp) -> usize {
    app.state
        .store
        .list_actions(None, 500)
        .await
        .expect("actions")
        .len()
}

/// A second user who is not among the policy's approvers; returns their API token.
async fn agent_token(app: &TestApp) -> String {
    let token = support_server::auth::random_token("skill");
    app.state
        .store
        .create_user_with_token(
            "agent@example.com",
            "Agent",
            "agent",
            "!",
            "test",
            &support_server::auth::token_hash(&token),
        )
        .await
        .expect("user");
    token
}

both!(operator_actions_go_through_the_policy_and_the_ledger);
async fn operator_actions_go_through_the_policy_and_the_ledger(app: &TestApp) {
    let shop = setup(app).await;
    let jonas = email_of("usr_jonas");

    // A dry run reads (the app, Stripe's charge) and writes nothing.
    let plan = act(
        app,
        json!({"kind": "refund", "target": "pur_jonas_ess", "email": jonas, "reason": "Course was not what he expected", "dry_run": true}),
    )
    .await;
    assert_eq!(plan.verdict, "auto", "{plan:?}");
    assert_eq!(plan.rule.as_deref(), Some("refund_auto_window"));
    assert_eq!(plan.params["charge"], "ch_seed_jonas_ess");
    assert_eq!(plan.params["amount"], 14_900);
    assert_eq!(plan.params["reason"], "requested_by_customer");
    assert!(plan.action.is_none());
    assert_eq!(plan.facts.refundable, Some(14_900));
    assert_eq!(app.stripe_posts(), 0);
    assert_eq!(action_count(app).await, 0);

    // The same for real: proposed with the operator as requester, refunded once.
    let done = act(
        app,
        json!({"kind": "refund", "target": "pur_jonas_ess", "email": jonas, "reason": "Course was not what he expected"}),
    )
    .await;
    assert_eq!(done.verdict, "auto");
    let id = done.action.as_ref().expect("an action").id.clone();
    app.drain().await;
    let row = app.action(&id).await;
    assert_eq!(row.state, "succeeded", "{row:?}");
    assert_eq!(row.requested_by.as_deref(), Some("user:admin@localhost"));
    assert_eq!(app.stripe.refunds(ACCOUNT).len(), 1);
    let trail = app
        .state
        .store
        .audit_by_trace(&row.trace_id)
        .await
        .expect("audit");
    let proposed: Value = serde_json::from_str(&trail[0].data).expect("json");
    assert_eq!(
        proposed["note"]["operator_reason"], "Course was not what he expected",
        "the operator's words are in the audit trail: {proposed}"
    );

    // Now refunded: the policy denies a second refund, with a 422 and nothing written.
    let before = action_count(app).await;
    let (status, e) = refused(
        app,
        json!({"kind": "refund", "target": "ch_seed_jonas_ess", "email": jonas, "reason": "again"}),
    )
    .await;
    assert_eq!((status, e.error.as_str()), (422, "policy_deny"), "{e:?}");
    // 200 days old: escalated, not refunded.
    let (status, e) = refused(
        app,
        json!({"kind": "refund", "target": "ch_seed_emily_ess", "email": email_of("usr_emily"), "reason": "late"}),
    )
    .await;
    assert_eq!(
        (status, e.error.as_str()),
        (422, "policy_escalate"),
        "{e:?}"
    );
    assert!(e.message.contains("nothing was done"), "{e:?}");
    assert_eq!(action_count(app).await, before);

    // One hour past the auto window: approval; the admin is an approver, so their approval
    // is recorded at once (surface cli) and the refund runs.
    let chen = act(
        app,
        json!({"kind": "refund", "target": "ch_seed_chen_tt", "email": email_of("usr_chen"), "reason": "duplicate"}),
    )
    .await;
    assert_eq!(chen.verdict, "approval");
    assert!(chen.approved_by_requester);
    assert_eq!(chen.params["reason"], "duplicate");
    let chen_id = chen.action.expect("action").id;
    app.drain().await;
    let approval = app.approval(&chen_id).await;
    assert_eq!(approval.status, "approved");
    assert_eq!(approval.decided_by.as_deref(), Some("user:admin@localhost"));
    assert_eq!(approval.surface.as_deref(), Some("cli"));
    assert_eq!(app.action(&chen_id).await.state, "succeeded");
    assert_eq!(app.stripe.refunds(ACCOUNT).len(), 2);

    // Someone who is not an approver: the request waits for the approvers.
    let token = agent_token(app).await;
    let r = app
        .http
        .post(format!("{}{PATH}", app.url))
        .bearer_auth(&token)
        .json(&json!({"kind": "refund", "target": "ch_seed_priya_team", "email": email_of("usr_priya"), "reason": "team left"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let waiting: OperatorActionResponse = r.json().await.expect("json");
    assert_eq!(waiting.verdict, "approval");
    assert!(!waiting.approved_by_requester);
    assert_eq!(waiting.approvers, ["user:admin@localhost"]);
    app.drain().await;
    let wid = waiting.action.expect("action").id;
    let approval = app.approval(&wid).await;
    assert_eq!(approval.status, "pending");
    assert_eq!(app.stripe.refunds(ACCOUNT).len(), 2, "no money moved");

    // A client reference makes a request exactly-once.
    let body = json!({"kind": "refund", "target": "ch_seed_liam_tt", "email": email_of("usr_liam"), "reason": "x", "client_ref": "test:liam"});
    let first = act(app, body.clone()).await;
    app.drain().await;
    let again = act(app, body.clone()).await;
    assert!(again.existing && again.verdict == "existing", "{again:?}");
    assert_eq!(
        again.action.as_ref().map(|a| &a.id),
        first.action.as_ref().map(|a| &a.id)
    );
    let mut dry = body.clone();
    dry["dry_run"] = json!(true);
    let planned = act(app, dry).await;
    assert!(planned.existing, "a dry run reports the existing action");
    app.drain().await;
    assert_eq!(app.stripe.refunds(ACCOUNT).len(), 3);

    // Magic link (auto by default) and transfer (20 days: approval, the admin's own).
    let link = act(
        app,
        json!({"kind": "magic_link", "target": email_of("usr_maya")}),
    )
    .await;
    assert_eq!(
        (link.kind.as_str(), link.verdict.as_str()),
        ("magic_link", "auto")
    );
    let moved = act(
        app,
        json!({"kind": "transfer", "target": "pur_sofia_react", "email": email_of("usr_sofia"), "to": "sofia.work@example.org"}),
    )
    .await;
    assert_eq!(moved.kind, "transfer_purchase");
    assert_eq!(moved.verdict, "approval");
    assert!(moved.approved_by_requester);
    app.drain().await;
    for id in [&link.action.expect("a").id, &moved.action.expect("a").id] {
        let row = app.action(id).await;
        assert_eq!(row.state, "succeeded", "{row:?}");
    }

    // A charge named without its customer: the purchase is unknown, so a human approves.
    let unknown = act(
        app,
        json!({"kind": "refund", "target": "ch_seed_maya_tt", "reason": "x", "dry_run": true}),
    )
    .await;
    assert_eq!(unknown.verdict, "approval", "{unknown:?}");
    assert_eq!(unknown.rule.as_deref(), Some("unknown_purchase"));
    assert!(!unknown.facts.purchase_known);
    assert_eq!(
        unknown.params["amount"], 49_900,
        "Stripe's refundable amount"
    );

    // The SDK has no cancel method: refused, nothing faked.
    let (status, e) = refused(
        app,
        json!({"kind": "cancel_subscription", "target": "sub_seed_sofia_pro"}),
    )
    .await;
    assert_eq!((status, e.error.as_str()), (422, "not_supported"), "{e:?}");
    assert!(e.message.contains("not supported by the app"), "{e:?}");

    // Bad input and unknown things.
    for (body, want) in [
        (
            json!({"kind": "refund", "target": "pur_maya_tt", "reason": "x"}),
            400,
        ),
        (
            json!({"kind": "refund", "target": "ch_seed_maya_tt", "email": "nobody@example.com"}),
            404,
        ),
        (
            json!({"kind": "refund", "target": "ch_seed_maya_tt", "amount": 0}),
            400,
        ),
        (
            json!({"kind": "transfer", "target": "pur_maya_tt", "email": email_of("usr_maya")}),
            400,
        ),
        (json!({"kind": "magic_link", "target": "not-an-email"}), 400),
        (
            json!({"kind": "refund", "target": "ch_x", "client_ref": "bad ref"}),
            400,
        ),
    ] {
        let (status, e) = refused(app, body.clone()).await;
        assert_eq!(status, want, "{body}: {e:?}");
    }
    let r = app
        .post_json(
            "/api/v1/apps/nope/operator-actions",
            &json!({"kind": "magic_link", "target": "a@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 404);

    // The customer's history shows the operator's actions on them.
    let h: CustomerHistory = app
        .get_json(&format!("/api/v1/apps/first-app/customers/{jonas}/history"))
        .await;
    assert!(h.conversations.is_empty());
    assert_eq!(h.other_actions.len(), 1, "{h:?}");
    assert_eq!(h.other_actions[0].kind, "refund");
    assert_eq!(h.other_actions[0].amount, Some(14_900));
    assert_eq!(h.other_actions[0].state, "succeeded");

    let (n, bad) = app.state.store.verify_audit().await.expect("verify");
    assert!(n > 10 && bad.is_none());
    shop.shutdown().await;
}

/// Delivers a message and runs everything it leads to (the clock is pinned).
async fn converse(app: &TestApp, from: &str, subject: &str, body: &str) -> String {
    let d = app.customer_writes(from, subject, body).await;
    assert_eq!(d.status, 200);
    app.drain().await;
    app.clock.as_ref().expect("pinned clock").advance_ms(3_500);
    app.drain().await;
    d.conversation_id
}

both!(history_logs_metrics_and_exports, pinned_clock);
async fn history_logs_metrics_and_exports(app: &TestApp) {
    let shop = setup(app).await;
    let start = app.clock.as_ref().expect("clock").now_ms();
    let jonas = email_of("usr_jonas");
    converse(
        app,
        &jonas,
        "Refund please",
        "Hi, I bought TypeScript Essentials but it is not for me. I would like a refund please. Call me on +1 555 123 4567, my card was 4532 1234 5678 9012, or mail jonas.b@private.example. Thanks, Jonas Becker",
    )
    .await;
    converse(
        app,
        "growth@seo-partners.example",
        "Partnership opportunity",
        "Grow your audience 10x with our premium guest posts and backlink packages.",
    )
    .await;

    let h: CustomerHistory = app
        .get_json(&format!("/api/v1/apps/first-app/customers/{jonas}/history"))
        .await;
    assert_eq!(h.conversations.len(), 1, "{h:?}");
    let c = &h.conversations[0];
    assert_eq!(c.subject, "Refund please");
    assert!(c.last_message_at.is_some());
    assert_eq!(c.decisions[0].category, "support_refund");
    assert_eq!(c.decisions[0].routing, "respond");
    let refund = c
        .actions
        .iter()
        .find(|a| a.kind == "refund")
        .expect("refund");
    assert_eq!(
        (refund.state.as_str(), refund.amount),
        ("succeeded", Some(14_900))
    );
    let r = app
        .get("/api/v1/apps/first-app/customers/not-an-email/history")
        .await;
    assert_eq!(r.status(), 400);

    // Logs: the audit trail and the decisions of the app, oldest first.
    let logs: AppLogs = app
        .get_json(&format!("/api/v1/apps/first-app/logs?since={start}"))
        .await;
    assert!(logs.entries.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(
        logs.entries
            .iter()
            .filter(|e| e.source == "decision")
            .count(),
        2
    );
    assert!(
        logs.entries.iter().any(|e| e.action == "action.succeeded"),
        "{logs:?}"
    );
    let later: AppLogs = app
        .get_json(&format!(
            "/api/v1/apps/first-app/logs?since={}",
            start + 3_600_000
        ))
        .await;
    assert!(later.entries.is_empty());

    // Metrics: two conversations, one refund handled end to end, one silenced spam.
    let m: AppMetrics = app
        .get_json(&format!(
            "/api/v1/apps/first-app/metrics?since={}",
            start - 1
        ))
        .await;
    assert_eq!(m.conversations, 2, "{m:?}");
    assert_eq!(m.decisions, 2);
    assert_eq!(m.decisions_by_route.get("respond"), Some(&1));
    assert_eq!(m.decisions_by_route.get("silence"), Some(&1));
    assert_eq!(m.decisions_by_category.get("support_refund"), Some(&1));
    assert_eq!(m.actions["refund"]["succeeded"], 1);
    assert_eq!(m.actions["draft_response"]["succeeded"], 1);
    assert_eq!(m.handled_without_human, 2);
    assert!((m.handled_without_human_share - 1.0).abs() < 1e-9);
    assert_eq!(m.approvals.pending, 0);

    // Export: redacted by default, card before phone; PII only for admins, and audited.
    let page: ExportPage = app
        .get_json(&format!(
            "/api/v1/apps/first-app/export/conversations?since={}",
            start - 1
        ))
        .await;
    assert_eq!(page.conversations.len(), 2);
    let refund_conv = page
        .conversations
        .iter()
        .find(|c| c.subject == "Refund please")
        .expect("exported");
    assert!(refund_conv.redacted);
    assert_eq!(refund_conv.customer.as_deref(), Some("[EMAIL]"));
    let body = refund_conv.messages[0].body.clone().expect("body");
    assert!(
        body.contains("Call me on [PHONE], my card was [CARD], or mail [EMAIL]."),
        "{body}"
    );
    assert!(!body.contains("4532") && !body.contains("555") && !body.contains("private"));
    // The customer's address names them: jonas.becker@… redacts "Jonas" and "Becker".
    assert!(body.ends_with("Thanks, [NAME] [NAME]"), "{body}");
    assert_eq!(
        refund_conv.decision.as_ref().map(|d| d.category.as_str()),
        Some("support_refund")
    );
    let raw: ExportPage = app
        .get_json(&format!(
            "/api/v1/apps/first-app/export/conversations?since={}&include_pii=true",
            start - 1
        ))
        .await;
    let raw_conv = raw
        .conversations
        .iter()
        .find(|c| c.subject == "Refund please")
        .expect("exported");
    assert_eq!(raw_conv.customer.as_deref(), Some(jonas.as_str()));
    assert!(
        raw_conv.messages[0]
            .body
            .as_deref()
            .is_some_and(|b| b.contains("4532 1234") && b.contains("Jonas Becker"))
    );
    let token = agent_token(app).await;
    let r = app
        .http
        .get(format!(
            "{}/api/v1/apps/first-app/export/conversations?include_pii=true",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 403);
    let r = app
        .http
        .get(format!(
            "{}/api/v1/apps/first-app/export/conversations",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "a redacted export is for everyone");
    let audit = app.state.store.list_audit(50).await.expect("audit");
    assert!(audit.iter().any(|e| e.action == "export.pii"));

    // Paging: one conversation per page, then the end.
    let p1: ExportPage = app
        .get_json(&format!(
            "/api/v1/apps/first-app/export/conversations?since={}&limit=1",
            start - 1
        ))
        .await;
    let next = p1.next.clone().expect("a next page");
    let p2: ExportPage = app
        .get_json(&format!(
            "/api/v1/apps/first-app/export/conversations?since={}&limit=1&after={next}",
            start - 1
        ))
        .await;
    assert_ne!(p1.conversations[0].id, p2.conversations[0].id);

    // Refund outcomes: the ledger's state and what Stripe reported.
    let event = app
        .stripe
        .charge_event("charge.refunded", ACCOUNT, "ch_seed_jonas_ess")
        .expect("event");
    assert_eq!(app.post_stripe_event(&event).await.status(), 200);
    app.drain().await;
    let r = app
        .post_json(
            "/api/v1/apps/first-app/refund-outcomes",
            &json!({"conversations": [refund_conv.id, "nope"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let o: RefundOutcomes = r.json().await.expect("json");
    let outcomes = &o.conversations[&refund_conv.id];
    assert_eq!(outcomes.len(), 1, "{o:?}");
    assert_eq!(outcomes[0].state, "succeeded");
    assert_eq!(outcomes[0].stripe.len(), 1, "{o:?}");
    assert!(outcomes[0].stripe[0].this_action);
    assert!(!o.conversations.contains_key("nope"));
    shop.shutdown().await;
}

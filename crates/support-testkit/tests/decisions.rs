//! From a customer's email to the right outcome, end to end: the fake Front delivers a signed
//! webhook, the inbound run asks the real example app for the customer's purchases, the rules
//! brain classifies and routes, the app's policy decides, and the ledger acts on the fake
//! Stripe and Front. Refund windows are judged to the second on the app's own purchase dates.

use first_app::FirstApp;
use support_testkit::{FIRST_APP_ACCOUNT, TestApp};

const ACCOUNT: &str = FIRST_APP_ACCOUNT;

async fn setup(app: &TestApp) -> FirstApp {
    app.connect_first_app(&[]).await
}

async fn setup_with(app: &TestApp, foreign: &[&str]) -> FirstApp {
    app.connect_first_app(foreign).await
}

fn email_of(user_id: &str) -> String {
    support_testkit::first_app_email(user_id)
}

async fn converse(app: &TestApp, from: &str, subject: &str, body: &str) -> String {
    app.converse(from, subject, body).await
}

async fn actions_for(
    app: &TestApp,
    front_conversation: &str,
) -> Vec<support_store::actions::ActionRow> {
    app.actions_for(front_conversation).await
}

#[tokio::test]
async fn refund_requests_are_decided_by_the_policy_on_the_apps_own_dates() {
    let app = TestApp::spawn_pinned().await;
    let shop = setup(&app).await;

    // 10 days old: refunded automatically, once, and the customer gets a draft reply.
    let cnv = converse(
        &app,
        &email_of("usr_jonas"),
        "Refund please",
        "Hi, I bought TypeScript Essentials but it is not what I expected. I would like a refund please.",
    )
    .await;
    let jonas_cnv = cnv.clone();
    let acts = actions_for(&app, &cnv).await;
    let refund = acts
        .iter()
        .find(|a| a.kind == "refund")
        .expect("a refund action");
    assert_eq!(refund.state, "succeeded", "{refund:?}");
    assert_eq!(app.stripe.refund_count(), 1);
    assert_eq!(app.stripe.refunds(ACCOUNT)[0].charge, "ch_seed_jonas_ess");
    // Access to the refunded purchase is revoked in the app, once.
    let result: serde_json::Value =
        serde_json::from_str(refund.result.as_deref().expect("result")).expect("json");
    assert_eq!(result["follow_up"]["status"], "refunded", "{result}");
    let draft = acts
        .iter()
        .find(|a| a.kind == "draft_response")
        .expect("a draft action");
    assert_eq!(draft.state, "succeeded", "{draft:?}");
    assert_eq!(
        app.front.drafts(&cnv).len(),
        1,
        "a draft on the conversation in Front"
    );

    // 30 days and 1 hour: the same request waits for a human.
    let cnv = converse(
        &app,
        &email_of("usr_chen"),
        "Refund",
        "Hello, could I get a refund for Total TypeScript? It is not for me.",
    )
    .await;
    let acts = actions_for(&app, &cnv).await;
    let refund = acts
        .iter()
        .find(|a| a.kind == "refund")
        .expect("a refund action");
    assert_eq!(refund.state, "proposed");
    let approval = app.approval(&refund.id).await;
    assert_eq!(approval.status, "pending");
    assert_eq!(app.stripe.refund_count(), 1, "no money moved");

    // A legal threat: escalated (tagged in Front, posted to the app's channel), no refund.
    let cnv = converse(
        &app,
        &email_of("usr_emily"),
        "Chargeback",
        "If I do not get my money back today my lawyer will file a chargeback and take legal action.",
    )
    .await;
    let acts = actions_for(&app, &cnv).await;
    assert!(acts.iter().all(|a| a.kind != "refund"), "{acts:?}");
    let esc = acts
        .iter()
        .find(|a| a.kind == "escalate_to_human")
        .expect("escalation");
    assert_eq!(esc.state, "succeeded", "{esc:?}");
    assert_eq!(app.front.tags(&cnv), ["tag_escalated"]);
    assert_eq!(app.stripe.refund_count(), 1);

    // Vendor spam: silence, nothing at all.
    let cnv = converse(
        &app,
        "growth@seo-partners.example",
        "Partnership opportunity",
        "Grow your audience 10x with our premium guest posts and backlink packages.",
    )
    .await;
    assert!(actions_for(&app, &cnv).await.is_empty());
    assert!(app.front.drafts(&cnv).is_empty());

    // The conversation page shows the decision and the actions it led to.
    let cookie = app.dashboard_session().await;
    let page = app
        .http
        .get(format!("{}/dashboard/conversations/{}", app.url, jonas_cnv))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Decisions") && page.contains("support_refund"),
        "{page}"
    );
    assert!(
        page.contains("Actions") && page.contains("refund") && page.contains("succeeded"),
        "{page}"
    );

    // Every decision is recorded and the audit chain holds.
    let (n, bad) = app.state.store.verify_audit().await.expect("verify");
    assert!(n > 10 && bad.is_none());
    shop.shutdown().await;
    app.finish().await;
}

/// C20 and C23 through the whole pipeline: Stripe's view of the charge bounds the refund
/// before any refund request is sent. A charge already refunded in full (outside the
/// platform) is denied by the policy and the customer is told so; a purchase whose charge
/// is on another connected account is escalated, never refunded.
#[tokio::test]
async fn stripe_facts_bound_refunds_before_stripe_is_asked() {
    let app = TestApp::spawn_pinned().await;
    let shop = setup_with(&app, &["ch_seed_sofia_react"]).await;
    app.stripe
        .refund_outside_platform(ACCOUNT, "ch_seed_maya_tt", None)
        .expect("refunded in the Stripe dashboard");

    let cnv = converse(
        &app,
        &email_of("usr_maya"),
        "Refund",
        "Hi, I would like a refund for Total TypeScript please.",
    )
    .await;
    let acts = actions_for(&app, &cnv).await;
    assert!(acts.iter().all(|a| a.kind != "refund"), "{acts:?}");
    let (conv, _) = app.conversation(&cnv).await;
    let decision = app
        .state
        .store
        .decisions_for(&conv.id)
        .await
        .expect("decisions")
        .pop()
        .expect("a decision");
    let proposals: serde_json::Value =
        serde_json::from_str(&decision.proposed_actions).expect("json");
    assert_eq!(proposals[0]["verdict"]["verdict"], "deny", "{proposals}");
    assert_eq!(proposals[0]["rule"], "nothing_to_refund", "{proposals}");
    let drafts = app.front.drafts(&cnv);
    assert_eq!(drafts.len(), 1);
    assert!(
        drafts[0].body.contains("already been refunded"),
        "{:?}",
        drafts[0]
    );

    let cnv = converse(
        &app,
        &email_of("usr_sofia"),
        "Refund",
        "Hello, please refund my React with TypeScript purchase.",
    )
    .await;
    let acts = actions_for(&app, &cnv).await;
    assert!(acts.iter().all(|a| a.kind != "refund"), "{acts:?}");
    assert!(
        acts.iter().any(|a| a.kind == "escalate_to_human"),
        "{acts:?}"
    );
    assert!(
        app.front.drafts(&cnv).is_empty(),
        "escalations get a human, not a template"
    );

    let posts = app.stripe_posts();
    assert_eq!(posts, 0, "Stripe was never asked to refund");
    shop.shutdown().await;
    app.finish().await;
}

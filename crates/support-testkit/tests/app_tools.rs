//! The app tools through the ledger against the real example app over its signed SDK route:
//! a magic link that really logs the customer in, a purchase transfer, lookups, name changes.

use serde_json::json;
use support_testkit::TestApp;
use support_types::actions::ProposedAction;

async fn run(
    app: &TestApp,
    kind: &str,
    params: serde_json::Value,
) -> support_store::actions::ActionRow {
    let r = app
        .post_json(
            "/api/v1/actions",
            &json!({"kind": kind, "app": "first-app", "params": params}),
        )
        .await;
    assert_eq!(r.status(), 201, "{kind}");
    let a: ProposedAction = r.json().await.expect("json");
    app.drain().await;
    app.action(&a.id).await
}

#[tokio::test]
async fn app_methods_run_through_the_ledger_against_the_example_app() {
    let app = TestApp::spawn().await;
    let secret = "first-app-shared-secret-0123456789abcdef0123456789";
    let (shop, _) = app.start_first_app(secret, &[]).await;
    let customers = first_app::seeded_customers();
    let ada = customers
        .iter()
        .find(|c| !c.purchases.is_empty())
        .expect("a customer with purchases");

    let found = run(
        &app,
        "lookup_user",
        json!({"email": ada.email.as_str().to_uppercase()}),
    )
    .await;
    assert_eq!(found.state, "succeeded", "{found:?}");
    let result: serde_json::Value =
        serde_json::from_str(found.result.as_deref().expect("result")).expect("json");
    assert_eq!(result["user"]["id"], ada.user_id);

    let link = run(
        &app,
        "magic_link",
        json!({"email": ada.email, "expires_in": 600}),
    )
    .await;
    assert_eq!(link.state, "succeeded", "{link:?}");
    let link: serde_json::Value =
        serde_json::from_str(link.result.as_deref().expect("result")).expect("json");
    let url = link["url"].as_str().expect("url");
    let page = app
        .http
        .get(url)
        .send()
        .await
        .expect("follow")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Signed in as"),
        "the link logs the customer in: {page}"
    );

    let purchase = ada
        .purchases
        .iter()
        .find(|p| p.status == "active")
        .expect("an active purchase");
    let moved = run(
        &app,
        "transfer_purchase",
        json!({"purchaseId": purchase.id, "fromUserId": ada.user_id, "toEmail": "new.owner@example.com"}),
    )
    .await;
    assert_eq!(moved.state, "succeeded", "{moved:?}");
    let owner = run(
        &app,
        "lookup_user",
        json!({"email": "new.owner@example.com"}),
    )
    .await;
    let owner: serde_json::Value =
        serde_json::from_str(owner.result.as_deref().expect("r")).expect("json");
    assert_eq!(owner["user"]["email"], "new.owner@example.com");
    // Moving it again from the old owner is refused by the app: a final failure, no retries.
    let again = run(
        &app,
        "transfer_purchase",
        json!({"purchaseId": purchase.id, "fromUserId": ada.user_id, "toEmail": "third@example.com"}),
    )
    .await;
    assert_eq!(again.state, "failed", "{again:?}");

    let renamed = run(
        &app,
        "update_name",
        json!({"userId": ada.user_id, "name": "Ada L."}),
    )
    .await;
    assert_eq!(renamed.state, "succeeded", "{renamed:?}");

    // Bad input never reaches the app.
    let bad = app
        .post_json(
            "/api/v1/actions",
            &json!({"kind": "magic_link", "app": "first-app", "params": {"email": "not-an-email"}}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    shop.shutdown().await;
    app.finish().await;
}

//! The platform client against a real product app: `first_app::FirstApp` on a temp dir,
//! every contract method over HTTP.

use std::sync::Arc;
use std::time::Duration;

use first_app::{FirstApp, FirstAppConfig};
use support_sdk::{AppApi, SdkClient, SdkError};
use support_types::Email;

const SECRET: &str = "sdk-test-secret";

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn start() -> (FirstApp, SdkClient, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let app = FirstApp::start(FirstAppConfig::new(
        dir.path().join("app.db"),
        vec![SECRET.into()],
    ))
    .await
    .unwrap();
    let client = SdkClient::new(&app.support_url(), SECRET, Duration::from_secs(5)).unwrap();
    (app, client, dir)
}

#[tokio::test]
async fn reads() {
    let (app, client, _dir) = start().await;

    let maya = client
        .lookup_user(&email("Maya.Patel@example.com"))
        .await
        .unwrap()
        .expect("seeded");
    assert_eq!(maya.id, "usr_maya");
    assert_eq!(maya.name, "Maya Patel");
    assert_eq!(
        client
            .lookup_user(&email("nobody@example.com"))
            .await
            .unwrap(),
        None
    );

    let emily = client.get_purchases("usr_emily").await.unwrap();
    assert_eq!(
        emily.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["pur_emily_react", "pur_emily_ess"]
    );
    assert!(client.get_purchases("usr_nobody").await.unwrap().is_empty());

    let subs = client
        .get_subscriptions("usr_sofia")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].product_id, "prd_pro_monthly");

    let seats = client
        .get_claimed_seats("coupon_seed_raman_team")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seats.len(), 5);
    assert_eq!(seats.iter().filter(|s| s.claimed_by.is_some()).count(), 2);

    let policy = client.get_refund_policy().await.unwrap().unwrap();
    assert_eq!(policy.auto_approve_days, 30);
    assert_eq!(policy.manual_approve_days, 45);
    assert_eq!(
        policy.policy_url,
        Some(format!("{}/refund-policy", app.url()))
    );

    // First App leaves searchContent out: "not supported", not a failure.
    assert_eq!(client.search_content("generics").await.unwrap(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn writes() {
    let (app, client, _dir) = start().await;

    // revokeAccess, idempotent per refund id.
    let revoked = client
        .revoke_access("pur_liam_tt", "inside the window", "re_sdk_1")
        .await
        .unwrap();
    assert_eq!(revoked.purchase_id, "pur_liam_tt");
    assert_eq!(revoked.status, "refunded");
    assert_eq!(
        client
            .revoke_access("pur_liam_tt", "inside the window", "re_sdk_1")
            .await
            .unwrap(),
        revoked
    );
    assert!(matches!(
        client.revoke_access("pur_liam_tt", "again", "re_sdk_2").await,
        Err(SdkError::Conflict(m)) if m.contains("re_sdk_1")
    ));
    assert!(matches!(
        client.revoke_access("pur_nope", "x", "re_sdk_3").await,
        Err(SdkError::NotFound(_))
    ));

    // transferPurchase, idempotent on retry.
    let to = email("friend@example.com");
    let moved = client
        .transfer_purchase("pur_sofia_react", "usr_sofia", &to)
        .await
        .unwrap();
    assert_eq!(
        client
            .transfer_purchase("pur_sofia_react", "usr_sofia", &to)
            .await
            .unwrap(),
        moved
    );
    let friend = client.lookup_user(&to).await.unwrap().unwrap();
    assert_eq!(friend.id, moved.to_user_id);
    assert_eq!(
        client.get_purchases(&friend.id).await.unwrap()[0].id,
        moved.purchase_id
    );
    assert!(matches!(
        client
            .transfer_purchase("pur_emily_react", "usr_emily", &to)
            .await,
        Err(SdkError::Conflict(_))
    ));

    // generateMagicLink: the link really signs the customer in on the app's page.
    let link = client
        .generate_magic_link(&email("jonas.becker@example.org"), 600)
        .await
        .unwrap();
    let page = reqwest::get(&link.url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Signed in as Jonas Becker")
    );
    assert!(matches!(
        client
            .generate_magic_link(&email("jonas.becker@example.org"), 5)
            .await,
        Err(SdkError::BadRequest(m)) if m.contains("expiresIn")
    ));
    assert!(matches!(
        client
            .generate_magic_link(&email("nobody@example.com"), 600)
            .await,
        Err(SdkError::NotFound(_))
    ));

    // updateEmail / updateName.
    let user = client
        .update_email("usr_chen", &email("chen@new.example"))
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "chen@new.example");
    assert!(matches!(
        client
            .update_email("usr_chen", &email("maya.patel@example.com"))
            .await,
        Err(SdkError::Conflict(_))
    ));
    let user = client.update_name("usr_chen", "Wei Chen").await.unwrap();
    assert_eq!(user.name, "Wei Chen");
    assert!(matches!(
        client.update_name("usr_chen", "").await,
        Err(SdkError::BadRequest(_))
    ));
    assert!(matches!(
        client.update_name("usr_nope", "A").await,
        Err(SdkError::NotFound(_))
    ));
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_and_the_platform_can_hold_a_dyn_app_api() {
    let (app, client, _dir) = start().await;
    let wrong = SdkClient::new(&app.support_url(), "not-the-secret", Duration::from_secs(5))
        .unwrap()
        .with_retry_backoff(Duration::from_millis(1));
    let err = wrong
        .lookup_user(&email("maya.patel@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SdkError::Unauthorized(m) if m.contains("invalid_signature")),
        "{err:?}"
    );
    // Unauthorized is not a failure that resending fixes; writes get the same answer.
    assert!(matches!(
        wrong.revoke_access("pur_maya_tt", "x", "re_x").await,
        Err(SdkError::Unauthorized(_))
    ));

    let api: Arc<dyn AppApi> = Arc::new(client);
    let user = api
        .lookup_user(&email("maya.patel@example.com"))
        .await
        .unwrap();
    assert_eq!(user.unwrap().id, "usr_maya");
    assert_eq!(api.search_content("x").await.unwrap(), None);

    // A URL that is not a support route is a configuration error, not "user not found".
    let misconfigured = SdkClient::new(
        &format!("{}/nope", app.url()),
        SECRET,
        Duration::from_secs(5),
    )
    .unwrap()
    .with_retry_backoff(Duration::from_millis(1));
    assert!(matches!(
        misconfigured.get_purchases("usr_maya").await,
        Err(SdkError::Server(m)) if m.contains("404")
    ));
    app.shutdown().await;
}

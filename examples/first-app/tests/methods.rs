//! Every contract method over real HTTP, plus the magic-link sign-in pages.

use std::time::{SystemTime, UNIX_EPOCH};

use first_app::{FirstApp, FirstAppConfig, SESSION_COOKIE};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support_signing::support;
use support_types::sdk::{
    MagicLink, RefundPolicy, SdkPurchase, SdkSubscription, SdkUser, Seat, TransferResult,
};

const SECRET: &str = "methods-secret";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Harness {
    app: FirstApp,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start_with(public_url: Option<&str>) -> Harness {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut config = FirstAppConfig::new(dir.path().join("first-app.db"), vec![SECRET.into()]);
    config.public_url = public_url.map(str::to_owned);
    let app = FirstApp::start(config).await.unwrap();
    Harness {
        app,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

async fn start() -> Harness {
    start_with(None).await
}

impl Harness {
    async fn call(&self, body: Value) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(&body).unwrap();
        let res = self
            .client
            .post(self.app.support_url())
            .header("content-type", "application/json")
            .header(
                support::HEADER,
                support::header(SECRET.as_bytes(), now(), &raw),
            )
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("non-JSON response ({status}): {text:?}: {e}"));
        (status, value)
    }

    async fn ok<T: serde::de::DeserializeOwned>(&self, body: Value) -> T {
        let (status, value) = self.call(body).await;
        assert_eq!(status, StatusCode::OK, "{value}");
        serde_json::from_value(value).unwrap()
    }

    async fn purchases(&self, user_id: &str) -> Vec<SdkPurchase> {
        self.ok(json!({"action": "getPurchases", "userId": user_id}))
            .await
    }

    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.app.pool())
            .await
            .unwrap()
    }

    async fn get(&self, url: &str, cookie: Option<&str>) -> (StatusCode, Option<String>, String) {
        let mut req = self.client.get(url);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let set_cookie = res
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, set_cookie, res.text().await.unwrap())
    }
}

fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) -> String {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["error"], code, "body: {}", got.1);
    got.1["message"].as_str().expect("message").to_owned()
}

#[tokio::test]
async fn revoke_access_refunds_once_and_is_idempotent_per_refund_id() {
    let h = start().await;
    let revoke = |purchase: &str, refund: &str| {
        json!({"action": "revokeAccess", "purchaseId": purchase, "reason": "refund approved",
               "refundId": refund})
    };

    let (status, body) = h.call(revoke("pur_jonas_ess", "re_1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"purchaseId": "pur_jonas_ess", "status": "refunded"})
    );
    assert_eq!(h.purchases("usr_jonas").await[0].status, "refunded");
    let (refund_id, reason): (String, String) =
        sqlx::query_as("SELECT refund_id, reason FROM revocations WHERE purchase_id = ?")
            .bind("pur_jonas_ess")
            .fetch_one(h.app.pool())
            .await
            .unwrap();
    assert_eq!(
        (refund_id.as_str(), reason.as_str()),
        ("re_1", "refund approved")
    );

    // The same refund again: same answer, nothing new recorded.
    let again = h.call(revoke("pur_jonas_ess", "re_1")).await;
    assert_eq!(again, (StatusCode::OK, body));
    assert_eq!(h.count("SELECT COUNT(*) FROM revocations").await, 1);

    // Another refund for the same purchase is a conflict, not a silent success.
    let msg = assert_error(
        &h.call(revoke("pur_jonas_ess", "re_2")).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(msg.contains("re_1"), "{msg}");
    // Refunded before the platform knew about it (seeded).
    assert_error(
        &h.call(revoke("pur_emily_react", "re_3")).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &h.call(revoke("pur_nope", "re_4")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &h.call(revoke("pur_maya_tt", " ")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let msg = assert_error(
        &h.call(json!({"action": "revokeAccess", "purchaseId": "pur_maya_tt", "reason": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(msg.contains("refundId"), "{msg}");
    assert_eq!(h.purchases("usr_maya").await[0].status, "active");
    h.app.shutdown().await;
}

#[tokio::test]
async fn transfer_moves_an_active_purchase_and_creates_the_recipient() {
    let h = start().await;
    let transfer = |purchase: &str, from: &str, to: &str| {
        json!({"action": "transferPurchase", "purchaseId": purchase, "fromUserId": from,
               "toEmail": to})
    };
    let before = h.count("SELECT COUNT(*) FROM purchases").await;

    let moved: TransferResult = h
        .ok(transfer(
            "pur_maya_tt",
            "usr_maya",
            " New.Colleague@Example.com",
        ))
        .await;
    assert_ne!(moved.purchase_id, "pur_maya_tt");
    let recipient: SdkUser = h
        .ok(json!({"action": "lookupUser", "email": "new.colleague@example.com"}))
        .await;
    assert_eq!(recipient.id, moved.to_user_id);
    assert_eq!(recipient.name, "new.colleague");

    let theirs = h.purchases(&moved.to_user_id).await;
    assert_eq!(theirs.len(), 1);
    let original = &h.purchases("usr_maya").await[0];
    assert_eq!(original.id, "pur_maya_tt");
    assert_eq!(original.status, "transferred");
    assert_eq!(theirs[0].id, moved.purchase_id);
    assert_eq!(theirs[0].status, "active");
    assert_eq!(theirs[0].product_id, original.product_id);
    assert_eq!(theirs[0].amount, original.amount);
    assert_eq!(
        theirs[0].purchased_at, original.purchased_at,
        "the refund window does not restart"
    );

    // A retry (the platform lost the answer) gets the same result and changes nothing.
    let retry: TransferResult = h
        .ok(transfer(
            "pur_maya_tt",
            "usr_maya",
            "new.colleague@example.com",
        ))
        .await;
    assert_eq!(retry, moved);
    assert_eq!(h.count("SELECT COUNT(*) FROM purchases").await, before + 1);
    assert_eq!(h.count("SELECT COUNT(*) FROM transfers").await, 1);

    // The same purchase to someone else now: it is no longer active.
    let msg = assert_error(
        &h.call(transfer("pur_maya_tt", "usr_maya", "other@example.com"))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(msg.contains("transferred"), "{msg}");
    // Not the owner.
    let msg = assert_error(
        &h.call(transfer("pur_jonas_ess", "usr_maya", "x@example.com"))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(msg.contains("not owned"), "{msg}");
    // Refunded.
    let msg = assert_error(
        &h.call(transfer("pur_emily_react", "usr_emily", "x@example.com"))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(msg.contains("refunded"), "{msg}");
    assert_error(
        &h.call(transfer("pur_nope", "usr_maya", "x@example.com"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &h.call(transfer(
            "pur_jonas_ess",
            "usr_jonas",
            "jonas.becker@example.org",
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        &h.call(transfer("pur_jonas_ess", "usr_jonas", "not-an-email"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    );
    // None of the refusals created a user.
    assert_eq!(h.count("SELECT COUNT(*) FROM users").await, 9);

    // To an existing user: no new user, and a team licence takes its seats along.
    let to_liam: TransferResult = h
        .ok(transfer(
            "pur_priya_team",
            "usr_priya",
            "liam.oconnor@example.com",
        ))
        .await;
    assert_eq!(to_liam.to_user_id, "usr_liam");
    assert_eq!(h.count("SELECT COUNT(*) FROM users").await, 9);
    let seats: Vec<Seat> = h
        .ok(json!({"action": "getClaimedSeats", "bulkCouponId": "coupon_seed_raman_team"}))
        .await;
    assert!(seats.iter().all(|s| s.purchase_id == to_liam.purchase_id));
    h.app.shutdown().await;
}

#[tokio::test]
async fn magic_link_signs_in_once_on_the_apps_own_page() {
    let h = start().await;
    let generate = |email: &str, secs: i64| json!({"action": "generateMagicLink", "email": email, "expiresIn": secs});

    let t0 = now();
    let link: MagicLink = h.ok(generate("maya.patel@example.com", 900)).await;
    let prefix = format!("{}/login/magic?token=", h.app.url());
    let token = link
        .url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{} does not start with {prefix}", link.url));
    assert_eq!(token.len(), 64, "256 bits, hex");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!((t0 + 900..=now() + 900).contains(&link.expires_at));
    // Only a hash is stored.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM magic_links")
        .fetch_one(h.app.pool())
        .await
        .unwrap();
    assert_ne!(stored, token);

    let (status, cookie, page) = h.get(&link.url, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Signed in as Maya Patel"), "{page}");
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.starts_with(&format!("{SESSION_COOKIE}=")),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http app: {cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();

    let account = format!("{}/account", h.app.url());
    let (status, _, page) = h.get(&account, Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Signed in as Maya Patel"), "{page}");
    let (status, _, page) = h.get(&account, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Not signed in"), "{page}");

    // Single use.
    let (status, cookie, page) = h.get(&link.url, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(cookie.is_none());
    assert!(page.contains("already been used"), "{page}");

    // Expired.
    let stale: MagicLink = h.ok(generate("jonas.becker@example.org", 60)).await;
    sqlx::query("UPDATE magic_links SET expires_at = ? WHERE used_at IS NULL")
        .bind(now() - 1)
        .execute(h.app.pool())
        .await
        .unwrap();
    let (status, cookie, page) = h.get(&stale.url, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(cookie.is_none());
    assert!(page.contains("has expired"), "{page}");

    // Made up, malformed or missing tokens.
    for url in [
        format!("{prefix}{}", "ab".repeat(32)),
        format!("{prefix}<script>"),
        format!("{}/login/magic", h.app.url()),
    ] {
        let (status, cookie, page) = h.get(&url, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert!(cookie.is_none());
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("Sign-in link not accepted"), "{page}");
    }

    // Refusals at generation time.
    assert_error(
        &h.call(generate("nobody@example.com", 900)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for secs in [0, 59, 7 * 86_400 + 1] {
        assert_error(
            &h.call(generate("maya.patel@example.com", secs)).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
    }
    assert_error(
        &h.call(generate("maya.patel@example.com", -1)).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        &h.call(generate("nope", 900)).await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    );
    h.app.shutdown().await;
}

#[tokio::test]
async fn public_url_is_used_for_links_and_makes_the_cookie_secure() {
    let h = start_with(Some("https://courses.example.com/")).await;
    let link: MagicLink = h
        .ok(
            json!({"action": "generateMagicLink", "email": "chen.wei@example.org",
                   "expiresIn": 600}),
        )
        .await;
    let token = link
        .url
        .strip_prefix("https://courses.example.com/login/magic?token=")
        .expect("public URL in the link");
    let policy: RefundPolicy = h.ok(json!({"action": "getRefundPolicy"})).await;
    assert_eq!(
        policy.policy_url.as_deref(),
        Some("https://courses.example.com/refund-policy")
    );

    let local = format!("{}/login/magic?token={token}", h.app.url());
    let (status, cookie, page) = h.get(&local, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Signed in as Chen Wei"), "{page}");
    assert!(cookie.unwrap().contains("Secure"));
    h.app.shutdown().await;
}

#[tokio::test]
async fn update_email_and_name() {
    let h = start().await;
    let user: SdkUser = h
        .ok(json!({"action": "updateEmail", "userId": "usr_tom",
                   "newEmail": "Tom@Fischer.example"}))
        .await;
    assert_eq!(user.email.as_str(), "tom@fischer.example");
    let found: Option<SdkUser> = h
        .ok(json!({"action": "lookupUser", "email": "tom@fischer.example"}))
        .await;
    assert_eq!(found, Some(user.clone()));
    let gone: Option<SdkUser> = h
        .ok(json!({"action": "lookupUser", "email": "tom.fischer@example.org"}))
        .await;
    assert_eq!(gone, None);
    // Setting the same email again is a no-op success.
    let same: SdkUser = h
        .ok(json!({"action": "updateEmail", "userId": "usr_tom",
                   "newEmail": "tom@fischer.example"}))
        .await;
    assert_eq!(same, user);
    let msg = assert_error(
        &h.call(json!({"action": "updateEmail", "userId": "usr_tom",
                        "newEmail": "maya.patel@example.com"}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(msg.contains("maya.patel@example.com"), "{msg}");
    assert_error(
        &h.call(json!({"action": "updateEmail", "userId": "usr_nope",
                        "newEmail": "free@example.com"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &h.call(json!({"action": "updateEmail", "userId": "usr_tom", "newEmail": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    );

    let user: SdkUser = h
        .ok(json!({"action": "updateName", "userId": "usr_tom", "name": "  Thomas <b>F</b> "}))
        .await;
    assert_eq!(user.name, "Thomas <b>F</b>");
    let page = h
        .client
        .get(h.app.url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Thomas &lt;b&gt;F&lt;/b&gt;"));
    for bad in ["", "   ", "two\nlines", &"x".repeat(201)] {
        assert_error(
            &h.call(json!({"action": "updateName", "userId": "usr_tom", "name": bad}))
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
    }
    assert_error(
        &h.call(json!({"action": "updateName", "userId": "usr_nope", "name": "A"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    h.app.shutdown().await;
}

#[tokio::test]
async fn optional_reads_subscriptions_seats_and_policy() {
    let h = start().await;
    let subs: Vec<SdkSubscription> = h
        .ok(json!({"action": "getSubscriptions", "userId": "usr_sofia"}))
        .await;
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].id, "sub_seed_sofia_pro");
    assert_eq!(subs[0].product_name, "Total TypeScript Pro (monthly)");
    assert_eq!(subs[0].status, "active");
    assert!(subs[0].current_period_end > now());
    let none: Vec<SdkSubscription> = h
        .ok(json!({"action": "getSubscriptions", "userId": "usr_maya"}))
        .await;
    assert!(none.is_empty());

    let seats: Vec<Seat> = h
        .ok(json!({"action": "getClaimedSeats", "bulkCouponId": "coupon_seed_raman_team"}))
        .await;
    assert_eq!(seats.len(), 5);
    assert!(seats.iter().all(|s| s.purchase_id == "pur_priya_team"));
    let claimed: Vec<&str> = seats
        .iter()
        .filter_map(|s| s.claimed_by.as_ref().map(|u| u.name.as_str()))
        .collect();
    assert_eq!(claimed, ["Priya Raman", "Tom Fischer"]);
    let none: Vec<Seat> = h
        .ok(json!({"action": "getClaimedSeats", "bulkCouponId": "coupon_nope"}))
        .await;
    assert!(none.is_empty());

    let policy: RefundPolicy = h.ok(json!({"action": "getRefundPolicy"})).await;
    assert_eq!(
        (policy.auto_approve_days, policy.manual_approve_days),
        (30, 45)
    );
    let url = policy.policy_url.unwrap();
    assert_eq!(url, format!("{}/refund-policy", h.app.url()));
    let (status, _, page) = h.get(&url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("within 30 days"), "{page}");
    h.app.shutdown().await;
}

#[tokio::test]
async fn search_content_is_not_implemented_and_says_so() {
    let h = start().await;
    let msg = assert_error(
        &h.call(json!({"action": "searchContent", "query": "generics"}))
            .await,
        StatusCode::NOT_IMPLEMENTED,
        "not_implemented",
    );
    assert_eq!(msg, "Method not implemented: searchContent");
    h.app.shutdown().await;
}

#[tokio::test]
async fn expired_signatures_say_so() {
    let h = start().await;
    let raw = br#"{"action":"getRefundPolicy"}"#.to_vec();
    let res = h
        .client
        .post(h.app.support_url())
        .header(
            support::HEADER,
            support::header(SECRET.as_bytes(), now() - 600, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "signature_expired");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired"),
        "{body}"
    );
    h.app.shutdown().await;
}

#[tokio::test]
async fn concurrent_repeats_of_a_write_agree() {
    let h = start().await;
    let transfer = json!({"action": "transferPurchase", "purchaseId": "pur_chen_tt",
                          "fromUserId": "usr_chen", "toEmail": "twin@example.com"});
    let answers = all_at_once(&h, &transfer, 6).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(*body, answers[0].1);
    }
    assert_eq!(h.count("SELECT COUNT(*) FROM transfers").await, 1);

    let revoke = json!({"action": "revokeAccess", "purchaseId": "pur_liam_tt",
                        "reason": "r", "refundId": "re_same"});
    for (status, body) in all_at_once(&h, &revoke, 6).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(h.count("SELECT COUNT(*) FROM revocations").await, 1);
    h.app.shutdown().await;
}

/// Sends `body` `n` times concurrently, each signed on its own task.
async fn all_at_once(h: &Harness, body: &Value, n: usize) -> Vec<(StatusCode, Value)> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url) = (h.client.clone(), h.app.support_url());
        let raw = serde_json::to_vec(body).unwrap();
        tasks.spawn(async move {
            let res = client
                .post(url)
                .header(
                    support::HEADER,
                    support::header(SECRET.as_bytes(), now(), &raw),
                )
                .body(raw)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        });
    }
    tasks.join_all().await
}

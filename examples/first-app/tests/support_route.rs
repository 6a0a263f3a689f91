//! The app over real HTTP, as the platform and a browser see it.

use std::time::{SystemTime, UNIX_EPOCH};

use first_app::{FirstApp, FirstAppConfig, seeded_customers};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support_signing::support;
use support_types::sdk::{SdkPurchase, SdkUser};

const CURRENT: &str = "current-secret";
const PREVIOUS: &str = "previous-secret";

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
    /// Clock readings around `start`, bounding the `now` the seed used.
    seeded_between: (i64, i64),
}

async fn start() -> Harness {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let before = now();
    let app = FirstApp::start(FirstAppConfig::new(
        dir.path().join("first-app.db"),
        vec![CURRENT.into(), PREVIOUS.into()],
    ))
    .await
    .unwrap();
    let after = now();
    Harness {
        app,
        client: reqwest::Client::new(),
        _dir: dir,
        seeded_between: (before, after),
    }
}

impl Harness {
    /// POSTs `body` with an optional raw signature header.
    async fn post_raw(&self, body: Vec<u8>, signature: Option<String>) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(self.app.support_url())
            .header("content-type", "application/json")
            .body(body);
        if let Some(sig) = signature {
            req = req.header(support::HEADER, sig);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("non-JSON response ({status}): {text:?}: {e}"));
        (status, value)
    }

    async fn call(&self, body: &Value) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(body).unwrap();
        let sig = support::header(CURRENT.as_bytes(), now(), &raw);
        self.post_raw(raw, Some(sig)).await
    }
}

fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) -> String {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["error"], code, "body: {}", got.1);
    let message = got.1["message"].as_str().expect("message is a string");
    assert!(!message.is_empty());
    message.to_owned()
}

#[tokio::test]
async fn lookup_user_finds_known_emails_case_insensitively_and_null_otherwise() {
    let h = start().await;

    let (status, body) = h
        .call(&json!({"action": "lookupUser", "email": "maya.patel@example.com"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let user: SdkUser = serde_json::from_value(body).unwrap();
    assert_eq!(user.id, "usr_maya");
    assert_eq!(user.name, "Maya Patel");
    assert_eq!(user.email.as_str(), "maya.patel@example.com");

    let (status, body) = h
        .call(&json!({"action": "lookupUser", "email": "  Maya.PATEL@Example.COM "}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], "usr_maya");

    let (status, body) = h
        .call(&json!({"action": "lookupUser", "email": "nobody@example.com"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null);

    let got = h
        .call(&json!({"action": "lookupUser", "email": "not-an-email"}))
        .await;
    let msg = assert_error(&got, StatusCode::BAD_REQUEST, "invalid_email");
    assert!(msg.contains("not-an-email"), "{msg}");
    h.app.shutdown().await;
}

#[tokio::test]
async fn purchases_come_back_as_seeded_newest_first() {
    let h = start().await;
    let (before, after) = h.seeded_between;

    let (status, body) = h
        .call(&json!({"action": "getPurchases", "userId": "usr_emily"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let emily: Vec<SdkPurchase> = serde_json::from_value(body).unwrap();
    assert_eq!(
        emily.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["pur_emily_react", "pur_emily_ess"],
        "newest first"
    );
    assert_eq!(emily[0].status, "refunded");
    assert_eq!(emily[0].amount.amount, 24_900);
    assert_eq!(emily[0].product_name, "React with TypeScript");
    assert_eq!(emily[1].amount.amount, 14_900);
    assert_eq!(
        emily[1].stripe_charge_id.as_deref(),
        Some("ch_seed_emily_ess")
    );

    // Every seeded customer, against the seed description the sandbox relies on.
    let mut ages = Vec::new();
    for customer in seeded_customers() {
        let (status, body) = h
            .call(&json!({"action": "getPurchases", "userId": customer.user_id}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let got: Vec<SdkPurchase> = serde_json::from_value(body).unwrap();
        assert_eq!(got.len(), customer.purchases.len(), "{}", customer.user_id);
        assert!(
            got.windows(2)
                .all(|w| w[0].purchased_at >= w[1].purchased_at)
        );
        for (p, want) in got.iter().zip(&customer.purchases) {
            assert_eq!(p.id, want.id);
            assert_eq!(p.amount, want.amount);
            assert_eq!(p.status, want.status);
            assert_eq!(p.product_name, want.product_name);
            assert!(
                (before - want.age_secs..=after - want.age_secs).contains(&p.purchased_at),
                "{} purchased_at {} not {} s before the seed",
                p.id,
                p.purchased_at,
                want.age_secs
            );
            ages.push(want.age_secs);
        }
    }
    ages.sort();
    let (d, hr) = (86_400, 3_600);
    assert_eq!(
        ages,
        [
            2 * d,
            10 * d,
            20 * d,
            29 * d + 23 * hr,
            30 * d + hr,
            40 * d,
            60 * d,
            200 * d
        ]
    );

    let (status, body) = h
        .call(&json!({"action": "getPurchases", "userId": "usr_nobody"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    h.app.shutdown().await;
}

#[tokio::test]
async fn bad_signatures_are_401_each_with_its_own_message() {
    let h = start().await;
    let body = br#"{"action":"lookupUser","email":"maya.patel@example.com"}"#.to_vec();
    let t = now();

    let missing = assert_error(
        &h.post_raw(body.clone(), None).await,
        StatusCode::UNAUTHORIZED,
        "missing_signature",
    );
    let expired = assert_error(
        &h.post_raw(
            body.clone(),
            Some(support::header(CURRENT.as_bytes(), t - 301, &body)),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "signature_expired",
    );
    let future = assert_error(
        &h.post_raw(
            body.clone(),
            Some(support::header(CURRENT.as_bytes(), t + 400, &body)),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "signature_expired",
    );
    // Signed for one body, sent with another.
    let tampered_body = br#"{"action":"lookupUser","email":"emily.nguyen@example.com"}"#.to_vec();
    let tampered = assert_error(
        &h.post_raw(
            tampered_body,
            Some(support::header(CURRENT.as_bytes(), t, &body)),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );
    let wrong_secret = assert_error(
        &h.post_raw(
            body.clone(),
            Some(support::header(b"someone-elses-secret", t, &body)),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );
    assert_eq!(tampered, wrong_secret);
    let malformed = assert_error(
        &h.post_raw(body.clone(), Some("t=abc,v1=zz".into())).await,
        StatusCode::UNAUTHORIZED,
        "malformed_signature",
    );
    let no_v1 = assert_error(
        &h.post_raw(body.clone(), Some(format!("t={t}"))).await,
        StatusCode::UNAUTHORIZED,
        "malformed_signature",
    );
    assert_eq!(malformed, no_v1);
    let garbage = assert_error(
        &h.post_raw(body.clone(), Some(",,,==,".into())).await,
        StatusCode::UNAUTHORIZED,
        "malformed_signature",
    );
    assert_eq!(garbage, malformed);

    let messages = [&missing, &expired, &future, &tampered, &malformed];
    for (i, a) in messages.iter().enumerate() {
        for b in &messages[i + 1..] {
            assert_ne!(a, b, "messages must tell the sender what to fix");
        }
    }
    assert!(missing.contains("x-support-signature"), "{missing}");
    assert!(expired.contains("old"), "{expired}");
    assert!(future.contains("future"), "{future}");
    h.app.shutdown().await;
}

#[tokio::test]
async fn previous_secret_is_still_accepted_during_rotation() {
    let h = start().await;
    let body = br#"{"action":"lookupUser","email":"chen.wei@example.org"}"#.to_vec();
    let sig = support::header(PREVIOUS.as_bytes(), now(), &body);
    let (status, value) = h.post_raw(body.clone(), Some(sig)).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    assert_eq!(value["id"], "usr_chen");

    // A sender mid-rotation may send both signatures; one valid one is enough.
    let t = now();
    let both = format!(
        "t={t},v1={},v1={}",
        support::compute(b"stale", t, &body),
        support::compute(CURRENT.as_bytes(), t, &body)
    );
    let (status, _) = h.post_raw(body, Some(both)).await;
    assert_eq!(status, StatusCode::OK);
    h.app.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_reason() {
    let h = start().await;
    let signed = |raw: &[u8]| Some(support::header(CURRENT.as_bytes(), now(), raw));

    let raw = b"{\"action\": \"lookupUser\",".to_vec();
    assert_error(
        &h.post_raw(raw.clone(), signed(&raw)).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );

    let msg = assert_error(
        &h.call(&json!({"action": "dance", "email": "a@example.com"}))
            .await,
        StatusCode::BAD_REQUEST,
        "unknown_action",
    );
    assert_eq!(msg, "Unknown action: dance");

    assert_error(
        &h.call(&json!({"email": "maya.patel@example.com"})).await,
        StatusCode::BAD_REQUEST,
        "missing_action",
    );
    assert_error(
        &h.call(&json!(["lookupUser"])).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let msg = assert_error(
        &h.call(&json!({"action": "getPurchases"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(msg.contains("userId"), "{msg}");
    h.app.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_before_anything_else() {
    let h = start().await;
    let mut raw = br#"{"action":"lookupUser","email":"maya.patel@example.com","pad":""#.to_vec();
    raw.resize(100 * 1024, b'x');
    raw.extend_from_slice(b"\"}");
    // Validly signed, so only the size can be the reason.
    let sig = support::header(CURRENT.as_bytes(), now(), &raw);
    assert_error(
        &h.post_raw(raw, Some(sig)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );

    // Just under the limit is fine.
    let mut raw = br#"{"action":"lookupUser","email":"maya.patel@example.com","pad":""#.to_vec();
    raw.resize(first_app::MAX_BODY_BYTES - 2, b'x');
    raw.extend_from_slice(b"\"}");
    let sig = support::header(CURRENT.as_bytes(), now(), &raw);
    let (status, body) = h.post_raw(raw, Some(sig)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "usr_maya");
    h.app.shutdown().await;
}

#[tokio::test]
async fn restarting_on_the_same_file_does_not_duplicate_the_seed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let config = FirstAppConfig::new(dir.path().join("nested/app.db"), vec![CURRENT.into()]);

    async fn counts(app: &FirstApp) -> Vec<i64> {
        let mut out = Vec::new();
        for sql in [
            "SELECT COUNT(*) FROM users",
            "SELECT COUNT(*) FROM products",
            "SELECT COUNT(*) FROM purchases",
            "SELECT COUNT(*) FROM subscriptions",
            "SELECT COUNT(*) FROM seats",
        ] {
            out.push(
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(app.pool())
                    .await
                    .unwrap(),
            );
        }
        out
    }

    let app = FirstApp::start(config.clone()).await.unwrap();
    let first = counts(&app).await;
    assert_eq!(first, [8, 4, 8, 1, 5]);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    app.shutdown().await;

    let app = FirstApp::start(config.clone()).await.unwrap();
    assert_eq!(counts(&app).await, first);
    // Calling the seed directly on a seeded database is a no-op as well.
    first_app::seed(app.pool(), now()).await.unwrap();
    assert_eq!(counts(&app).await, first);
    app.shutdown().await;

    let unseeded = tempfile::tempdir().unwrap();
    let mut config = FirstAppConfig::new(unseeded.path().join("app.db"), vec![CURRENT.into()]);
    config.seed = false;
    let app = FirstApp::start(config).await.unwrap();
    assert_eq!(counts(&app).await, [0, 0, 0, 0, 0]);
    app.shutdown().await;
}

#[tokio::test]
async fn refuses_to_start_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let err = FirstApp::start(FirstAppConfig::new(dir.path().join("a.db"), vec![]))
        .await
        .err()
        .expect("no secrets must be refused");
    assert!(err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn customer_page_lists_purchases_and_escapes_names() {
    let h = start().await;
    sqlx::query("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)")
        .bind("usr_evil")
        .bind("evil@example.com")
        .bind("<script>alert('x')</script> & Co")
        .bind(now())
        .execute(h.app.pool())
        .await
        .unwrap();

    let res = h.client.get(h.app.url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("First App — customers"));
    assert!(!page.contains("<script>"), "unescaped script tag in page");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"));
    assert!(page.contains("Liam O&#39;Connor"));
    assert!(page.contains("Sofía Álvarez"));
    assert!(page.contains("29 d 23 h ago"), "ages are shown");
    assert!(page.contains("2245.50 USD"), "team purchase amount");

    let res = h
        .client
        .get(format!("{}/healthz", h.app.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
    h.app.shutdown().await;
}

/// A chunked body has no Content-Length, so the limit must hold while streaming too. Sent
/// over raw TCP because that is the only way to control the framing exactly.
#[tokio::test]
async fn chunked_bodies_over_the_limit_are_413_too() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let h = start().await;
    let addr = h.app.url().trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The signature is irrelevant: the size check comes first.
    let head = format!(
        "POST /api/support HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n{}: t={},v1=00\r\n\r\n",
        support::HEADER,
        now()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Exactly one byte over the limit and nothing more, so the server has read everything
    // we sent when it answers and closes.
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..(first_app::MAX_BODY_BYTES / chunk.len()) {
        tcp.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        tcp.write_all(&chunk).await.unwrap();
        tcp.write_all(b"\r\n").await.unwrap();
    }
    tcp.write_all(b"1\r\n \r\n").await.unwrap();

    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = tcp.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&response).contains("body_too_large") {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("server answered");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains(r#""error":"body_too_large""#), "{text}");
    h.app.shutdown().await;
}

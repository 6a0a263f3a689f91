//! The client's resend, timeout and error rules against a tiny scripted app.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use support_sdk::sdk::{MagicLink, RevokeResult, SdkPurchase, SdkUser, TransferResult};
use support_sdk::{AppApi, READ_ATTEMPTS, SdkClient, SdkError};
use support_signing::{TOLERANCE_SECS, support};
use support_types::Email;

const SECRET: &str = "scripted-secret";

/// An app that answers from a script (then `fallback`), counts requests and checks that
/// every one of them is validly signed.
#[derive(Clone)]
struct Scripted {
    hits: Arc<AtomicUsize>,
    bad_signatures: Arc<AtomicUsize>,
    actions: Arc<Mutex<Vec<String>>>,
    script: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
    fallback: (u16, &'static str),
    delay: Duration,
}

async fn answer(State(s): State<Scripted>, headers: HeaderMap, body: Bytes) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = headers.get(support::HEADER).and_then(|v| v.to_str().ok());
    if support::verify(header, &body, &[SECRET.as_bytes()], now, TOLERANCE_SECS).is_err() {
        s.bad_signatures.fetch_add(1, Ordering::SeqCst);
    }
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    s.actions
        .lock()
        .unwrap()
        .push(value["action"].as_str().unwrap().to_owned());
    let (status, body) = s.script.lock().unwrap().pop_front().unwrap_or(s.fallback);
    tokio::time::sleep(s.delay).await;
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

struct Fake {
    scripted: Scripted,
    url: String,
}

impl Fake {
    fn hits(&self) -> usize {
        self.scripted.hits.load(Ordering::SeqCst)
    }

    fn client(&self, timeout: Duration) -> SdkClient {
        SdkClient::new(&self.url, SECRET, timeout)
            .unwrap()
            .with_retry_backoff(Duration::from_millis(10))
    }

    fn assert_all_signed(&self) {
        assert_eq!(self.scripted.bad_signatures.load(Ordering::SeqCst), 0);
    }
}

async fn fake(
    script: &[(u16, &'static str)],
    fallback: (u16, &'static str),
    delay: Duration,
) -> Fake {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scripted = Scripted {
        hits: Arc::default(),
        bad_signatures: Arc::default(),
        actions: Arc::default(),
        script: Arc::new(Mutex::new(script.iter().copied().collect())),
        fallback,
        delay,
    };
    let router = Router::new()
        .route("/api/support", post(answer))
        .with_state(scripted.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Fake {
        scripted,
        url: format!("http://{addr}/api/support"),
    }
}

const FAIL: (u16, &str) = (500, r#"{"error":"internal","message":"boom"}"#);
const PURCHASES: &str = r#"[{"id":"p1","productId":"prd","productName":"Course",
    "amount":{"amount":100,"currency":"usd"},"purchasedAt":1,"status":"active",
    "stripeChargeId":null}]"#;
const REVOKED: &str = r#"{"purchaseId":"p1","status":"refunded"}"#;
const NOT_IMPLEMENTED: (u16, &str) = (
    501,
    r#"{"error":"not_implemented","message":"Method not implemented: x"}"#,
);

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

#[tokio::test]
async fn reads_are_resent_after_5xx_with_a_growing_pause() {
    let fake = fake(&[FAIL, FAIL], (200, PURCHASES), Duration::ZERO).await;
    let client = SdkClient::new(&fake.url, SECRET, Duration::from_secs(5))
        .unwrap()
        .with_retry_backoff(Duration::from_millis(50));
    let started = Instant::now();
    let purchases = client.get_purchases("u1").await.unwrap();
    assert_eq!(purchases[0].id, "p1");
    assert_eq!(fake.hits(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "50 ms then 100 ms"
    );
    // Every attempt was signed afresh and validly.
    fake.assert_all_signed();
}

#[tokio::test]
async fn reads_give_up_after_three_attempts() {
    let fake = fake(&[], FAIL, Duration::ZERO).await;
    let err = fake
        .client(Duration::from_secs(5))
        .lookup_user(&email("a@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SdkError::Server(m) if m.contains("boom")),
        "{err:?}"
    );
    assert_eq!(fake.hits(), READ_ATTEMPTS as usize);
    assert_eq!(READ_ATTEMPTS, 3);
}

#[tokio::test]
async fn writes_are_never_resent() {
    let fake = fake(&[], FAIL, Duration::ZERO).await;
    let client = fake.client(Duration::from_secs(5));
    let to = email("b@example.com");
    let a = email("a@example.com");
    let results = [
        client.revoke_access("p1", "r", "re_1").await.map(|_| ()),
        client.transfer_purchase("p1", "u1", &to).await.map(|_| ()),
        client.generate_magic_link(&a, 600).await.map(|_| ()),
        client.update_email("u1", &to).await.map(|_| ()),
        client.update_name("u1", "N").await.map(|_| ()),
    ];
    for r in results {
        assert!(matches!(r, Err(SdkError::Server(_))), "{r:?}");
    }
    assert_eq!(fake.hits(), 5, "one request per write");
    assert_eq!(
        *fake.scripted.actions.lock().unwrap(),
        [
            "revokeAccess",
            "transferPurchase",
            "generateMagicLink",
            "updateEmail",
            "updateName"
        ]
    );

    // And a write that then succeeds is not affected by earlier failures.
    let fake2 = self::fake(&[], (200, REVOKED), Duration::ZERO).await;
    let ok = fake2
        .client(Duration::from_secs(5))
        .revoke_access("p1", "r", "re_1")
        .await
        .unwrap();
    assert_eq!(
        ok,
        RevokeResult {
            purchase_id: "p1".into(),
            status: "refunded".into()
        }
    );
    assert_eq!(fake2.hits(), 1);
}

#[tokio::test]
async fn timeouts_resend_reads_but_leave_writes_uncertain() {
    let fake = fake(&[], (200, PURCHASES), Duration::from_secs(3)).await;
    let client = fake.client(Duration::from_millis(200));

    let err = client.get_purchases("u1").await.unwrap_err();
    assert!(
        matches!(
            err,
            SdkError::Transport {
                uncertain: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.hits(), 3);

    let err = client.revoke_access("p1", "r", "re_1").await.unwrap_err();
    assert!(
        matches!(
            err,
            SdkError::Transport {
                uncertain: true,
                ..
            }
        ),
        "a timed-out write may have happened: {err:?}"
    );
    assert_eq!(fake.hits(), 4);
}

#[tokio::test]
async fn refused_connections_are_certain_failures() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = SdkClient::new(
        &format!("http://{addr}/api/support"),
        SECRET,
        Duration::from_secs(2),
    )
    .unwrap()
    .with_retry_backoff(Duration::from_millis(1));
    let err = client.revoke_access("p1", "r", "re_1").await.unwrap_err();
    assert!(
        matches!(
            err,
            SdkError::Transport {
                uncertain: false,
                ..
            }
        ),
        "nothing was sent: {err:?}"
    );
}

#[tokio::test]
async fn not_implemented_means_not_supported_and_is_not_resent() {
    let fake = fake(&[], NOT_IMPLEMENTED, Duration::ZERO).await;
    let client = fake.client(Duration::from_secs(5));
    assert_eq!(client.get_subscriptions("u1").await.unwrap(), None);
    assert_eq!(client.get_claimed_seats("c1").await.unwrap(), None);
    assert_eq!(client.search_content("q").await.unwrap(), None);
    assert_eq!(client.get_refund_policy().await.unwrap(), None);
    assert_eq!(
        fake.hits(),
        4,
        "a 501 is an answer, not a failure to resend"
    );
    // Optional writes: an update that did not happen is an error.
    assert_eq!(
        client.update_name("u1", "N").await,
        Err(SdkError::NotSupported)
    );
    // A required method answering 501 is an app that breaks the contract.
    assert_eq!(
        client.get_purchases("u1").await,
        Err(SdkError::NotSupported)
    );
    assert_eq!(fake.hits(), 6);
}

#[tokio::test]
async fn answers_map_to_typed_errors() {
    let fake = fake(
        &[
            (404, r#"{"error":"not_found","message":"No purchase p9"}"#),
            (409, r#"{"error":"conflict","message":"already refunded"}"#),
            (400, r#"{"error":"invalid_request","message":"bad"}"#),
            (
                401,
                r#"{"error":"signature_expired","message":"Signature expired"}"#,
            ),
            (200, "not json"),
            (200, r#"{"purchaseId":"p2"}"#),
            (302, ""),
        ],
        FAIL,
        Duration::ZERO,
    )
    .await;
    let client = fake.client(Duration::from_secs(5));
    let write = || client.revoke_access("p9", "r", "re_9");
    assert_eq!(
        write().await,
        Err(SdkError::NotFound("not_found: No purchase p9".into()))
    );
    assert!(matches!(write().await, Err(SdkError::Conflict(m)) if m.contains("already")));
    assert!(matches!(write().await, Err(SdkError::BadRequest(m)) if m.contains("bad")));
    assert!(
        matches!(write().await, Err(SdkError::Unauthorized(m)) if m.contains("signature_expired"))
    );
    assert!(matches!(write().await, Err(SdkError::Decode(m)) if m.contains("revokeAccess")));
    let transfer = client
        .transfer_purchase("p2", "u1", &email("x@example.com"))
        .await;
    assert!(matches!(transfer, Err(SdkError::Decode(_))), "{transfer:?}");
    assert!(matches!(write().await, Err(SdkError::Server(m)) if m.contains("redirect")));
    assert_eq!(fake.hits(), 7);
}

#[test]
fn constructor_refuses_bad_input_and_debug_hides_the_secret() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let t = Duration::from_secs(1);
    for (url, secret, timeout) in [
        ("not a url", SECRET, t),
        ("ftp://example.com/api/support", SECRET, t),
        ("http://127.0.0.1:1/api/support", "", t),
        ("http://127.0.0.1:1/api/support", SECRET, Duration::ZERO),
    ] {
        assert!(
            matches!(
                SdkClient::new(url, secret, timeout),
                Err(SdkError::BadRequest(_))
            ),
            "{url} {secret:?} {timeout:?}"
        );
    }
    let client = SdkClient::new("http://127.0.0.1:1/api/support", SECRET, t).unwrap();
    assert_eq!(client.url(), "http://127.0.0.1:1/api/support");
    let debug = format!("{client:?}");
    assert!(!debug.contains(SECRET), "{debug}");
}

/// What the platform's tests can do: substitute the app with a struct that implements only
/// the required methods.
struct InMemory;

#[async_trait]
impl AppApi for InMemory {
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, SdkError> {
        Ok(Some(SdkUser {
            id: "u1".into(),
            email: email.clone(),
            name: "Ada".into(),
        }))
    }
    async fn get_purchases(&self, _user_id: &str) -> Result<Vec<SdkPurchase>, SdkError> {
        Ok(vec![])
    }
    async fn revoke_access(&self, p: &str, _: &str, _: &str) -> Result<RevokeResult, SdkError> {
        Ok(RevokeResult {
            purchase_id: p.into(),
            status: "refunded".into(),
        })
    }
    async fn transfer_purchase(
        &self,
        _: &str,
        _: &str,
        _: &Email,
    ) -> Result<TransferResult, SdkError> {
        Err(SdkError::Conflict("no".into()))
    }
    async fn generate_magic_link(&self, _: &Email, _: u64) -> Result<MagicLink, SdkError> {
        Err(SdkError::NotFound("no".into()))
    }
}

#[tokio::test]
async fn app_api_can_be_substituted_and_optional_methods_default_to_unsupported() {
    let api: Arc<dyn AppApi> = Arc::new(InMemory);
    assert_eq!(
        api.lookup_user(&email("a@example.com"))
            .await
            .unwrap()
            .unwrap()
            .name,
        "Ada"
    );
    assert_eq!(api.get_subscriptions("u1").await, Ok(None));
    assert_eq!(api.get_refund_policy().await, Ok(None));
    assert_eq!(
        api.update_email("u1", &email("b@example.com")).await,
        Err(SdkError::NotSupported)
    );
}

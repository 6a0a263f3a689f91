//! `support_routes` with small stub integrations, in process (first-app's own tests cover
//! the same route over real sockets).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use support_sdk::sdk::{MagicLink, RevokeResult, SdkPurchase, SdkUser, TransferResult};
use support_sdk::{
    IntegrationError, MAX_BODY_BYTES, SUPPORT_PATH, SupportIntegration, support_routes,
};
use support_signing::support;
use support_types::Email;
use tower::ServiceExt as _;

const SECRET: &str = "route-secret";

/// Implements only the required methods, each failing in its own way.
struct Stub;

#[derive(Debug)]
struct DbDown;

impl std::fmt::Display for DbDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection to /var/lib/secret.db refused")
    }
}

impl std::error::Error for DbDown {}

#[async_trait]
impl SupportIntegration for Stub {
    async fn lookup_user(&self, email: &Email) -> Result<Option<SdkUser>, IntegrationError> {
        Ok(Some(SdkUser {
            id: "u1".into(),
            email: email.clone(),
            name: "Ada".into(),
        }))
    }

    async fn get_purchases(&self, user_id: &str) -> Result<Vec<SdkPurchase>, IntegrationError> {
        match user_id {
            "panic" => panic!("the integration panicked"),
            _ => Err(IntegrationError::internal(DbDown)),
        }
    }

    async fn revoke_access(
        &self,
        purchase_id: &str,
        _reason: &str,
        _refund_id: &str,
    ) -> Result<RevokeResult, IntegrationError> {
        Err(IntegrationError::not_found(format!(
            "No purchase {purchase_id}"
        )))
    }

    async fn transfer_purchase(
        &self,
        _purchase_id: &str,
        _from_user_id: &str,
        _to_email: &Email,
    ) -> Result<TransferResult, IntegrationError> {
        Err(IntegrationError::conflict("Purchase is refunded"))
    }

    async fn generate_magic_link(
        &self,
        _email: &Email,
        _expires_in_secs: u64,
    ) -> Result<MagicLink, IntegrationError> {
        Err(IntegrationError::NotImplemented)
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn send(
    router: &axum::Router,
    raw: Vec<u8>,
    signature: Option<String>,
) -> (StatusCode, Value) {
    let mut req = Request::post(SUPPORT_PATH).header("content-type", "application/json");
    if let Some(sig) = signature {
        req = req.header(support::HEADER, sig);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(raw)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("non-JSON answer ({status}): {bytes:?}: {e}"));
    (status, value)
}

async fn call(router: &axum::Router, body: Value) -> (StatusCode, Value) {
    let raw = serde_json::to_vec(&body).unwrap();
    let sig = support::header(SECRET.as_bytes(), now(), &raw);
    send(router, raw, Some(sig)).await
}

fn router() -> axum::Router {
    support_routes(Arc::new(Stub), vec![SECRET.into(), String::new()])
}

fn error(status: StatusCode, code: &str, message: &str) -> (StatusCode, Value) {
    (status, json!({"error": code, "message": message}))
}

#[tokio::test]
async fn integration_errors_become_statuses_and_failures_stay_private() {
    let r = router();
    assert_eq!(
        call(
            &r,
            json!({"action": "lookupUser", "email": "Ada@Example.com"})
        )
        .await,
        (
            StatusCode::OK,
            json!({"id": "u1", "email": "ada@example.com", "name": "Ada"})
        )
    );
    let internal = error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error; see the app's logs",
    );
    // The error text (a path!) is logged, never sent.
    assert_eq!(
        call(&r, json!({"action": "getPurchases", "userId": "u1"})).await,
        internal
    );
    // A panic is a 500 too, not a dropped connection.
    assert_eq!(
        call(&r, json!({"action": "getPurchases", "userId": "panic"})).await,
        internal
    );
    assert_eq!(
        call(
            &r,
            json!({"action": "revokeAccess", "purchaseId": "p9", "reason": "r", "refundId": "re"})
        )
        .await,
        error(StatusCode::NOT_FOUND, "not_found", "No purchase p9")
    );
    assert_eq!(
        call(
            &r,
            json!({"action": "transferPurchase", "purchaseId": "p1", "fromUserId": "u1",
                   "toEmail": "b@example.com"})
        )
        .await,
        error(StatusCode::CONFLICT, "conflict", "Purchase is refunded")
    );
    // Even a required method may admit it is not there.
    assert_eq!(
        call(
            &r,
            json!({"action": "generateMagicLink", "email": "a@example.com", "expiresIn": 60})
        )
        .await,
        error(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "Method not implemented: generateMagicLink"
        )
    );
}

#[tokio::test]
async fn every_optional_method_defaults_to_501() {
    let r = router();
    for (action, body) in [
        ("getSubscriptions", json!({"userId": "u1"})),
        (
            "updateEmail",
            json!({"userId": "u1", "newEmail": "n@example.com"}),
        ),
        ("updateName", json!({"userId": "u1", "name": "N"})),
        ("getClaimedSeats", json!({"bulkCouponId": "c1"})),
        ("searchContent", json!({"query": "q"})),
        ("getRefundPolicy", json!({})),
    ] {
        let mut body = body;
        body["action"] = json!(action);
        assert_eq!(
            call(&r, body).await,
            error(
                StatusCode::NOT_IMPLEMENTED,
                "not_implemented",
                &format!("Method not implemented: {action}")
            )
        );
    }
}

#[tokio::test]
async fn the_request_is_checked_in_order_size_signature_json_action() {
    let r = router();
    // Too large, even unsigned.
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(send(&r, big, None).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    // Not JSON, but unsigned: the signature comes first.
    let (status, body) = send(&r, b"nope".to_vec(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "missing_signature");
    // Signed with the empty string, which was configured and must have been ignored.
    let raw = br#"{"action":"lookupUser","email":"a@example.com"}"#.to_vec();
    let sig = support::header(b"", now(), &raw);
    let (status, body) = send(&r, raw, Some(sig)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_signature");
    // Non-ASCII junk in the header is malformed, never a 500.
    let raw = br#"{"action":"lookupUser","email":"a@example.com"}"#.to_vec();
    let (status, body) = send(&r, raw, Some("t=\u{e9}".into())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "malformed_signature");

    let signed = |raw: &[u8]| Some(support::header(SECRET.as_bytes(), now(), raw));
    let (status, body) = send(&r, b"{".to_vec(), signed(b"{")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_json"))
    );
    assert_eq!(
        call(&r, json!({"userId": "u1"})).await,
        error(
            StatusCode::BAD_REQUEST,
            "missing_action",
            "Missing `action` field"
        )
    );
    assert_eq!(
        call(&r, json!({"action": "getProductStatus"})).await,
        error(
            StatusCode::BAD_REQUEST,
            "unknown_action",
            "Unknown action: getProductStatus"
        )
    );
    let (status, body) = call(&r, json!({"action": 7})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
    let (status, body) = call(
        &r,
        json!({"action": "updateEmail", "userId": "u1", "newEmail": "not-an-email"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_email"))
    );
    assert!(body["message"].as_str().unwrap().contains("not-an-email"));
    let (status, body) = call(
        &r,
        json!({"action": "generateMagicLink", "email": "a@example.com"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("expiresIn"),
        "{body}"
    );
}

#[tokio::test]
async fn no_usable_secret_refuses_everything() {
    let r = support_routes(Arc::new(Stub), vec![String::new()]);
    let (status, body) = call(
        &r,
        json!({"action": "lookupUser", "email": "a@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_signature");
}

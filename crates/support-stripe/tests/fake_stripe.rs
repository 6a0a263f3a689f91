//! `StripeClient` against a real `FakeStripe`: headers, idempotent replays, every scripted
//! fault and how its error classifies, Connect scoping, validation and pagination.

use std::collections::BTreeMap;
use std::time::Duration;

use support_fakes::{FakeStripe, FakeStripeConfig, SeedCharge, StripeFault};
use support_stripe::{
    ACTION_METADATA_KEY, Outcome, RefundRequest, STRIPE_VERSION, StripeApi, StripeClient,
    StripeError, find_refund_by_action, refund_idempotency_key,
};

const ACCT: &str = "acct_1TestConnectedA";
const OTHER_ACCT: &str = "acct_1TestConnectedB";
const KEY: &str = "sk_test_fake";
const CHARGE: &str = "ch_3TestCharge0001";

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn client(url: &str) -> StripeClient {
    install_crypto();
    StripeClient::new(url, KEY, Duration::from_secs(5)).unwrap()
}

fn seed(id: &str, amount: i64, payment_intent: Option<&str>) -> SeedCharge {
    SeedCharge {
        id: id.to_owned(),
        amount,
        currency: "usd".to_owned(),
        created: 1_767_225_600,
        payment_intent: payment_intent.map(str::to_owned),
        customer_email: Some("jane@example.com".to_owned()),
    }
}

/// A fake with one 10.00 USD charge on `ACCT`, and a client pointed at it.
async fn setup() -> (FakeStripe, StripeClient) {
    let fake = FakeStripe::start(FakeStripeConfig::default())
        .await
        .unwrap();
    fake.add_charge(ACCT, seed(CHARGE, 1000, Some("pi_3TestIntent0001")));
    let c = client(&fake.url());
    (fake, c)
}

fn refund_req(charge: &str, amount: i64, action_id: &str) -> RefundRequest {
    RefundRequest {
        charge: Some(charge.to_owned()),
        payment_intent: None,
        amount: Some(amount),
        reason: Some("requested_by_customer".to_owned()),
        metadata: BTreeMap::from([(ACTION_METADATA_KEY.to_owned(), action_id.to_owned())]),
    }
}

#[tokio::test]
async fn create_refund_sends_connect_and_idempotency_headers_and_replays() {
    let (fake, c) = setup().await;
    let key = refund_idempotency_key("act_1");
    let req = refund_req(CHARGE, 500, "act_1");

    let refund = c.create_refund(ACCT, &req, &key).await.unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.amount, 500);
    assert_eq!(refund.currency, "usd");
    assert_eq!(refund.charge.as_deref(), Some(CHARGE));
    assert_eq!(refund.status, "succeeded");
    assert_eq!(refund.action_id(), Some("act_1"));

    let stored = fake.refunds(ACCT);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, refund.id);
    assert_eq!(stored[0].idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(
        stored[0]
            .metadata
            .get(ACTION_METADATA_KEY)
            .map(String::as_str),
        Some("act_1")
    );
    assert_eq!(stored[0].reason.as_deref(), Some("requested_by_customer"));

    let log = fake.request_log();
    assert_eq!(log.len(), 1);
    let post = &log[0];
    assert_eq!(
        (post.method.as_str(), post.path.as_str()),
        ("POST", "/v1/refunds")
    );
    assert_eq!(post.header("stripe-account"), Some(ACCT));
    assert_eq!(post.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(post.header("authorization"), Some("Bearer sk_test_fake"));
    assert_eq!(post.header("stripe-version"), Some(STRIPE_VERSION));
    assert!(
        post.header("content-type")
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")),
        "{:?}",
        post.header("content-type")
    );
    assert!(
        post.body.contains("metadata%5Bsupport_action_id%5D=act_1")
            || post.body.contains("metadata[support_action_id]=act_1"),
        "{}",
        post.body
    );

    // Same key, same parameters: Stripe replays the stored refund.
    let again = c.create_refund(ACCT, &req, &key).await.unwrap();
    assert_eq!(again, refund);
    assert_eq!(fake.refund_count(), 1);
    assert_eq!(fake.post_count_for_key(&key), 2);

    // Same key, different amount: a programming error, never retried under a new key.
    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 600, "act_1"), &key)
        .await
        .unwrap_err();
    assert!(matches!(err, StripeError::Idempotency { .. }), "{err:?}");
    assert_eq!(err.outcome(), Outcome::Failed);
    assert_eq!(fake.refund_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn refund_by_payment_intent() {
    let (fake, c) = setup().await;
    let req = RefundRequest {
        payment_intent: Some("pi_3TestIntent0001".to_owned()),
        amount: Some(250),
        ..RefundRequest::default()
    };
    let refund = c.create_refund(ACCT, &req, "refund:act_pi").await.unwrap();
    assert_eq!(refund.charge.as_deref(), Some(CHARGE));
    assert_eq!(refund.amount, 250);
    fake.shutdown().await;
}

#[tokio::test]
async fn fail_500_once_then_same_key_succeeds() {
    let (fake, c) = setup().await;
    fake.script(StripeFault::Fail500Once);
    let key = refund_idempotency_key("act_500");
    let req = refund_req(CHARGE, 300, "act_500");

    let err = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert!(
        matches!(
            err,
            StripeError::Server {
                status: 500,
                replayed: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::RetrySameKey);
    assert_eq!(fake.refund_count(), 0);

    let refund = c.create_refund(ACCT, &req, &key).await.unwrap();
    assert_eq!(refund.amount, 300);
    assert_eq!(fake.refund_count(), 1);
    assert_eq!(fake.post_count_for_key(&key), 2);
    assert_eq!(fake.pending_faults(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn stored_500_is_replayed_and_reconciliation_finds_nothing() {
    let (fake, c) = setup().await;
    let key = refund_idempotency_key("act_stored");
    fake.script(StripeFault::Stored500ForKey(key.clone()));
    let req = refund_req(CHARGE, 300, "act_stored");

    // The first 500 looks like any other: retry with the same key.
    let first = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert!(
        matches!(
            first,
            StripeError::Server {
                status: 500,
                replayed: false,
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(first.outcome(), Outcome::RetrySameKey);

    // The retry gets the stored 500 back: the outcome is unknowable through this key.
    let replay = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert!(
        matches!(
            replay,
            StripeError::Server {
                status: 500,
                replayed: true,
                ..
            }
        ),
        "{replay:?}"
    );
    assert_eq!(replay.outcome(), Outcome::Uncertain);

    // Reconcile: the stored 500 created nothing.
    let found = find_refund_by_action(&c, ACCT, CHARGE, "act_stored")
        .await
        .unwrap();
    assert_eq!(found, None);
    assert_eq!(fake.refund_count(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn in_flight_409_is_key_in_use() {
    let (fake, c) = setup().await;
    let key = refund_idempotency_key("act_409");
    fake.script(StripeFault::InFlight409ForKey(key.clone()));
    let req = refund_req(CHARGE, 300, "act_409");

    let err = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert!(matches!(err, StripeError::KeyInUse { .. }), "{err:?}");
    assert_eq!(err.outcome(), Outcome::RetrySameKey);
    assert_eq!(fake.refund_count(), 0);

    c.create_refund(ACCT, &req, &key).await.unwrap();
    assert_eq!(fake.refund_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limit_429_is_retry_same_key() {
    let (fake, c) = setup().await;
    fake.script(StripeFault::RateLimit429Once);
    let key = refund_idempotency_key("act_429");
    let req = refund_req(CHARGE, 300, "act_429");

    let err = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert_eq!(err, StripeError::RateLimited { retry_after: None });
    assert_eq!(err.outcome(), Outcome::RetrySameKey);

    c.create_refund(ACCT, &req, &key).await.unwrap();
    assert_eq!(fake.refund_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn commit_then_drop_is_uncertain_and_reconciles() {
    let (fake, c) = setup().await;
    fake.script(StripeFault::CommitThenDrop);
    let key = refund_idempotency_key("act_drop");
    let req = refund_req(CHARGE, 400, "act_drop");

    let err = c.create_refund(ACCT, &req, &key).await.unwrap_err();
    assert!(
        matches!(
            err,
            StripeError::Transport {
                uncertain: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::Uncertain);
    assert_eq!(fake.refund_count(), 1);

    // Reconciliation finds it by our action id...
    let found = find_refund_by_action(&c, ACCT, CHARGE, "act_drop")
        .await
        .unwrap()
        .expect("the dropped request did create a refund");
    assert_eq!(found.amount, 400);
    assert_eq!(found.id, fake.refunds(ACCT)[0].id);
    // ...and not for another action.
    assert_eq!(
        find_refund_by_action(&c, ACCT, CHARGE, "act_other")
            .await
            .unwrap(),
        None
    );

    // A retry with the same key replays the stored success: still one refund.
    let replayed = c.create_refund(ACCT, &req, &key).await.unwrap();
    assert_eq!(replayed.id, found.id);
    assert_eq!(fake.refund_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn business_errors_are_failed() {
    let (fake, c) = setup().await;
    fake.add_charge(OTHER_ACCT, seed("ch_3OtherAccount01", 1000, None));

    // More than the charge: amount_too_large.
    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 5000, "act_big"), "refund:act_big")
        .await
        .unwrap_err();
    match &err {
        StripeError::InvalidRequest {
            code,
            param,
            status,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("amount_too_large"));
            assert_eq!(param.as_deref(), Some("amount"));
            assert_eq!(*status, 400);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), Some("amount_too_large"));
    assert_eq!(err.outcome(), Outcome::Failed);

    // A charge of another connected account does not exist on this one.
    let err = c
        .create_refund(
            ACCT,
            &refund_req("ch_3OtherAccount01", 100, "act_x"),
            "refund:act_x",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StripeError::InvalidRequest { code: Some(code), status: 404, .. } if code == "resource_missing"),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::Failed);
    let err = c
        .retrieve_charge(ACCT, "ch_3OtherAccount01")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("resource_missing"));

    // Fully refunded, then once more: charge_already_refunded.
    c.create_refund(
        ACCT,
        &RefundRequest {
            amount: None,
            ..refund_req(CHARGE, 1, "act_full")
        },
        "refund:act_full",
    )
    .await
    .unwrap();
    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 1, "act_more"), "refund:act_more")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("charge_already_refunded"));
    assert_eq!(err.outcome(), Outcome::Failed);
    assert_eq!(fake.refund_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn bad_secret_key_is_auth_and_not_leaked() {
    let (fake, _) = setup().await;
    install_crypto();
    let wrong = "sk_test_wrongkey1234567";
    let c = StripeClient::new(&fake.url(), wrong, Duration::from_secs(5)).unwrap();
    let err = c.retrieve_charge(ACCT, CHARGE).await.unwrap_err();
    assert!(matches!(err, StripeError::Auth { .. }), "{err:?}");
    assert_eq!(err.outcome(), Outcome::Failed);
    assert!(!err.to_string().contains(wrong), "{err}");
    assert!(!format!("{err:?}").contains(wrong), "{err:?}");
    assert!(!format!("{c:?}").contains(wrong));

    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 100, "act_a"), "refund:act_a")
        .await
        .unwrap_err();
    assert!(matches!(err, StripeError::Auth { .. }), "{err:?}");
    assert_eq!(fake.refund_count(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn invalid_inputs_never_reach_stripe() {
    let (fake, c) = setup().await;
    let good = refund_req(CHARGE, 100, "act_v");
    let bad_requests = [
        RefundRequest {
            amount: Some(0),
            ..good.clone()
        },
        RefundRequest {
            amount: Some(-5),
            ..good.clone()
        },
        RefundRequest {
            reason: Some("because".to_owned()),
            ..good.clone()
        },
        RefundRequest {
            charge: None,
            ..good.clone()
        },
        RefundRequest {
            payment_intent: Some("pi_3TestIntent0001".to_owned()),
            ..good.clone()
        },
        RefundRequest {
            charge: Some("py".to_owned()),
            ..good.clone()
        },
        RefundRequest {
            charge: None,
            payment_intent: Some("ch_3TestCharge0001".to_owned()),
            ..good.clone()
        },
    ];
    for req in &bad_requests {
        let err = c
            .create_refund(ACCT, req, "refund:act_v")
            .await
            .unwrap_err();
        assert!(matches!(err, StripeError::InvalidInput { .. }), "{req:?}");
        assert_eq!(err.outcome(), Outcome::Failed);
    }
    let checks: Vec<StripeError> = vec![
        c.create_refund("acct_", &good, "refund:act_v")
            .await
            .unwrap_err(),
        c.create_refund("cus_123", &good, "refund:act_v")
            .await
            .unwrap_err(),
        c.create_refund(ACCT, &good, "").await.unwrap_err(),
        c.create_refund(ACCT, &good, &"k".repeat(256))
            .await
            .unwrap_err(),
        c.retrieve_refund(ACCT, "ch_notarefund").await.unwrap_err(),
        c.retrieve_refund(ACCT, "re_../../v1/charges")
            .await
            .unwrap_err(),
        c.retrieve_charge("", CHARGE).await.unwrap_err(),
        c.retrieve_charge(ACCT, "re_123").await.unwrap_err(),
        c.list_refunds_for_charge(ACCT, "pi_123").await.unwrap_err(),
        find_refund_by_action(&c, ACCT, CHARGE, "")
            .await
            .unwrap_err(),
    ];
    for err in checks {
        assert!(matches!(err, StripeError::InvalidInput { .. }), "{err:?}");
    }
    assert!(fake.request_log().is_empty(), "{:?}", fake.request_log());

    install_crypto();
    for (url, key, timeout) in [
        ("ftp://x", KEY, Duration::from_secs(1)),
        ("http://127.0.0.1:1", "", Duration::from_secs(1)),
        ("http://127.0.0.1:1", KEY, Duration::ZERO),
    ] {
        assert!(matches!(
            StripeClient::new(url, key, timeout),
            Err(StripeError::InvalidInput { .. })
        ));
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn retrieve_charge_and_refund_reflect_refunds() {
    let (fake, c) = setup().await;
    let before = c.retrieve_charge(ACCT, CHARGE).await.unwrap();
    assert_eq!(before.id, CHARGE);
    assert_eq!(before.amount, 1000);
    assert_eq!(before.amount_refunded, 0);
    assert!(!before.refunded);
    assert_eq!(before.payment_intent.as_deref(), Some("pi_3TestIntent0001"));
    assert_eq!(before.created, 1_767_225_600);

    let refund = c
        .create_refund(ACCT, &refund_req(CHARGE, 600, "act_r"), "refund:act_r")
        .await
        .unwrap();
    let after = c.retrieve_charge(ACCT, CHARGE).await.unwrap();
    assert_eq!(after.amount_refunded, 600);
    assert_eq!(after.refundable(), 400);
    assert!(!after.refunded);

    c.create_refund(ACCT, &refund_req(CHARGE, 400, "act_s"), "refund:act_s")
        .await
        .unwrap();
    let full = c.retrieve_charge(ACCT, CHARGE).await.unwrap();
    assert_eq!(full.amount_refunded, 1000);
    assert!(full.refunded);

    assert_eq!(c.retrieve_refund(ACCT, &refund.id).await.unwrap(), refund);
    // Connect scoping: the refund is invisible from another account.
    let err = c.retrieve_refund(OTHER_ACCT, &refund.id).await.unwrap_err();
    assert_eq!(err.code(), Some("resource_missing"));

    // Every GET carried the account, key and version too.
    for r in fake.request_log() {
        assert!(r.header("stripe-account").is_some(), "{r:?}");
        assert_eq!(r.header("stripe-version"), Some(STRIPE_VERSION));
        assert_eq!(r.header("authorization"), Some("Bearer sk_test_fake"));
        if r.method == "GET" {
            assert_eq!(r.header("idempotency-key"), None);
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn list_refunds_follows_pages() {
    let fake = FakeStripe::start(FakeStripeConfig::default())
        .await
        .unwrap();
    fake.add_charge(ACCT, seed(CHARGE, 1000, None));
    fake.add_charge(ACCT, seed("ch_3TestChargeOther", 1000, None));
    let c = client(&fake.url()).with_page_size(2);
    assert_eq!(c.page_size(), 2);

    let mut ids = Vec::new();
    for i in 0..5 {
        let action = format!("act_page_{i}");
        let r = c
            .create_refund(
                ACCT,
                &refund_req(CHARGE, 10, &action),
                &refund_idempotency_key(&action),
            )
            .await
            .unwrap();
        ids.push(r.id);
    }
    // A refund of a different charge must not show up.
    c.create_refund(
        ACCT,
        &refund_req("ch_3TestChargeOther", 10, "act_elsewhere"),
        "refund:act_elsewhere",
    )
    .await
    .unwrap();

    let listed = c.list_refunds_for_charge(ACCT, CHARGE).await.unwrap();
    let listed_ids: Vec<String> = listed.iter().map(|r| r.id.clone()).collect();
    ids.reverse(); // Stripe lists newest first.
    assert_eq!(listed_ids, ids);

    let gets: Vec<_> = fake
        .request_log()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/v1/refunds")
        .collect();
    assert_eq!(gets.len(), 3, "5 refunds at 2 per page");
    let q0 = gets[0].query.clone().unwrap_or_default();
    assert!(
        q0.contains("limit=2") && q0.contains(&format!("charge={CHARGE}")),
        "{q0}"
    );
    assert!(!q0.contains("starting_after"), "{q0}");
    let q1 = gets[1].query.clone().unwrap_or_default();
    assert!(q1.contains(&format!("starting_after={}", ids[1])), "{q1}");

    // Reconciliation sees past the first page.
    let oldest = find_refund_by_action(&c, ACCT, CHARGE, "act_page_0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&oldest.id, ids.last().unwrap());

    // Default page size: one request.
    let c = client(&fake.url());
    assert_eq!(
        c.list_refunds_for_charge(ACCT, CHARGE).await.unwrap().len(),
        5
    );
    assert_eq!(
        c.list_refunds_for_charge(ACCT, "ch_3NoRefundsHere")
            .await
            .unwrap(),
        vec![]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn connect_error_is_not_uncertain() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"));
    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 100, "act_c"), "refund:act_c")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StripeError::Transport {
                uncertain: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::RetrySameKey);
}

/// A server that accepts connections, reads, and never answers.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (url, task)
}

#[tokio::test]
async fn timeout_after_send_is_uncertain_for_posts_only() {
    let (url, task) = silent_server().await;
    install_crypto();
    let c = StripeClient::new(&url, KEY, Duration::from_millis(300)).unwrap();

    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 100, "act_t"), "refund:act_t")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StripeError::Transport {
                uncertain: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::Uncertain);

    // A GET has no side effect: the same failure is just "try again".
    let err = c.retrieve_charge(ACCT, CHARGE).await.unwrap_err();
    assert!(
        matches!(
            err,
            StripeError::Transport {
                uncertain: false,
                ..
            }
        ),
        "{err:?}"
    );
    task.abort();
}

#[tokio::test]
async fn unreadable_success_body_is_decode_and_uncertain() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        if let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      content-length: 11\r\nconnection: close\r\n\r\nnot a json!",
                )
                .await;
        }
    });
    let c = client(&url);
    let err = c
        .create_refund(ACCT, &refund_req(CHARGE, 100, "act_d"), "refund:act_d")
        .await
        .unwrap_err();
    assert!(matches!(err, StripeError::Decode { .. }), "{err:?}");
    assert_eq!(err.outcome(), Outcome::Uncertain);
    task.abort();
}

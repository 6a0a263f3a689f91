//! Fake Stripe over real HTTP: refunds, idempotency replay and mismatch, over-refunds,
//! listing, Connect scoping, and every scripted fault.

use serde_json::Value;
use support_fakes::{FakeStripe, FakeStripeConfig, PLATFORM_ACCOUNT, SeedCharge, StripeFault};

const KEY: &str = "sk_test_fake";
const ACCT: &str = "acct_1Merchant";
const OTHER: &str = "acct_2Someone";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start() -> FakeStripe {
    let stripe = FakeStripe::start(FakeStripeConfig::default())
        .await
        .expect("start");
    stripe.add_charge(
        ACCT,
        SeedCharge {
            id: "ch_3Demo".into(),
            amount: 5000,
            currency: "usd".into(),
            created: 1_767_225_600,
            payment_intent: Some("pi_3Demo".into()),
            customer_email: Some("ada@example.com".into()),
        },
    );
    stripe.add_charge(
        OTHER,
        SeedCharge {
            id: "ch_Other".into(),
            amount: 1000,
            currency: "eur".into(),
            created: 1_767_225_600,
            payment_intent: None,
            customer_email: None,
        },
    );
    stripe
}

struct Reply {
    status: u16,
    replayed: bool,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("json body")
    }
}

async fn refund(
    http: &reqwest::Client,
    stripe: &FakeStripe,
    account: Option<&str>,
    key: Option<&str>,
    form: &[(&str, &str)],
) -> Reply {
    let mut req = http
        .post(format!("{}/v1/refunds", stripe.url()))
        .bearer_auth(KEY)
        .form(form);
    if let Some(a) = account {
        req = req.header("Stripe-Account", a);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
        == Some("true");
    let body = resp.text().await.expect("body");
    Reply {
        status,
        replayed,
        body,
    }
}

async fn get(
    http: &reqwest::Client,
    stripe: &FakeStripe,
    account: Option<&str>,
    path: &str,
) -> (u16, Value) {
    let mut req = http.get(format!("{}{path}", stripe.url())).bearer_auth(KEY);
    if let Some(a) = account {
        req = req.header("Stripe-Account", a);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

#[tokio::test]
async fn refund_create_replay_mismatch_and_charge_state() {
    let stripe = start().await;
    let http = client();
    let form = [
        ("charge", "ch_3Demo"),
        ("amount", "2000"),
        ("reason", "requested_by_customer"),
        ("metadata[support_action_id]", "act_01J"),
    ];

    let first = refund(&http, &stripe, Some(ACCT), Some("refund:act_01J"), &form).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!first.replayed);
    let r = first.json();
    assert_eq!(r["object"], "refund");
    assert!(r["id"].as_str().expect("id").starts_with("re_"));
    assert_eq!(r["amount"], 2000);
    assert_eq!(r["charge"], "ch_3Demo");
    assert_eq!(r["payment_intent"], "pi_3Demo");
    assert_eq!(r["currency"], "usd");
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["reason"], "requested_by_customer");
    assert_eq!(r["metadata"]["support_action_id"], "act_01J");

    // Same key, same params (in a different order): byte-identical replay, no new refund.
    let reordered = [form[3], form[1], form[0], form[2]];
    let second = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("refund:act_01J"),
        &reordered,
    )
    .await;
    assert_eq!(second.status, 200);
    assert!(second.replayed);
    assert_eq!(second.body, first.body);
    assert_eq!(stripe.refund_count(), 1);
    assert_eq!(stripe.post_count_for_key("refund:act_01J"), 2);

    // Same key, different params.
    let mismatch = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("refund:act_01J"),
        &[("charge", "ch_3Demo"), ("amount", "1000")],
    )
    .await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(mismatch.json()["error"]["type"], "idempotency_error");
    assert_eq!(stripe.refund_count(), 1);

    let (status, charge) = get(&http, &stripe, Some(ACCT), "/v1/charges/ch_3Demo").await;
    assert_eq!(status, 200);
    assert_eq!(charge["object"], "charge");
    assert_eq!(charge["amount"], 5000);
    assert_eq!(charge["amount_refunded"], 2000);
    assert_eq!(charge["refunded"], false);
    assert_eq!(charge["billing_details"]["email"], "ada@example.com");
    assert_eq!(charge["refunds"]["data"][0]["id"], r["id"]);

    let (status, fetched) = get(
        &http,
        &stripe,
        Some(ACCT),
        &format!("/v1/refunds/{}", r["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fetched, r);

    let (status, pi) = get(&http, &stripe, Some(ACCT), "/v1/payment_intents/pi_3Demo").await;
    assert_eq!(status, 200);
    assert_eq!(pi["object"], "payment_intent");
    assert_eq!(pi["latest_charge"], "ch_3Demo");
    assert_eq!(pi["status"], "succeeded");

    let stored = stripe.refunds(ACCT);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].idempotency_key.as_deref(), Some("refund:act_01J"));
    assert_eq!(stored[0].metadata["support_action_id"], "act_01J");

    stripe.shutdown().await;
}

#[tokio::test]
async fn over_refund_is_refused_and_list_by_charge_paginates() {
    let stripe = start().await;
    let http = client();

    let a = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-a"),
        &[("charge", "ch_3Demo"), ("amount", "1500")],
    )
    .await;
    assert_eq!(a.status, 200);

    let too_much = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-b"),
        &[("charge", "ch_3Demo"), ("amount", "4000")],
    )
    .await;
    assert_eq!(too_much.status, 400);
    let err = too_much.json();
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["code"], "amount_too_large");
    assert_eq!(err["error"]["param"], "amount");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("$35.00")
    );

    // No amount: refunds the remaining 3500, by payment intent.
    let rest = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-c"),
        &[("payment_intent", "pi_3Demo")],
    )
    .await;
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(rest.json()["amount"], 3500);
    assert_eq!(rest.json()["charge"], "ch_3Demo");

    let again = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-d"),
        &[("charge", "ch_3Demo")],
    )
    .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"]["code"], "charge_already_refunded");
    assert_eq!(stripe.refund_count(), 2);

    let (_, charge) = get(&http, &stripe, Some(ACCT), "/v1/charges/ch_3Demo").await;
    assert_eq!(charge["amount_refunded"], 5000);
    assert_eq!(charge["refunded"], true);

    let (status, page) = get(
        &http,
        &stripe,
        Some(ACCT),
        "/v1/refunds?charge=ch_3Demo&limit=1",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["object"], "list");
    assert_eq!(page["url"], "/v1/refunds");
    assert_eq!(page["has_more"], true);
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["amount"], 3500, "newest first");
    let newest = data[0]["id"].as_str().expect("id").to_owned();

    let (_, page2) = get(
        &http,
        &stripe,
        Some(ACCT),
        &format!("/v1/refunds?charge=ch_3Demo&limit=1&starting_after={newest}"),
    )
    .await;
    assert_eq!(page2["data"][0]["amount"], 1500);
    assert_eq!(page2["has_more"], false);

    let (_, all) = get(&http, &stripe, Some(ACCT), "/v1/refunds?charge=ch_3Demo").await;
    assert_eq!(all["data"].as_array().expect("data").len(), 2);
    let (_, none) = get(&http, &stripe, Some(ACCT), "/v1/refunds?charge=ch_Other").await;
    assert!(none["data"].as_array().expect("data").is_empty());

    let (status, bad) = get(&http, &stripe, Some(ACCT), "/v1/refunds?limit=500").await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["param"], "limit");

    stripe.shutdown().await;
}

#[tokio::test]
async fn stripe_account_scopes_every_call_and_auth_is_checked() {
    let stripe = start().await;
    let http = client();

    let (status, err) = get(&http, &stripe, Some(OTHER), "/v1/charges/ch_3Demo").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["code"], "resource_missing");
    assert_eq!(err["error"]["message"], "No such charge: 'ch_3Demo'");

    let (status, _) = get(&http, &stripe, None, "/v1/charges/ch_3Demo").await;
    assert_eq!(
        status, 404,
        "no header = platform account, which has no such charge"
    );

    let cross = refund(&http, &stripe, Some(OTHER), None, &[("charge", "ch_3Demo")]).await;
    assert_eq!(cross.status, 404);
    assert_eq!(cross.json()["error"]["code"], "resource_missing");
    assert_eq!(stripe.refund_count(), 0);

    let (status, _) = get(&http, &stripe, Some(OTHER), "/v1/charges/ch_Other").await;
    assert_eq!(status, 200);

    // Platform account works without the header.
    stripe.add_charge(
        PLATFORM_ACCOUNT,
        SeedCharge {
            id: "ch_Platform".into(),
            amount: 700,
            currency: "usd".into(),
            created: 1_767_225_600,
            payment_intent: None,
            customer_email: None,
        },
    );
    let plat = refund(&http, &stripe, None, None, &[("charge", "ch_Platform")]).await;
    assert_eq!(plat.status, 200);
    assert_eq!(stripe.refunds(PLATFORM_ACCOUNT).len(), 1);
    assert!(stripe.refunds(ACCT).is_empty());

    // Keys are scoped per account: the same key on two accounts is two requests.
    let k1 = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("shared-key"),
        &[("charge", "ch_3Demo"), ("amount", "100")],
    )
    .await;
    let k2 = refund(
        &http,
        &stripe,
        Some(OTHER),
        Some("shared-key"),
        &[("charge", "ch_Other"), ("amount", "100")],
    )
    .await;
    assert_eq!((k1.status, k2.status), (200, 200));
    assert!(!k2.replayed);

    let unauth = http
        .get(format!("{}/v1/charges/ch_3Demo", stripe.url()))
        .header("Stripe-Account", ACCT)
        .send()
        .await
        .expect("send");
    assert_eq!(unauth.status(), 401);
    let body: Value = unauth.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .starts_with("You did not provide an API key")
    );

    let wrong = http
        .post(format!("{}/v1/refunds", stripe.url()))
        .bearer_auth("sk_test_wrongkey1234")
        .form(&[("charge", "ch_3Demo")])
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(
        body["error"]["message"],
        "Invalid API Key provided: sk_test_********1234"
    );

    // Unknown parameters fail validation and are not stored for the key.
    let unknown = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-unknown"),
        &[("charge", "ch_3Demo"), ("amout", "5")],
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"]["code"], "parameter_unknown");
    let fixed = refund(
        &http,
        &stripe,
        Some(ACCT),
        Some("k-unknown"),
        &[("charge", "ch_3Demo"), ("amount", "5")],
    )
    .await;
    assert_eq!(fixed.status, 200);
    assert!(!fixed.replayed);

    stripe.shutdown().await;
}

#[tokio::test]
async fn scripted_500_once_is_not_stored() {
    let stripe = start().await;
    let http = client();
    stripe.script(StripeFault::Fail500Once);
    let form = [("charge", "ch_3Demo"), ("amount", "1000")];

    let failed = refund(&http, &stripe, Some(ACCT), Some("k500"), &form).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json()["error"]["type"], "api_error");
    assert_eq!(stripe.refund_count(), 0);
    assert_eq!(stripe.pending_faults(), 0);

    let retry = refund(&http, &stripe, Some(ACCT), Some("k500"), &form).await;
    assert_eq!(retry.status, 200);
    assert!(
        !retry.replayed,
        "the 500 was not stored, so the retry executes"
    );
    assert_eq!(stripe.refund_count(), 1);
    stripe.shutdown().await;
}

#[tokio::test]
async fn scripted_stored_500_is_replayed_for_its_key() {
    let stripe = start().await;
    let http = client();
    stripe.script(StripeFault::Stored500ForKey("k-stored".into()));
    let form = [("charge", "ch_3Demo"), ("amount", "1000")];

    // Another key is untouched while the fault waits at the front of the queue.
    let other = refund(&http, &stripe, Some(ACCT), Some("k-other"), &form).await;
    assert_eq!(other.status, 200);
    assert_eq!(stripe.pending_faults(), 1);

    let first = refund(&http, &stripe, Some(ACCT), Some("k-stored"), &form).await;
    assert_eq!(first.status, 500);
    assert!(!first.replayed);
    let again = refund(&http, &stripe, Some(ACCT), Some("k-stored"), &form).await;
    assert_eq!(again.status, 500);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(stripe.refund_count(), 1, "only k-other created a refund");
    assert_eq!(stripe.post_count_for_key("k-stored"), 2);
    stripe.shutdown().await;
}

#[tokio::test]
async fn scripted_409_in_flight_then_retry_succeeds() {
    let stripe = start().await;
    let http = client();
    stripe.script(StripeFault::InFlight409ForKey("k409".into()));
    let form = [("charge", "ch_3Demo"), ("amount", "1000")];

    let busy = refund(&http, &stripe, Some(ACCT), Some("k409"), &form).await;
    assert_eq!(busy.status, 409);
    assert_eq!(busy.json()["error"]["code"], "idempotency_key_in_use");
    assert_eq!(stripe.refund_count(), 0);

    let retry = refund(&http, &stripe, Some(ACCT), Some("k409"), &form).await;
    assert_eq!(retry.status, 200);
    assert!(!retry.replayed);
    assert_eq!(stripe.refund_count(), 1);
    stripe.shutdown().await;
}

#[tokio::test]
async fn scripted_429_is_not_stored() {
    let stripe = start().await;
    let http = client();
    stripe.script(StripeFault::RateLimit429Once);
    let form = [("charge", "ch_3Demo"), ("amount", "1000")];

    let limited = refund(&http, &stripe, Some(ACCT), Some("k429"), &form).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["error"]["code"], "rate_limit");
    assert_eq!(stripe.refund_count(), 0);

    let retry = refund(&http, &stripe, Some(ACCT), Some("k429"), &form).await;
    assert_eq!(retry.status, 200);
    assert!(!retry.replayed);
    assert_eq!(stripe.refund_count(), 1);
    stripe.shutdown().await;
}

#[tokio::test]
async fn scripted_commit_then_drop_creates_the_refund_and_replays_on_retry() {
    let stripe = start().await;
    let http = client();
    stripe.script(StripeFault::CommitThenDrop);
    let form = [
        ("charge", "ch_3Demo"),
        ("amount", "1200"),
        ("metadata[support_action_id]", "act_drop"),
    ];

    let err = http
        .post(format!("{}/v1/refunds", stripe.url()))
        .bearer_auth(KEY)
        .header("Stripe-Account", ACCT)
        .header("Idempotency-Key", "k-drop")
        .form(&form)
        .send()
        .await
        .expect_err("the connection is dropped before any response");
    assert!(err.is_request() && !err.is_status(), "{err:?}");
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    assert!(
        chain
            .iter()
            .any(|m| m.contains("connection closed before message completed")),
        "expected hyper's IncompleteMessage, got {chain:?}"
    );

    // The refund happened even though the client never heard back.
    assert_eq!(stripe.refund_count(), 1);
    let created = stripe.refunds(ACCT);
    assert_eq!(created[0].amount, 1200);

    // Reconcile by listing: the metadata identifies it.
    let (_, list) = get(&http, &stripe, Some(ACCT), "/v1/refunds?charge=ch_3Demo").await;
    assert_eq!(list["data"][0]["metadata"]["support_action_id"], "act_drop");

    // Or retry with the same key: Stripe replays the stored success.
    let retry = refund(&http, &stripe, Some(ACCT), Some("k-drop"), &form).await;
    assert_eq!(retry.status, 200);
    assert!(retry.replayed);
    assert_eq!(retry.json()["id"], created[0].id.as_str());
    assert_eq!(stripe.refund_count(), 1);
    assert_eq!(stripe.pending_faults(), 0);
    stripe.shutdown().await;
}

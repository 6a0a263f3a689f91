//! Fake Upstash Vector over raw HTTP: auth, the error envelope, strict bodies, faults, and
//! the inspection methods. The client's own tests live in `support-upstash`.

use serde_json::{Value, json};
use support_fakes::upstash::UNAUTHORIZED;
use support_fakes::{FakeUpstash, FakeUpstashConfig, UpstashFault, hashed_embedding};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start(config: FakeUpstashConfig) -> FakeUpstash {
    FakeUpstash::start(config).await.expect("start")
}

async fn send(
    http: &reqwest::Client,
    fake: &FakeUpstash,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = http
        .request(method, format!("{}{path}", fake.url()))
        .bearer_auth(fake.token());
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(http: &reqwest::Client, fake: &FakeUpstash, path: &str, body: Value) -> (u16, Value) {
    send(http, fake, reqwest::Method::POST, path, Some(body)).await
}

#[tokio::test]
async fn every_call_needs_the_token() {
    let fake = start(FakeUpstashConfig::default()).await;
    let http = http();
    let want = json!({"error": UNAUTHORIZED, "status": 401});
    let resp = http
        .get(format!("{}/info", fake.url()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(resp.json::<Value>().await.expect("json"), want);
    let resp = http
        .post(format!("{}/query-data", fake.url()))
        .bearer_auth("wrong")
        .json(&json!({"data": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(resp.json::<Value>().await.expect("json"), want);
    assert_eq!(
        fake.request_log().len(),
        2,
        "refused requests are logged too"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn bodies_and_methods_are_checked() {
    let fake = start(FakeUpstashConfig::default()).await;
    let http = http();
    let cases = [
        (
            "/query-data",
            json!({"data": "x", "top_k": 3}),
            400,
            "top_k",
        ),
        (
            "/query",
            json!({"vector": vec![0.0; 64], "queryMode": "DENSE"}),
            400,
            "queryMode",
        ),
        (
            "/query-data",
            json!({"data": "x", "queryMode": "DENSE"}),
            422,
            "hybrid",
        ),
        (
            "/query-data",
            json!({"data": "x", "filter": "a ="}),
            400,
            "Invalid filter",
        ),
        (
            "/upsert",
            json!({"id": "a", "vector": [1.0]}),
            422,
            "Invalid vector dimension: 1, expected: 64",
        ),
        ("/upsert", json!({"id": "a"}), 422, "Vector is required"),
        ("/upsert-data", json!({"id": "a"}), 400, "data"),
        (
            "/upsert-data",
            json!({"id": "", "data": "x"}),
            400,
            "Invalid id",
        ),
        (
            "/fetch",
            json!({"ids": ["a"], "prefix": "a"}),
            400,
            "not both",
        ),
        ("/delete", json!({}), 400, "Exactly one"),
        (
            "/range",
            json!({"cursor": "abc", "limit": 1}),
            400,
            "Invalid cursor",
        ),
        ("/range", json!({"cursor": "0", "limit": 0}), 400, "limit"),
        (
            "/query-data",
            json!({"data": "x", "fusionAlgorithm": "MAX"}),
            400,
            "fusionAlgorithm",
        ),
        ("/nope", json!({}), 404, "Not Found"),
        ("/info/ns", json!({}), 404, "Not Found"),
    ];
    for (path, body, status, needle) in cases {
        let (got, body) = post(&http, &fake, path, body).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["status"], json!(status), "{path}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{path}: {message}");
    }
    let resp = http
        .get(format!("{}/upsert", fake.url()))
        .bearer_auth(fake.token())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(fake.vector_count(""), 0, "nothing was stored");
    fake.shutdown().await;
}

#[tokio::test]
async fn documented_methods_and_post_both_work() {
    let fake = start(FakeUpstashConfig::default()).await;
    let http = http();
    let (s, _) = post(
        &http,
        &fake,
        "/upsert-data/ns",
        json!({"id": "a", "data": "x"}),
    )
    .await;
    assert_eq!(s, 200);
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let (s, body) = send(
            &http,
            &fake,
            method,
            "/fetch/ns",
            Some(json!({"ids": ["a", "b"]})),
        )
        .await;
        assert_eq!((s, body), (200, json!({"result": [{"id": "a"}, null]})));
    }
    let (s, body) = send(
        &http,
        &fake,
        reqwest::Method::DELETE,
        "/delete/ns",
        Some(json!({"ids": ["a"]})),
    )
    .await;
    assert_eq!((s, body), (200, json!({"result": {"deleted": 1}})));
    fake.shutdown().await;
}

#[tokio::test]
async fn faults_fire_once_each_in_order() {
    let fake = start(FakeUpstashConfig::default()).await;
    let http = http();
    fake.script(UpstashFault::Error {
        status: 500,
        message: "boom".into(),
    });
    fake.script(UpstashFault::Raw {
        status: 502,
        body: "<html>".into(),
    });
    assert_eq!(fake.pending_faults(), 2);
    let info = || send(&http, &fake, reqwest::Method::GET, "/info", None);
    assert_eq!(info().await, (500, json!({"error": "boom", "status": 500})));
    assert_eq!(info().await, (502, json!("<html>")));
    assert_eq!(info().await.0, 200);
    assert_eq!(fake.pending_faults(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn state_is_inspectable_and_data_is_embedded_by_the_fake_model() {
    let fake = start(FakeUpstashConfig {
        dimension: 16,
        ..FakeUpstashConfig::default()
    })
    .await;
    let http = http();
    let (s, body) = post(
        &http,
        &fake,
        "/upsert-data/team",
        json!([{"id": "a", "data": "Refund policy", "metadata": {"appId": "acme"}}]),
    )
    .await;
    assert_eq!((s, body), (200, json!({"result": "Success"})));
    let rec = fake.record("team", "a").expect("stored");
    assert_eq!(rec["vector"], json!(hashed_embedding("Refund policy", 16)));
    assert_eq!(rec["data"], json!("Refund policy"));
    assert_eq!(rec["metadata"], json!({"appId": "acme"}));
    assert_eq!(fake.namespaces(), ["", "team"]);
    assert_eq!(fake.requests_to("upsert-data")[0].path, "/upsert-data/team");

    let (_, body) = send(&http, &fake, reqwest::Method::GET, "/info", None).await;
    assert_eq!(
        body["result"]["namespaces"]["team"]["vectorCount"],
        json!(1)
    );
    assert_eq!(body["result"]["denseIndex"]["dimension"], json!(16));
    fake.shutdown().await;
}

#[tokio::test]
async fn hybrid_fusion_options() {
    let fake = start(FakeUpstashConfig {
        hybrid: true,
        ..FakeUpstashConfig::default()
    })
    .await;
    let http = http();
    post(
        &http,
        &fake,
        "/upsert-data",
        json!([{"id": "a", "data": "refund refund"}, {"id": "b", "data": "shipping"}]),
    )
    .await;
    for (fusion, weighting) in [("RRF", "IDF"), ("DBSF", "IDF")] {
        let (s, body) = post(
            &http,
            &fake,
            "/query-data",
            json!({"data": "refund", "fusionAlgorithm": fusion, "weightingStrategy": weighting}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["result"][0]["id"], json!("a"), "{fusion}");
    }
    let (s, _) = post(
        &http,
        &fake,
        "/query-data",
        json!({"data": "refund", "weightingStrategy": "TFIDF"}),
    )
    .await;
    assert_eq!(s, 400);
    fake.shutdown().await;
}

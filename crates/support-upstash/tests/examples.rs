//! Upstash's documented examples (`upstash-examples.json`, see the README next to it): every
//! response body through the client's decoder, our request bodies against the documented
//! ones, and every documented request against the fake.

mod common;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use support_upstash::wire::{Deleted, decode};
use support_upstash::{
    DataQuery, DataRecord, DeleteRequest, FetchRequest, IndexInfo, RangeRequest, RangeResult,
    ScoredVector, StoredVector, UpstashError, VectorQuery, VectorRecord,
};

use common::*;

#[derive(Debug, Deserialize)]
struct Endpoint {
    doc: String,
    method: String,
    request_examples: Vec<RequestExample>,
    response_examples: Vec<ResponseExample>,
}

#[derive(Debug, Deserialize)]
struct RequestExample {
    label: String,
    path: String,
    body: Value,
}

#[derive(Debug, Deserialize)]
struct ResponseExample {
    status: String,
    body: Value,
}

fn examples() -> Vec<Endpoint> {
    let text = include_str!("upstash-examples.json");
    serde_json::from_str(text).expect("examples parse")
}

/// `vector/api/endpoints/query-data.mdx` → `query-data`.
fn name(doc: &str) -> &str {
    doc.trim_start_matches("vector/api/endpoints/")
        .trim_end_matches(".mdx")
}

fn status_code(status: &str) -> u16 {
    status
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status:?}"))
}

/// Decodes into `T`, then re-serialises what was decoded, so a field dropped on the way
/// shows up as a difference from the documented body.
fn check<T: DeserializeOwned + serde::Serialize>(
    status: u16,
    body: &Value,
) -> Result<Value, UpstashError> {
    let decoded: T = decode(status, &body.to_string())?;
    Ok(serde_json::to_value(&decoded).expect("re-serialises"))
}

/// The documented body of a success, decoded as the type the client uses for the endpoint.
/// `None` for endpoints the client does not wrap.
fn decode_as_client(
    endpoint: &str,
    status: u16,
    body: &Value,
) -> Option<Result<Value, UpstashError>> {
    Some(match endpoint {
        // The client reads these results as any JSON: only the envelope matters.
        "upsert" | "upsert-data" | "reset" | "delete-namespace" => check::<Value>(status, body),
        "query" | "query-data" => check::<Vec<ScoredVector>>(status, body),
        "fetch" => check::<Vec<Option<StoredVector>>>(status, body),
        "delete" => check::<Deleted>(status, body),
        "range" => check::<RangeResult>(status, body),
        "info" => check::<IndexInfo>(status, body),
        "list-namespaces" => check::<Vec<String>>(status, body),
        _ => return None,
    })
}

#[test]
fn every_documented_response_goes_through_the_decoder() {
    let mut successes = 0;
    let mut errors = 0;
    let mut unwrapped = Vec::new();
    for ep in examples() {
        let endpoint = name(&ep.doc);
        for ex in &ep.response_examples {
            let status = status_code(&ex.status);
            if status >= 400 {
                // Every documented failure is the error envelope, classified by status.
                let err = decode::<Value>(status, &ex.body.to_string()).expect_err(&ex.status);
                let message = ex.body["error"].as_str().expect("error text").to_owned();
                assert_eq!(ex.body["status"], json!(status), "{endpoint}");
                match (status, err) {
                    (
                        404 | 422,
                        UpstashError::Rejected {
                            status: s,
                            message: m,
                        },
                    ) => {
                        assert_eq!((s, m), (status, message), "{endpoint}");
                    }
                    (_, other) => panic!("{endpoint} {status}: {other:?}"),
                }
                errors += 1;
                continue;
            }
            match decode_as_client(endpoint, status, &ex.body) {
                Some(result) => {
                    let back = result.unwrap_or_else(|e| panic!("{endpoint}: {e:?}"));
                    assert_eq!(back, ex.body["result"], "{endpoint}: nothing lost");
                    successes += 1;
                }
                None => unwrapped.push((endpoint.to_owned(), status, ex.body.clone())),
            }
        }
    }
    assert_eq!(successes, 11, "every wrapped endpoint's success example");
    assert_eq!(errors, 4, "the 404 and the three 422s");

    // Endpoints the client leaves to `post_raw`: still the envelope, except resumable
    // queries, whose documented answer is bare `{"uuid", "scores"}`.
    let mut names: Vec<&str> = unwrapped.iter().map(|(n, _, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "fetch-random",
            "rename-namespace",
            "resumable-query/start-with-vector",
            "resumable-query/stop",
            "update"
        ]
    );
    for (endpoint, status, body) in unwrapped {
        let decoded = decode::<Value>(status, &body.to_string());
        if endpoint == "resumable-query/start-with-vector" {
            assert!(matches!(decoded, Err(UpstashError::Decode { .. })));
        } else {
            assert_eq!(decoded.expect(&endpoint), body["result"]);
        }
    }
}

#[test]
fn decoded_values_are_the_documented_ones() {
    let eps = examples();
    let body = |endpoint: &str| -> String {
        let ep = eps
            .iter()
            .find(|e| name(&e.doc) == endpoint)
            .expect(endpoint);
        ep.response_examples[0].body.to_string()
    };
    let info: IndexInfo = decode(200, &body("info")).expect("info");
    assert_eq!(
        (
            info.vector_count,
            info.dimension,
            info.namespaces["ns"].vector_count
        ),
        (7, 1024, 1)
    );
    assert_eq!(
        info.dense_index.and_then(|d| d.embedding_model).as_deref(),
        Some("BGE_M3")
    );
    let hits: Vec<ScoredVector> = decode(200, &body("query")).expect("query");
    assert_eq!(hits[0].score, 1.0);
    assert_eq!(hits[1].score, 0.99996454);
    assert!(hits[1].metadata.is_none());
    let fetched: Vec<Option<StoredVector>> = decode(200, &body("fetch")).expect("fetch");
    assert_eq!(fetched[1].as_ref().map(|v| v.id.as_str()), Some("id-1"));
    let page: RangeResult = decode(200, &body("range")).expect("range");
    assert_eq!(page.next_cursor, "2");
    let deleted: Deleted = decode(200, &body("delete")).expect("delete");
    assert_eq!(deleted.deleted, 2);
    let namespaces: Vec<String> = decode(200, &body("list-namespaces")).expect("list");
    assert_eq!(namespaces, ["", "ns0", "ns1"]);
}

/// What the client would put on the wire for `value`.
fn wire<T: serde::Serialize>(value: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(value).expect("serialises")).expect("json")
}

fn meta(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

#[test]
fn our_request_bodies_are_the_documented_ones() {
    let eps = examples();
    let documented = |endpoint: &str, label: &str| -> Value {
        eps.iter()
            .find(|e| name(&e.doc) == endpoint)
            .and_then(|e| e.request_examples.iter().find(|r| r.label == label))
            .unwrap_or_else(|| panic!("{endpoint} {label}"))
            .body
            .clone()
    };
    let link = || meta(json!({"link": "upstash.com"}));

    let mut q = DataQuery::new("What is Upstash?", 2);
    q.include_metadata = true;
    assert_eq!(wire(&q), documented("query-data", "default"));
    let batch = [q.clone(), DataQuery::new("What is Upstash Vector?", 3)];
    assert_eq!(wire(&batch), documented("query-data", "(Batch Query)"));

    let mut vq = VectorQuery::new(vec![0.1, 0.2], 2);
    vq.include_metadata = true;
    assert_eq!(wire(&vq), documented("query", "default"));
    let batch = [vq.clone(), VectorQuery::new(vec![0.2, 0.3], 3)];
    assert_eq!(wire(&batch), documented("query", "(Batch Query)"));

    let mut f = FetchRequest::ids(["id-0"]);
    f.include_metadata = true;
    assert_eq!(wire(&f), documented("fetch", "default"));

    let mut r = RangeRequest::first(2);
    r.include_metadata = true;
    assert_eq!(wire(&r), documented("range", "default"));

    let d = DeleteRequest::Ids(vec!["id-0".into(), "id-1".into()]);
    assert_eq!(wire(&d), documented("delete", "default"));

    let records = [
        DataRecord {
            id: "id-0".into(),
            data: "Upstash is a serverless data platform.".into(),
            metadata: link(),
        },
        DataRecord {
            id: "id-1".into(),
            data: "Upstash Vector is a serverless vector database.".into(),
            metadata: None,
        },
    ];
    assert_eq!(wire(&records), documented("upsert-data", "default"));

    let records = [
        VectorRecord {
            id: "id-0".into(),
            vector: vec![0.1, 0.2],
            metadata: link(),
            data: None,
        },
        VectorRecord {
            id: "id-1".into(),
            vector: vec![0.2, 0.3],
            metadata: None,
            data: None,
        },
    ];
    assert_eq!(wire(&records), documented("upsert", "default"));
}

/// The order that makes each example meaningful: writes before reads, deletes last.
const ORDER: &[&str] = &[
    "upsert",
    "upsert-data",
    "info",
    "list-namespaces",
    "fetch",
    "query",
    "query-data",
    "range",
    "delete",
    "delete-namespace",
    "reset",
];

#[tokio::test]
async fn the_fake_accepts_every_documented_request() {
    let fake = fake_with(support_fakes::FakeUpstashConfig {
        dimension: 2,
        hybrid: true,
        ..support_fakes::FakeUpstashConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    let eps = examples();
    let mut sent = 0;
    for endpoint in ORDER {
        let ep = eps
            .iter()
            .find(|e| name(&e.doc) == *endpoint)
            .expect(endpoint);
        for ex in &ep.request_examples {
            // The documented method, GET and DELETE with a JSON body included.
            let method = reqwest::Method::from_bytes(ep.method.as_bytes()).expect("method");
            let mut rb = http
                .request(method, format!("{}{}", fake.url(), ex.path))
                .bearer_auth(fake.token());
            if !ex.body.is_null() {
                rb = rb.json(&ex.body);
            }
            let resp = rb.send().await.expect("sent");
            let status = resp.status().as_u16();
            let text = resp.text().await.expect("body");
            assert_eq!(status, 200, "{endpoint} {}: {text}", ex.label);
            let body: Value = serde_json::from_str(&text).expect("json");
            let decoded = if endpoint.starts_with("query") && ex.body.is_array() {
                // A batch answers one list per query.
                check::<Vec<Vec<ScoredVector>>>(status, &body)
            } else {
                decode_as_client(endpoint, status, &body).expect("wrapped")
            };
            decoded.unwrap_or_else(|e| panic!("{endpoint} {}: {e:?}", ex.label));
            sent += 1;
        }
    }
    assert_eq!(sent, 22);
    assert_eq!(fake.vector_count(""), 0, "reset?all ran last");

    // What the fake does not implement says so in Upstash's envelope.
    for ep in eps.iter().filter(|e| !ORDER.contains(&name(&e.doc))) {
        for ex in &ep.request_examples {
            let resp = http
                .post(format!("{}{}", fake.url(), ex.path))
                .bearer_auth(fake.token())
                .json(&ex.body)
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status().as_u16(), 404, "{}", ep.doc);
            let body: Value = resp.json().await.expect("json");
            assert_eq!(body["status"], json!(404));
        }
    }
    fake.shutdown().await;
}

//! The REST client against the fake: every endpoint, namespaces, the error envelopes and
//! what exactly went over the wire.

mod common;

use std::error::Error as _;
use std::time::Duration;

use serde_json::{Map, Value, json};
use support_fakes::upstash::{NO_EMBEDDING_MODEL, UNAUTHORIZED};
use support_fakes::{FakeUpstashConfig, UpstashFault};
use support_retrieval::{Filter, QueryMode, StoreError};
use support_upstash::{
    DataQuery, DataRecord, DeleteRequest, FetchRequest, RangeRequest, UpstashClient, UpstashConfig,
    UpstashError, VectorQuery, VectorRecord,
};

use common::*;

fn meta(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn data_record(id: &str, data: &str, app: &str) -> DataRecord {
    DataRecord {
        id: id.to_owned(),
        data: data.to_owned(),
        metadata: meta(json!({"appId": app, "type": "knowledge"})),
    }
}

fn vector_record(id: &str, vector: &[f32]) -> VectorRecord {
    VectorRecord {
        id: id.to_owned(),
        vector: vector.to_vec(),
        metadata: meta(json!({"n": id})),
        data: None,
    }
}

#[tokio::test]
async fn upsert_data_and_query_data() {
    let fake = fake().await;
    let client = client_for(&fake);
    client
        .upsert_data(&[
            data_record("a", "refund policy for annual plans", "acme"),
            data_record("b", "password reset instructions", "acme"),
            data_record("c", "refund policy", "globex"),
        ])
        .await
        .expect("upsert-data");
    assert_eq!(fake.vector_count(""), 3);

    let mut q = DataQuery::new("refund policy", 2);
    q.include_metadata = true;
    q.include_data = true;
    let hits = client.query_data(&q).await.expect("query-data");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].id, "c", "the identical text ranks first");
    assert!((hits[0].score - 1.0).abs() < 1e-6, "{}", hits[0].score);
    assert_eq!(hits[1].id, "a");
    assert!(hits[0].score >= hits[1].score && hits[1].score > 0.5);
    assert_eq!(
        hits[1].data.as_deref(),
        Some("refund policy for annual plans")
    );
    assert_eq!(
        hits[1].metadata.as_ref().and_then(|m| m.get("appId")),
        Some(&json!("acme"))
    );
    assert!(hits[0].vector.is_none(), "vectors only when asked for");

    // Without include flags: ids and scores only.
    let bare = client
        .query_data(&DataQuery::new("password", 1))
        .await
        .expect("query-data");
    assert_eq!(bare[0].id, "b");
    assert!(bare[0].metadata.is_none() && bare[0].data.is_none());

    let log = fake.request_log();
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/upsert-data");
    assert_eq!(
        log[0].header("authorization"),
        Some(format!("Bearer {}", fake.token()).as_str())
    );
    assert_eq!(log[0].header("content-type"), Some("application/json"));
    assert_eq!(
        body_json(&log[0])[0],
        json!({"id": "a", "data": "refund policy for annual plans",
               "metadata": {"appId": "acme", "type": "knowledge"}})
    );
    assert_eq!(
        body_json(&log[1]),
        json!({"data": "refund policy", "topK": 2, "includeMetadata": true, "includeData": true})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn upsert_vectors_and_query_with_normalised_cosine() {
    let fake = vector_fake(3).await;
    let client = client_for(&fake);
    client
        .upsert(&[
            vector_record("x", &[1.0, 0.0, 0.0]),
            vector_record("y", &[0.0, 1.0, 0.0]),
            vector_record("z", &[-1.0, 0.0, 0.0]),
            vector_record("w", &[1.0, 1.0, 0.0]),
        ])
        .await
        .expect("upsert");

    let mut q = VectorQuery::new(vec![2.0, 0.0, 0.0], 10);
    q.include_vectors = true;
    q.include_metadata = true;
    let hits = client.query(&q).await.expect("query");
    let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.id.as_str(), h.score)).collect();
    let want = [
        ("x", 1.0),
        ("w", (1.0 + std::f64::consts::FRAC_1_SQRT_2) / 2.0),
        ("y", 0.5),
        ("z", 0.0),
    ];
    assert_eq!(got.len(), want.len());
    for ((id, score), (want_id, want_score)) in got.iter().zip(want) {
        assert_eq!(*id, want_id);
        assert!((score - want_score).abs() < 1e-6, "{id}: {score}");
    }
    assert_eq!(hits[0].vector.as_deref(), Some(&[1.0, 0.0, 0.0][..]));
    assert_eq!(
        hits[0].metadata.as_ref().and_then(|m| m.get("n")),
        Some(&json!("x"))
    );

    let top1 = client
        .query(&VectorQuery::new(vec![0.0, 1.0, 0.1], 1))
        .await
        .expect("query");
    assert_eq!(top1.len(), 1);
    assert_eq!(top1[0].id, "y");

    let sent = fake.requests_to("upsert");
    assert_eq!(sent[0].path, "/upsert");
    assert_eq!(
        body_json(&sent[0])[0],
        json!({"id": "x", "vector": [1.0, 0.0, 0.0], "metadata": {"n": "x"}})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn batch_queries_answer_one_list_per_query() {
    let fake = vector_fake(2).await;
    let client = client_for(&fake);
    client
        .upsert(&[
            vector_record("a", &[1.0, 0.0]),
            vector_record("b", &[0.0, 1.0]),
        ])
        .await
        .expect("upsert");
    let lists = client
        .query_batch(&[
            VectorQuery::new(vec![1.0, 0.1], 1),
            VectorQuery::new(vec![0.1, 1.0], 2),
        ])
        .await
        .expect("batch");
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].len(), 1);
    assert_eq!(lists[0][0].id, "a");
    assert_eq!(
        lists[1].iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
    assert!(body_json(&fake.requests_to("query")[0]).is_array());
    fake.shutdown().await;

    let fake = common::fake().await;
    let client = client_for(&fake);
    client
        .upsert_data(&[
            data_record("r", "refund", "acme"),
            data_record("p", "password", "acme"),
        ])
        .await
        .expect("upsert-data");
    let lists = client
        .query_data_batch(&[DataQuery::new("password", 1), DataQuery::new("refund", 1)])
        .await
        .expect("batch");
    assert_eq!(lists[0][0].id, "p");
    assert_eq!(lists[1][0].id, "r");
    fake.shutdown().await;
}

#[tokio::test]
async fn fetch_keeps_order_and_gives_none_for_missing_ids() {
    let fake = fake().await;
    let client = client_for(&fake);
    client
        .upsert_data(&[
            data_record("doc-1", "one", "acme"),
            data_record("doc-2", "two", "acme"),
            data_record("other", "three", "acme"),
        ])
        .await
        .expect("upsert");
    let mut req = FetchRequest::ids(["doc-2", "missing", "doc-1"]);
    req.include_metadata = true;
    req.include_data = true;
    let got = client.fetch(&req).await.expect("fetch");
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().map(|v| v.id.as_str()), Some("doc-2"));
    assert_eq!(got[0].as_ref().and_then(|v| v.data.as_deref()), Some("two"));
    assert!(got[1].is_none(), "a missing id is null");
    assert_eq!(got[2].as_ref().map(|v| v.id.as_str()), Some("doc-1"));
    assert!(got[2].as_ref().is_some_and(|v| v.vector.is_none()));
    assert!(
        fake.requests_to("fetch")[0]
            .body
            .contains(r#""ids":["doc-2","missing","doc-1"]"#)
    );

    let mut by_prefix = FetchRequest::prefix("doc-");
    by_prefix.include_vectors = true;
    let got = client.fetch(&by_prefix).await.expect("fetch by prefix");
    let ids: Vec<&str> = got.iter().flatten().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["doc-1", "doc-2"]);
    assert!(
        got.iter()
            .flatten()
            .all(|v| v.vector.as_ref().is_some_and(|x| x.len() == 64))
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn delete_by_ids_prefix_and_filter() {
    let fake = fake().await;
    let client = client_for(&fake);
    client
        .upsert_data(&[
            data_record("a-1", "x", "acme"),
            data_record("a-2", "x", "acme"),
            data_record("g-1", "x", "globex"),
            data_record("g-2", "x", "globex"),
            data_record("z", "x", "initech"),
        ])
        .await
        .expect("upsert");
    let n = client
        .delete(&DeleteRequest::Ids(vec!["a-1".into(), "nope".into()]))
        .await
        .expect("delete ids");
    assert_eq!(n, 1, "only existing ids count");
    let n = client
        .delete(&DeleteRequest::Prefix("g-".into()))
        .await
        .expect("delete prefix");
    assert_eq!(n, 2);
    let source = "appId  =  'initech'";
    let n = client
        .delete(&DeleteRequest::Filter(
            Filter::parse(source).expect("filter"),
        ))
        .await
        .expect("delete filter");
    assert_eq!(n, 1);
    assert_eq!(fake.vector_count(""), 1);
    assert!(fake.record("", "a-2").is_some());

    let sent = fake.requests_to("delete");
    assert_eq!(body_json(&sent[0]), json!({"ids": ["a-1", "nope"]}));
    assert_eq!(body_json(&sent[1]), json!({"prefix": "g-"}));
    assert_eq!(body_json(&sent[2]), json!({"filter": source}), "verbatim");
    fake.shutdown().await;
}

#[tokio::test]
async fn range_pages_to_the_end() {
    let fake = fake().await;
    let client = client_for(&fake);
    let records: Vec<DataRecord> = (0..8)
        .map(|i| data_record(&format!("id-{i}"), &format!("text {i}"), "acme"))
        .collect();
    client.upsert_data(&records).await.expect("upsert");

    let mut cursor = "0".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let mut req = RangeRequest::after(cursor.clone(), 3);
        req.include_metadata = true;
        let page = client.range(&req).await.expect("range");
        pages += 1;
        assert!(page.vectors.len() <= 3);
        assert!(page.vectors.iter().all(|v| v.metadata.is_some()));
        seen.extend(page.vectors.into_iter().map(|v| v.id));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
        assert!(pages < 10, "range does not end");
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..8).map(|i| format!("id-{i}")).collect();
    assert_eq!(seen, want, "every id once, in id order");

    let mut with_prefix = RangeRequest::first(10);
    with_prefix.prefix = Some("id-7".into());
    let page = client.range(&with_prefix).await.expect("range prefix");
    assert_eq!(page.vectors.len(), 1);
    assert_eq!(page.next_cursor, "");
    assert_eq!(
        body_json(&fake.requests_to("range")[0]),
        json!({"cursor": "0", "limit": 3, "includeMetadata": true})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn info_reports_counts_per_namespace() {
    let fake = fake_with(FakeUpstashConfig {
        hybrid: true,
        ..FakeUpstashConfig::default()
    })
    .await;
    let client = client_for(&fake);
    client
        .upsert_data(&[data_record("a", "x", "acme"), data_record("b", "y", "acme")])
        .await
        .expect("upsert");
    client
        .namespace("ns")
        .upsert_data(&[data_record("c", "z", "acme")])
        .await
        .expect("upsert ns");
    let info = client.info().await.expect("info");
    assert_eq!(info.vector_count, 3);
    assert_eq!(info.pending_vector_count, 0);
    assert_eq!(info.dimension, 64);
    assert_eq!(info.similarity_function, "COSINE");
    assert_eq!(info.index_type.as_deref(), Some("HYBRID"));
    assert!(
        info.dense_index
            .as_ref()
            .is_some_and(|d| d.embedding_model.is_some())
    );
    assert_eq!(
        info.sparse_index
            .as_ref()
            .and_then(|s| s.embedding_model.as_deref()),
        Some("BM25")
    );
    assert_eq!(info.namespaces[""].vector_count, 2);
    assert_eq!(info.namespaces["ns"].vector_count, 1);
    let log = fake.requests_to("info");
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/info")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn namespaces_are_separate_and_the_last_path_segment() {
    let fake = fake().await;
    let default = client_for(&fake);
    let tenant =
        UpstashClient::new(config_for(&fake).with_namespace("tenant a/b")).expect("client");
    assert_eq!(tenant.current_namespace(), "tenant a/b");
    default
        .upsert_data(&[data_record("d", "refund", "acme")])
        .await
        .expect("upsert default");
    tenant
        .upsert_data(&[data_record("t", "refund", "acme")])
        .await
        .expect("upsert tenant");
    let ns1 = default.namespace("ns1");
    ns1.upsert_data(&[data_record("n", "refund", "acme")])
        .await
        .expect("upsert ns1");

    let ids = |hits: Vec<support_upstash::ScoredVector>| -> Vec<String> {
        hits.into_iter().map(|h| h.id).collect()
    };
    let q = DataQuery::new("refund", 10);
    assert_eq!(ids(default.query_data(&q).await.expect("q")), ["d"]);
    assert_eq!(ids(tenant.query_data(&q).await.expect("q")), ["t"]);
    assert_eq!(ids(ns1.query_data(&q).await.expect("q")), ["n"]);
    assert!(ns1.fetch(&FetchRequest::ids(["d"])).await.expect("fetch")[0].is_none());
    assert!(
        default
            .namespace("never-written")
            .query_data(&q)
            .await
            .expect("empty namespace")
            .is_empty()
    );

    let paths: Vec<String> = fake
        .requests_to("upsert-data")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/upsert-data",
            "/upsert-data/tenant%20a%2Fb",
            "/upsert-data/ns1"
        ]
    );
    assert_eq!(
        default.list_namespaces().await.expect("list"),
        ["", "ns1", "tenant a/b"]
    );

    default.delete_namespace("ns1").await.expect("delete ns");
    assert_eq!(
        default.list_namespaces().await.expect("list"),
        ["", "tenant a/b"]
    );
    let last = fake.requests_to("delete-namespace").pop().expect("sent");
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", "/delete-namespace/ns1")
    );
    match default.delete_namespace("ns1").await {
        Err(UpstashError::Rejected {
            status: 404,
            message,
        }) => {
            assert_eq!(
                message,
                "Namespace ns1 for the index fake-index does not exist"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        default.delete_namespace("").await,
        Err(UpstashError::Config(_))
    ));

    // URL rules would drop `..` and reset the default namespace instead: refused, unsent.
    let before = fake.request_log().len();
    for dots in [".", ".."] {
        assert!(matches!(
            default.namespace(dots).reset().await,
            Err(UpstashError::Config(_))
        ));
        assert!(matches!(
            default.namespace(dots).query_data(&q).await,
            Err(UpstashError::Config(_))
        ));
        assert!(matches!(
            default.delete_namespace(dots).await,
            Err(UpstashError::Config(_))
        ));
        assert!(matches!(
            UpstashClient::new(config_for(&fake).with_namespace(dots)),
            Err(UpstashError::Config(_))
        ));
    }
    assert_eq!(fake.request_log().len(), before);
    assert_eq!(fake.vector_count(""), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn reset_one_namespace_or_all() {
    let fake = fake().await;
    let client = client_for(&fake);
    let ns = client.namespace("ns");
    for c in [&client, &ns] {
        c.upsert_data(&[data_record("a", "x", "acme"), data_record("b", "y", "acme")])
            .await
            .expect("upsert");
    }
    ns.reset().await.expect("reset ns");
    assert_eq!(fake.vector_count("ns"), 0);
    assert_eq!(fake.vector_count(""), 2);
    ns.upsert_data(&[data_record("c", "z", "acme")])
        .await
        .expect("upsert");
    client.reset_all().await.expect("reset all");
    assert_eq!(fake.vector_count(""), 0);
    assert_eq!(fake.vector_count("ns"), 0);
    assert_eq!(client.list_namespaces().await.expect("list"), [""]);
    let sent: Vec<(String, String, Option<String>)> = fake
        .requests_to("reset")
        .into_iter()
        .map(|r| (r.method, r.path, r.query))
        .collect();
    assert_eq!(
        sent,
        [
            ("DELETE".into(), "/reset/ns".into(), None),
            ("DELETE".into(), "/reset".into(), Some("all".into())),
        ]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let fake = fake().await;
    provider();
    let client = UpstashClient::new(UpstashConfig::new(fake.url(), "wrong-token")).expect("client");
    let err = client.info().await.expect_err("401");
    match &err {
        UpstashError::Unauthorized { message } => assert_eq!(message, UNAUTHORIZED),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    assert!(matches!(StoreError::from(err), StoreError::Unauthorized));
    assert_eq!(
        fake.request_log()[0].header("authorization"),
        Some("Bearer wrong-token")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_wrong_dimension_is_422() {
    let fake = vector_fake(4).await;
    let client = client_for(&fake);
    let err = client
        .upsert(&[
            vector_record("ok", &[0.0; 4]),
            vector_record("bad", &[0.1, 0.2, 0.3]),
        ])
        .await
        .expect_err("422");
    match &err {
        UpstashError::Rejected {
            status: 422,
            message,
        } => {
            assert_eq!(message, "Invalid vector dimension: 3, expected: 4")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.vector_count(""), 0, "all or none");
    let err = client
        .query(&VectorQuery::new(vec![1.0; 5], 1))
        .await
        .expect_err("422");
    assert!(matches!(err, UpstashError::Rejected { status: 422, .. }));
    match StoreError::from(err) {
        StoreError::Rejected(text) => assert!(text.contains("expected: 4"), "{text}"),
        other => panic!("{other:?}"),
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn data_without_an_embedding_model_is_422() {
    let fake = vector_fake(4).await;
    let client = client_for(&fake);
    for err in [
        client
            .upsert_data(&[data_record("a", "x", "acme")])
            .await
            .expect_err("upsert-data"),
        client
            .query_data(&DataQuery::new("x", 1))
            .await
            .expect_err("query-data"),
    ] {
        match err {
            UpstashError::Rejected {
                status: 422,
                message,
            } => {
                assert_eq!(message, NO_EMBEDDING_MODEL)
            }
            other => panic!("{other:?}"),
        }
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn a_filter_upstash_refuses_is_400_with_its_message() {
    let fake = fake().await;
    let client = client_for(&fake);
    // `Filter` cannot hold a bad filter, so send the raw body as a buggy client would.
    let err = client
        .post_raw(
            "query-data",
            &json!({"data": "x", "topK": 1, "filter": "appId = "}),
        )
        .await
        .expect_err("400");
    match &err {
        UpstashError::Rejected {
            status: 400,
            message,
        } => {
            assert!(message.contains("Invalid filter"), "{message}");
            assert!(message.contains("position 8"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(StoreError::from(err), StoreError::Rejected(_)));
    let err = client
        .post_raw("delete", &json!({"filter": "appId LIKE 'a%'"}))
        .await
        .expect_err("400");
    assert!(matches!(err, UpstashError::Rejected { status: 400, .. }));
    fake.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let fake = fake().await;
    let client = client_for(&fake);
    fake.script(UpstashFault::Error {
        status: 500,
        message: "Internal Server Error".into(),
    });
    let err = client.info().await.expect_err("500");
    assert!(
        matches!(&err, UpstashError::Unavailable { status: 500, message } if message == "Internal Server Error")
    );
    assert!(err.is_transient());
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));

    fake.script(UpstashFault::Raw {
        status: 503,
        body: "<html>upstream connect error</html>".into(),
    });
    let err = client.info().await.expect_err("503");
    assert!(
        matches!(&err, UpstashError::Unavailable { status: 503, message } if message.contains("upstream"))
    );

    fake.script(UpstashFault::Error {
        status: 429,
        message: "ERR max requests limit exceeded".into(),
    });
    let err = client.info().await.expect_err("429");
    assert!(matches!(err, UpstashError::RateLimited { .. }));
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));

    // The client works again once the fault is spent.
    assert!(client.info().await.is_ok());
    fake.shutdown().await;
}

#[tokio::test]
async fn an_undecodable_body_is_a_decode_error() {
    let fake = fake().await;
    let client = client_for(&fake);
    fake.script(UpstashFault::Raw {
        status: 200,
        body: r#"{"result": {"vectorCount": "#.into(),
    });
    let err = client.info().await.expect_err("decode");
    assert!(matches!(err, UpstashError::Decode { status: 200, .. }));
    assert!(err.source().is_some(), "keeps serde's error");
    fake.script(UpstashFault::Raw {
        status: 200,
        body: r#"{"result": "Success"}"#.into(),
    });
    let err = client.info().await.expect_err("wrong shape");
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
    fake.shutdown().await;
}

#[tokio::test]
async fn transport_errors_keep_reqwest_as_their_source() {
    let fake = fake().await;
    provider();
    let slow = UpstashClient::new(
        config_for(&fake).with_timeouts(Duration::from_millis(150), Duration::from_millis(150)),
    )
    .expect("client");
    fake.script(UpstashFault::Delay(Duration::from_millis(800)));
    let err = slow.info().await.expect_err("timeout");
    let source = err
        .source()
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .expect("reqwest source");
    assert!(source.is_timeout(), "{source:?}");
    assert!(err.is_transient());
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
    fake.shutdown().await;

    // Nothing listens there any more.
    let url = fake_url_closed().await;
    let gone = UpstashClient::new(UpstashConfig::new(url, "t")).expect("client");
    let err = gone.info().await.expect_err("refused");
    assert!(matches!(err, UpstashError::Transport(ref e) if e.is_connect()));
}

/// A loopback URL whose port was just freed.
async fn fake_url_closed() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn the_filter_arrives_verbatim() {
    let fake = fake().await;
    let client = client_for(&fake);
    client
        .upsert_data(&[
            data_record("a", "refund", "acme"),
            data_record("b", "refund", "globex"),
        ])
        .await
        .expect("upsert");
    // Odd spacing, lower-case keywords, double quotes: sent as written, not re-rendered.
    let source = "appId   =  \"acme\"  and (type in ('knowledge','response')  OR HAS FIELD x)";
    let filter = Filter::parse(source).expect("filter");
    assert_ne!(
        filter.expr().to_string(),
        source,
        "the canonical form differs"
    );
    let mut q = DataQuery::new("refund", 5);
    q.filter = Some(filter.clone());
    let hits = client.query_data(&q).await.expect("query");
    assert_eq!(
        hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    let sent = fake.requests_to("query-data").pop().expect("sent");
    assert_eq!(body_json(&sent)["filter"], json!(source));
    assert!(
        sent.body
            .contains(&serde_json::to_string(source).expect("json"))
    );

    let fake2 = vector_fake(2).await;
    let client2 = client_for(&fake2);
    let mut vq = VectorQuery::new(vec![1.0, 0.0], 1);
    vq.filter = Some(filter);
    client2.query(&vq).await.expect("query");
    let sent = fake2.requests_to("query").pop().expect("sent");
    assert_eq!(body_json(&sent)["filter"], json!(source));
    fake.shutdown().await;
    fake2.shutdown().await;
}

#[tokio::test]
async fn query_mode_goes_only_to_hybrid_indexes() {
    let hybrid = fake_with(FakeUpstashConfig {
        hybrid: true,
        ..FakeUpstashConfig::default()
    })
    .await;
    let client = UpstashClient::new(config_for(&hybrid).with_hybrid(true)).expect("hybrid client");
    client
        .upsert_data(&[
            data_record("kw", "invoice invoice invoice", "acme"),
            data_record("other", "shipping times", "acme"),
        ])
        .await
        .expect("upsert");
    let mut q = DataQuery::new("invoice", 10);
    q.query_mode = Some(QueryMode::Sparse);
    let sparse = client.query_data(&q).await.expect("sparse");
    assert_eq!(
        sparse.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["kw"],
        "sparse finds only shared words"
    );
    q.query_mode = Some(QueryMode::Dense);
    assert_eq!(client.query_data(&q).await.expect("dense").len(), 2);
    q.query_mode = Some(QueryMode::Hybrid);
    let fused = client.query_data(&q).await.expect("hybrid");
    assert_eq!(fused[0].id, "kw");
    assert!(fused[0].score < 0.05, "RRF scores: {}", fused[0].score);
    let modes: Vec<Value> = hybrid
        .requests_to("query-data")
        .iter()
        .map(|r| body_json(r)["queryMode"].clone())
        .collect();
    assert_eq!(modes, [json!("SPARSE"), json!("DENSE"), json!("HYBRID")]);
    hybrid.shutdown().await;

    // A dense index refuses queryMode (the fake's strictness; see its docs).
    let dense = fake().await;
    let client = client_for(&dense);
    let mut q = DataQuery::new("x", 1);
    q.query_mode = Some(QueryMode::Dense);
    assert!(matches!(
        client.query_data(&q).await,
        Err(UpstashError::Rejected { status: 422, .. })
    ));
    dense.shutdown().await;
}

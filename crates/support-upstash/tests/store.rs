//! `UpstashStore` as a `VectorStore`, in both embedding modes, against the fake.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use support_fakes::{FakeUpstash, FakeUpstashConfig, UpstashFault};
use support_retrieval::{
    Capabilities, DocType, Document, Filter, Query, QueryMode, StoreError, VectorStore,
};
use support_upstash::{UpstashClient, UpstashConfig, UpstashStore};

use common::*;

fn query(text: &str, filter: Option<&str>) -> Query {
    let mut q = Query::new(text);
    q.filter = filter.map(|f| Filter::parse(f).expect("filter"));
    q.include_metadata = true;
    q.include_data = true;
    q
}

/// The same walk through the trait for either mode.
async fn exercise(store: &UpstashStore, fake: &FakeUpstash) {
    let docs = support_docs();
    store.upsert(docs.clone()).await.expect("upsert");
    assert_eq!(fake.vector_count(""), docs.len());

    // Query: the tenant filter holds, hits carry typed metadata and data.
    let hits = store
        .query(&query("refund for a double charge", Some("appId = 'acme'")))
        .await
        .expect("query");
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[0].id, "conv-1");
    assert!(
        hits.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
    let first = hits[0].metadata.as_ref().expect("metadata");
    assert_eq!(first.doc_type, DocType::Conversation);
    assert_eq!(first.category.as_deref(), Some("billing"));
    assert_eq!(first.trust_score, Some(0.8));
    assert_eq!(hits[0].data.as_deref(), Some(docs[2].data.as_str()));

    let mut q = query("refund", Some("appId = 'acme' AND category = 'billing'"));
    q.top_k = 1;
    q.include_data = false;
    q.include_metadata = false;
    let hits = store.query(&q).await.expect("query");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].data.is_none() && hits[0].metadata.is_none());
    q.top_k = 0;
    assert!(store.query(&q).await.expect("top 0").is_empty());

    // Fetch: documents come back whole, `None` where missing, in the order asked.
    let ids = [
        "kb-api".to_owned(),
        "nope".to_owned(),
        "kb-refund".to_owned(),
    ];
    let got = store.fetch(&ids).await.expect("fetch");
    assert_eq!(
        got,
        vec![Some(docs[4].clone()), None, Some(docs[0].clone())]
    );
    assert!(store.fetch(&[]).await.expect("fetch none").is_empty());

    // Range: every document once, id order, `None` at the end.
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let page = store.range(&cursor, 4).await.expect("range");
        seen.extend(page.documents);
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    let mut want = docs.clone();
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(seen, want);
    assert!(matches!(
        store.range("", 0).await,
        Err(StoreError::Rejected(_))
    ));

    // Info, then delete.
    let info = store.info().await.expect("info");
    assert_eq!(info.documents, 6);
    assert_eq!(info.dimension, Some(fake.dimension()));
    assert_eq!(info.pending, 0);
    let n = store
        .delete(&["resp-1".to_owned(), "gone".to_owned()])
        .await
        .expect("delete");
    assert_eq!(n, 1);
    assert_eq!(store.delete(&[]).await.expect("delete none"), 0);
    assert_eq!(store.info().await.expect("info").documents, 5);
}

#[tokio::test]
async fn hosted_embedding_uses_the_data_endpoints() {
    let fake = fake().await;
    let store = hosted_store(&fake);
    assert_eq!(
        store.capabilities(),
        Capabilities {
            dense: true,
            sparse: false
        }
    );
    exercise(&store, &fake).await;
    assert_eq!(fake.requests_to("upsert-data").len(), 1);
    assert_eq!(fake.requests_to("query-data").len(), 2);
    assert!(fake.requests_to("upsert").is_empty() && fake.requests_to("query").is_empty());
    let sent = body_json(&fake.requests_to("upsert-data")[0]);
    assert_eq!(
        sent[0],
        json!({"id": "kb-refund", "data": "Refund policy: refunds within 30 days of purchase",
               "metadata": {"type": "knowledge", "appId": "acme", "category": "billing",
                            "trustScore": 1.0}})
    );
    let q = body_json(&fake.requests_to("query-data")[0]);
    assert_eq!(q["filter"], json!("appId = 'acme'"));
    assert!(q.get("queryMode").is_none(), "dense index: no queryMode");
    fake.shutdown().await;
}

#[tokio::test]
async fn local_embedding_sends_vectors_and_keeps_the_text_as_data() {
    let fake = vector_fake(64).await;
    let embedder = Arc::new(HashEmbedder::new(64));
    let store = UpstashStore::with_local_embedder(client_for(&fake), embedder.clone());
    assert_eq!(
        store.capabilities(),
        Capabilities {
            dense: true,
            sparse: false
        }
    );
    exercise(&store, &fake).await;
    assert_eq!(
        embedder.calls.load(Ordering::SeqCst),
        3,
        "one batch + two queries"
    );
    assert!(fake.requests_to("upsert-data").is_empty());
    assert!(fake.requests_to("query-data").is_empty());
    let sent = body_json(&fake.requests_to("upsert")[0]);
    let first = &sent[0];
    assert_eq!(first["id"], json!("kb-refund"));
    assert_eq!(
        first["data"],
        json!("Refund policy: refunds within 30 days of purchase")
    );
    assert_eq!(first["vector"].as_array().map(Vec::len), Some(64));
    let q = body_json(&fake.requests_to("query")[0]);
    assert_eq!(q["vector"].as_array().map(Vec::len), Some(64));
    assert_eq!(q["filter"], json!("appId = 'acme'"));
    assert!(q.get("queryMode").is_none() && q.get("data").is_none());
    fake.shutdown().await;
}

#[tokio::test]
async fn both_modes_rank_alike_on_the_same_embedding() {
    let hosted_fake = fake().await;
    let local_fake = vector_fake(64).await;
    let hosted = hosted_store(&hosted_fake);
    let local = local_store(&local_fake);
    hosted.upsert(support_docs()).await.expect("upsert");
    local.upsert(support_docs()).await.expect("upsert");
    for text in ["refund", "password reset", "api 503 outage", "charge twice"] {
        let mut q = Query::new(text);
        q.top_k = 6;
        let a = hosted.query(&q).await.expect("hosted");
        let b = local.query(&q).await.expect("local");
        assert_eq!(a, b, "{text}");
    }
    hosted_fake.shutdown().await;
    local_fake.shutdown().await;
}

#[tokio::test]
async fn an_embedder_failure_is_unavailable_and_sends_nothing() {
    let fake = vector_fake(64).await;
    let store = UpstashStore::with_local_embedder(client_for(&fake), Arc::new(BusyEmbedder));
    assert!(matches!(
        store.upsert(support_docs()).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.query(&Query::new("refund")).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(fake.request_log().is_empty());

    // An embedder whose dimension is not the index's: Upstash's 422, as `Rejected`.
    let store =
        UpstashStore::with_local_embedder(client_for(&fake), Arc::new(HashEmbedder::new(8)));
    assert!(matches!(
        store.upsert(support_docs()).await,
        Err(StoreError::Rejected(_))
    ));
    fake.shutdown().await;
}

#[tokio::test]
async fn query_mode_is_sent_only_in_hosted_mode_on_a_hybrid_index() {
    let fake = fake_with(FakeUpstashConfig {
        hybrid: true,
        ..FakeUpstashConfig::default()
    })
    .await;
    let hybrid_client = UpstashClient::new(config_for(&fake).with_hybrid(true)).expect("client");
    let store = UpstashStore::with_hosted_embedding(hybrid_client.clone());
    assert!(store.capabilities().sparse);
    store.upsert(support_docs()).await.expect("upsert");
    for mode in [QueryMode::Dense, QueryMode::Sparse, QueryMode::Hybrid] {
        let mut q = Query::new("refund policy");
        q.mode = mode;
        let hits = store.query(&q).await.expect("query");
        assert!(!hits.is_empty(), "{mode:?}");
        if mode == QueryMode::Sparse {
            let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
            assert_eq!(
                ids,
                BTreeSet::from(["kb-refund", "conv-1", "resp-1"]),
                "only documents sharing a word"
            );
        }
    }
    let modes: Vec<Value> = fake
        .requests_to("query-data")
        .iter()
        .map(|r| body_json(r)["queryMode"].clone())
        .collect();
    assert_eq!(modes, [json!("DENSE"), json!("SPARSE"), json!("HYBRID")]);

    // Local embedding on the same index: `/query`, dense, no queryMode.
    let local = UpstashStore::with_local_embedder(
        hybrid_client.namespace("local"),
        Arc::new(HashEmbedder::new(64)),
    );
    assert!(!local.capabilities().sparse);
    local.upsert(support_docs()).await.expect("upsert");
    let mut q = Query::new("refund policy");
    q.mode = QueryMode::Sparse;
    local.query(&q).await.expect("query");
    let sent = fake.requests_to("query").pop().expect("sent");
    assert_eq!(sent.path, "/query/local");
    assert!(body_json(&sent).get("queryMode").is_none());

    // A dense index (hybrid flag off): every mode goes without queryMode.
    let dense = fake_with(FakeUpstashConfig::default()).await;
    let store = hosted_store(&dense);
    store.upsert(support_docs()).await.expect("upsert");
    for mode in [QueryMode::Dense, QueryMode::Sparse, QueryMode::Hybrid] {
        let mut q = Query::new("refund");
        q.mode = mode;
        store.query(&q).await.expect("dense index");
    }
    assert!(
        dense
            .requests_to("query-data")
            .iter()
            .all(|r| body_json(r).get("queryMode").is_none())
    );
    fake.shutdown().await;
    dense.shutdown().await;
}

#[tokio::test]
async fn namespaces_keep_stores_apart() {
    let fake = fake().await;
    let client = client_for(&fake);
    let acme = UpstashStore::with_hosted_embedding(client.namespace("acme"));
    let globex = UpstashStore::with_hosted_embedding(client.namespace("globex"));
    acme.upsert(vec![doc("a", "refund policy", DocType::Knowledge, "acme")])
        .await
        .expect("upsert");
    globex
        .upsert(vec![doc(
            "g",
            "refund policy",
            DocType::Knowledge,
            "globex",
        )])
        .await
        .expect("upsert");
    let ids = |hits: Vec<support_retrieval::Hit>| -> Vec<String> {
        hits.into_iter().map(|h| h.id).collect()
    };
    assert_eq!(
        ids(acme.query(&Query::new("refund")).await.expect("q")),
        ["a"]
    );
    assert_eq!(
        ids(globex.query(&Query::new("refund")).await.expect("q")),
        ["g"]
    );
    assert_eq!(acme.info().await.expect("info").documents, 1);
    assert_eq!(fake.namespaces(), ["", "acme", "globex"]);
    assert_eq!(fake.requests_to("upsert-data")[0].path, "/upsert-data/acme");
    fake.shutdown().await;
}

#[tokio::test]
async fn redacted_text_leaves_no_pii_on_the_wire() {
    let fake = fake().await;
    let store = hosted_store(&fake);
    let raw = "Hi, I'm writing from jane.doe@example.com, call me on +1 415 555 0100; \
               card 4242 4242 4242 4242 was charged twice";
    let pii = ["jane.doe@example.com", "555 0100", "4242 4242 4242 4242"];
    let redacted = support_core::redact::redact(raw);
    for p in pii {
        assert!(!redacted.contains(p), "{p} survived redaction: {redacted}");
    }
    let mut d = doc("conv-pii", &redacted, DocType::Conversation, "acme");
    d.metadata.title = Some(support_core::redact::redact(
        "Refund for jane.doe@example.com",
    ));
    store.upsert(vec![d]).await.expect("upsert");
    store
        .query(&query(
            &support_core::redact::redact("charged twice, write to jane.doe@example.com"),
            Some("appId = 'acme'"),
        ))
        .await
        .expect("query");
    let log = fake.request_log();
    assert_eq!(log.len(), 2);
    for r in &log {
        for p in pii {
            assert!(!r.body.contains(p), "{} carried {p}: {}", r.path, r.body);
        }
        assert!(r.body.contains("[EMAIL]"), "{}", r.body);
    }
    assert!(log[0].body.contains("[CARD]") && log[0].body.contains("[PHONE]"));
    fake.shutdown().await;
}

#[tokio::test]
async fn store_errors_map_from_upstash() {
    let fake = fake().await;
    provider();
    let bad = UpstashStore::with_hosted_embedding(
        UpstashClient::new(UpstashConfig::new(fake.url(), "nope")).expect("client"),
    );
    assert!(matches!(bad.info().await, Err(StoreError::Unauthorized)));
    let store = hosted_store(&fake);
    fake.script(UpstashFault::Error {
        status: 500,
        message: "Internal Server Error".into(),
    });
    assert!(matches!(
        store.query(&Query::new("x")).await,
        Err(StoreError::Unavailable(_))
    ));
    fake.script(UpstashFault::Error {
        status: 400,
        message: "Invalid filter: something Upstash dislikes".into(),
    });
    match store.query(&Query::new("x")).await {
        Err(StoreError::Rejected(text)) => assert!(text.contains("Upstash dislikes"), "{text}"),
        other => panic!("{other:?}"),
    }

    // A hosted store on an index without a model: Upstash's 422, as `Rejected`.
    let no_model = vector_fake(4).await;
    match hosted_store(&no_model).upsert(support_docs()).await {
        Err(StoreError::Rejected(text)) => assert!(text.contains("embedding model"), "{text}"),
        other => panic!("{other:?}"),
    }

    // A record some other writer left without our metadata fails loudly, not silently.
    client_for(&fake)
        .upsert_data(&[support_upstash::DataRecord {
            id: "foreign".into(),
            data: "refund".into(),
            metadata: None,
        }])
        .await
        .expect("upsert");
    assert!(matches!(
        store.fetch(&["foreign".to_owned()]).await,
        Err(StoreError::Unavailable(_))
    ));
    fake.shutdown().await;
    no_model.shutdown().await;
}

#[tokio::test]
async fn an_empty_upsert_sends_nothing() {
    let fake = fake().await;
    hosted_store(&fake)
        .upsert(Vec::<Document>::new())
        .await
        .expect("empty");
    assert!(fake.request_log().is_empty());
    fake.shutdown().await;
}

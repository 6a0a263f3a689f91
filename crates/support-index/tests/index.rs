//! The local index through the `VectorStore` interface, with a fake embedder.

mod common;

use common::{FakeEmbed, doc, embedder};
use support_index::LocalIndex;
use support_retrieval::{
    DocType, Document, Filter, Hit, Query, QueryMode, StoreError, VectorStore,
};

fn query(text: &str, mode: QueryMode, filter: Option<&str>, top_k: usize) -> Query {
    let mut q = Query::new(text);
    q.mode = mode;
    q.top_k = top_k;
    q.filter = filter.map(|f| Filter::parse(f).expect("filter parses"));
    q
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

const MODES: [QueryMode; 3] = [QueryMode::Sparse, QueryMode::Dense, QueryMode::Hybrid];

/// Two apps with the same kind of content; app b's documents match every query better.
fn two_apps() -> Vec<Document> {
    let mut docs = Vec::new();
    for i in 0..20 {
        docs.push(doc(
            &format!("a-{i:02}"),
            "app-a",
            if i % 2 == 0 {
                DocType::Knowledge
            } else {
                DocType::Conversation
            },
            &format!("refund request number {i} for a course purchase"),
        ));
        docs.push(doc(
            &format!("b-{i:02}"),
            "app-b",
            DocType::Knowledge,
            "refund refund course purchase refund",
        ));
    }
    docs
}

#[tokio::test]
async fn app_isolation_holds_in_every_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    store.upsert(two_apps()).await.expect("upsert");

    for mode in MODES {
        // Unfiltered, app b wins: its documents are the better matches.
        let all = store
            .query(&query("refund course purchase", mode, None, 10))
            .await
            .expect("query");
        assert!(all[0].id.starts_with("b-"), "{mode:?}: {:?}", ids(&all));

        for (app, prefix) in [("app-a", "a-"), ("app-b", "b-")] {
            let f = format!("appId = '{app}'");
            let hits = store
                .query(&query("refund course purchase", mode, Some(&f), 15))
                .await
                .expect("query");
            assert_eq!(hits.len(), 15, "{mode:?} {app}");
            assert!(
                hits.iter().all(|h| h.id.starts_with(prefix)),
                "{mode:?} {app}: {:?}",
                ids(&hits)
            );
            if mode != QueryMode::Hybrid {
                // Narrowing inside tantivy (or filtering the vectors) changes which
                // documents come back, never their scores.
                let unfiltered = store
                    .query(&query("refund course purchase", mode, None, 40))
                    .await
                    .expect("query");
                for h in &hits {
                    let same = unfiltered.iter().find(|u| u.id == h.id).expect("listed");
                    assert_eq!(same.score, h.score, "{mode:?} {}", h.id);
                }
            }
        }
        // A filter tantivy cannot pre-narrow (an OR inside) is just as exact.
        let hits = store
            .query(&query(
                "refund",
                mode,
                Some("appId = 'app-a' AND (type = 'conversation' OR trustScore > 2)"),
                40,
            ))
            .await
            .expect("query");
        assert_eq!(hits.len(), 10, "{mode:?}: {:?}", ids(&hits));
        assert!(hits.iter().all(|h| h.id.starts_with("a-")));
        // An app with no documents gets nothing, not another app's.
        let none = store
            .query(&query("refund", mode, Some("appId = 'app-c'"), 5))
            .await
            .expect("query");
        assert!(none.is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn type_and_trust_score_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    let mut docs = Vec::new();
    for i in 0..60 {
        let t = [DocType::Conversation, DocType::Knowledge, DocType::Response][i % 3];
        let mut d = doc(
            &format!("d{i:02}"),
            "app",
            t,
            &format!("how do I reset my password step {i}"),
        );
        d.metadata.trust_score = Some(i as f64 / 60.0);
        d.metadata.category = Some(if i < 30 { "access" } else { "billing" }.into());
        docs.push(d);
    }
    store.upsert(docs).await.expect("upsert");

    for mode in MODES {
        let mut q = query(
            "reset password",
            mode,
            Some("appId = 'app' AND type = 'response'"),
            100,
        );
        q.include_metadata = true;
        let hits = store.query(&q).await.expect("query");
        assert_eq!(hits.len(), 20, "{mode:?}");
        assert!(
            hits.iter()
                .all(|h| { h.metadata.as_ref().expect("metadata").doc_type == DocType::Response })
        );

        let mut q = query(
            "reset password",
            mode,
            Some("appId = 'app' AND trustScore > 0.85"),
            100,
        );
        q.include_metadata = true;
        let hits = store.query(&q).await.expect("query");
        // 0.85 * 60 = 51: scores 52/60 … 59/60.
        assert_eq!(hits.len(), 8, "{mode:?}: {:?}", ids(&hits));
        assert!(hits.iter().all(|h| {
            h.metadata
                .as_ref()
                .and_then(|m| m.trust_score)
                .expect("score")
                > 0.85
        }));

        let hits = store
            .query(&query(
                "reset password",
                mode,
                Some("category = 'billing' AND type IN ('knowledge', 'conversation')"),
                100,
            ))
            .await
            .expect("query");
        assert_eq!(hits.len(), 20, "{mode:?}");
    }
}

#[tokio::test]
async fn sparse_growth_finds_rare_matches_behind_many_better_ones() {
    // 300 documents match the words, the 3 that pass the filter rank last in BM25: the
    // candidate list has to grow past the first rounds to find them.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), None).expect("open");
    let mut docs = Vec::new();
    for i in 0..300 {
        let mut d = doc(
            &format!("x{i:03}"),
            "app",
            DocType::Knowledge,
            "invoice invoice invoice",
        );
        d.metadata.trust_score = Some(0.1);
        docs.push(d);
    }
    for i in 0..3 {
        let mut d = doc(
            &format!("y{i}"),
            "app",
            DocType::Knowledge,
            "invoice with a lot of other words so that it ranks below every other match here",
        );
        d.metadata.trust_score = Some(0.9);
        docs.push(d);
    }
    store.upsert(docs).await.expect("upsert");
    let hits = store
        .query(&query(
            "invoice",
            QueryMode::Sparse,
            Some("trustScore > 0.85"),
            5,
        ))
        .await
        .expect("query");
    assert_eq!(ids(&hits), ["y0", "y1", "y2"]);
}

#[tokio::test]
async fn each_mode_scores_on_its_own_scale_and_includes_what_is_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    let mut target = doc(
        "t",
        "app",
        DocType::Knowledge,
        "cancel my subscription today",
    );
    target.metadata.title = Some("Cancelling".into());
    target
        .metadata
        .extra
        .insert("tags".into(), serde_json::json!(["churn"]));
    store
        .upsert(vec![
            target.clone(),
            doc(
                "u",
                "app",
                DocType::Knowledge,
                "upgrade my subscription plan",
            ),
            doc("v", "app", DocType::Knowledge, "download the course videos"),
        ])
        .await
        .expect("upsert");

    let dense = store
        .query(&query(
            "cancel my subscription today",
            QueryMode::Dense,
            None,
            3,
        ))
        .await
        .expect("dense");
    assert_eq!(dense[0].id, "t");
    assert!(
        (dense[0].score - 1.0).abs() < 1e-5,
        "cosine {}",
        dense[0].score
    );
    assert!(
        dense
            .iter()
            .all(|h| h.score <= 1.0 + 1e-5 && h.score >= -1.0 - 1e-5)
    );
    assert!(dense.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(dense[0].data.is_none() && dense[0].metadata.is_none());

    let sparse = store
        .query(&query("cancel subscription", QueryMode::Sparse, None, 3))
        .await
        .expect("sparse");
    assert_eq!(ids(&sparse), ["t", "u"], "v has none of the words");
    assert!(sparse[0].score > sparse[1].score && sparse[1].score > 0.0);
    assert!(
        sparse[0].score > 1.0,
        "a BM25 score, not a cosine: {}",
        sparse[0].score
    );

    let mut q = query("cancel subscription", QueryMode::Hybrid, None, 2);
    q.include_data = true;
    q.include_metadata = true;
    let hybrid = store.query(&q).await.expect("hybrid");
    assert_eq!(hybrid[0].id, "t");
    // First in both lists: the whole of both lists' first shares.
    let first_in_both = match support_index::fusion::Fusion::DEFAULT {
        support_index::fusion::Fusion::Rrf { k, dense_weight } => (dense_weight + 1.0) / (k + 1.0),
        other => panic!("this test expects weighted RRF, not {other:?}"),
    };
    assert!(
        (hybrid[0].score - first_in_both).abs() < 1e-12,
        "fused {}",
        hybrid[0].score
    );
    assert_eq!(hybrid[0].data.as_deref(), Some(target.data.as_str()));
    assert_eq!(hybrid[0].metadata.as_ref(), Some(&target.metadata));

    // Stemming: "cancelled subscriptions" finds "cancel … subscription".
    let stemmed = store
        .query(&query(
            "cancelled subscriptions",
            QueryMode::Sparse,
            None,
            1,
        ))
        .await
        .expect("sparse");
    assert_eq!(ids(&stemmed), ["t"]);
    // Punctuation and query-language syntax are plain words.
    let odd = store
        .query(&query(
            "data:\"cancel\" AND (+subscription",
            QueryMode::Sparse,
            None,
            1,
        ))
        .await
        .expect("sparse");
    assert_eq!(ids(&odd), ["t"]);
    // No word at all: nothing, not an error.
    assert!(
        store
            .query(&query("  ?! ", QueryMode::Sparse, None, 3))
            .await
            .expect("sparse")
            .is_empty()
    );
    // A huge topK is the whole index, not a huge allocation.
    for mode in MODES {
        let all = store
            .query(&query("subscription", mode, None, usize::MAX))
            .await
            .expect("huge top_k");
        assert_eq!(
            all.len(),
            if mode == QueryMode::Sparse { 2 } else { 3 },
            "{mode:?}"
        );
    }
    assert!(
        store
            .query(&query("cancel", QueryMode::Hybrid, None, 0))
            .await
            .expect("top_k 0")
            .is_empty()
    );
}

#[tokio::test]
async fn hybrid_ranks_first_what_each_list_alone_ranks_third() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    let q = "refund charged twice";
    store
        .upsert(vec![
            // The answer: all three words, among others.
            doc(
                "target",
                "app",
                DocType::Knowledge,
                "refund charged twice on my card today",
            ),
            // Paraphrases: the embedder sees the meaning, BM25 sees no word in common.
            doc(
                "para-1",
                "app",
                DocType::Knowledge,
                "reimbursement billed double",
            ),
            doc("para-2", "app", DocType::Knowledge, "reimbursement billed"),
            // Keyword matches through stemming only: BM25 loves them, the embedder does not.
            doc("kw-1", "app", DocType::Knowledge, "refunds charges"),
            doc(
                "kw-2",
                "app",
                DocType::Knowledge,
                "refunding charges charges",
            ),
            // Background that shares one word.
            doc("bg-1", "app", DocType::Knowledge, "twice weekly newsletter"),
            doc("bg-2", "app", DocType::Knowledge, "twice yearly webinar"),
            doc("bg-3", "app", DocType::Knowledge, "twice monthly digest"),
            doc("bg-4", "app", DocType::Knowledge, "twice daily digest"),
        ])
        .await
        .expect("upsert");

    let rank = |hits: &[Hit]| hits.iter().position(|h| h.id == "target").map(|p| p + 1);
    let dense = store
        .query(&query(q, QueryMode::Dense, None, 9))
        .await
        .expect("dense");
    let sparse = store
        .query(&query(q, QueryMode::Sparse, None, 9))
        .await
        .expect("sparse");
    let hybrid = store
        .query(&query(q, QueryMode::Hybrid, None, 9))
        .await
        .expect("hybrid");
    assert_eq!(rank(&dense), Some(3), "dense {:?}", ids(&dense));
    assert_eq!(rank(&sparse), Some(3), "sparse {:?}", ids(&sparse));
    assert_eq!(rank(&hybrid), Some(1), "hybrid {:?}", ids(&hybrid));
}

#[tokio::test]
async fn busy_embedder_falls_back_to_keywords_and_keeps_documents_pending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeEmbed::new("fake-bow-64", 64);
    let store = LocalIndex::open(dir.path(), Some(fake.clone())).expect("open");
    store
        .upsert(vec![doc(
            "ok",
            "app",
            DocType::Knowledge,
            "shipping address change",
        )])
        .await
        .expect("upsert");

    fake.set_busy(true);
    // Upsert while busy: stored for BM25, pending for its vector.
    store
        .upsert(vec![
            doc(
                "late-1",
                "app",
                DocType::Knowledge,
                "shipping delayed parcel",
            ),
            doc(
                "late-2",
                "app",
                DocType::Knowledge,
                "parcel lost in shipping",
            ),
        ])
        .await
        .expect("upsert while busy");
    let info = store.info().await.expect("info");
    assert_eq!(
        (info.documents, info.pending, info.dimension),
        (3, 2, Some(64))
    );

    let hybrid = store
        .query(&query("shipping parcel", QueryMode::Hybrid, None, 5))
        .await
        .expect("hybrid falls back");
    let sparse = store
        .query(&query("shipping parcel", QueryMode::Sparse, None, 5))
        .await
        .expect("sparse");
    assert_eq!(hybrid, sparse, "busy embedder: hybrid is the sparse answer");
    let dense = store
        .query(&query("shipping parcel", QueryMode::Dense, None, 5))
        .await;
    assert!(
        matches!(dense, Err(StoreError::Unavailable(_))),
        "{dense:?}"
    );
    // Still busy: re-embedding fails and keeps them pending.
    assert!(store.reembed_pending().await.is_err());
    assert_eq!(store.info().await.expect("info").pending, 2);

    fake.set_busy(false);
    assert_eq!(store.reembed_pending().await.expect("reembed"), 2);
    assert_eq!(store.info().await.expect("info").pending, 0);
    let dense = store
        .query(&query("parcel lost in shipping", QueryMode::Dense, None, 1))
        .await
        .expect("dense");
    assert_eq!(ids(&dense), ["late-2"]);
    assert!((dense[0].score - 1.0).abs() < 1e-5);

    // The re-embedded vectors survive a restart (they were logged without a tantivy commit).
    drop(store);
    let store = LocalIndex::open(dir.path(), Some(fake.clone())).expect("reopen");
    let stats = store.stats().expect("stats");
    assert_eq!((stats.documents, stats.vectors, stats.pending), (3, 3, 0));
}

#[tokio::test]
async fn reembedding_skips_a_document_replaced_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeEmbed::new("m", 64);
    let store = LocalIndex::open(dir.path(), Some(fake.clone())).expect("open");
    fake.set_busy(true);
    store
        .upsert(vec![doc("a", "app", DocType::Knowledge, "old text")])
        .await
        .expect("upsert");
    fake.set_busy(false);
    store
        .upsert(vec![doc("a", "app", DocType::Knowledge, "new text")])
        .await
        .expect("upsert");
    assert_eq!(store.info().await.expect("info").pending, 0);
    assert_eq!(store.reembed_pending().await.expect("reembed"), 0);
    let hit = store
        .query(&query("new text", QueryMode::Dense, None, 1))
        .await
        .expect("dense");
    assert!((hit[0].score - 1.0).abs() < 1e-5);
}

#[tokio::test]
async fn another_model_discards_vectors_and_marks_everything_pending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = vec![
        doc("a", "app", DocType::Knowledge, "alpha beta"),
        doc("b", "app", DocType::Knowledge, "gamma delta"),
    ];
    {
        let store =
            LocalIndex::open(dir.path(), Some(FakeEmbed::new("model-1", 64))).expect("open");
        store.upsert(docs).await.expect("upsert");
        assert_eq!(store.stats().expect("stats").vectors, 2);
    }
    // Same dimension, another model: never mixed.
    let model2 = FakeEmbed::new("model-2", 64);
    let store = LocalIndex::open(dir.path(), Some(model2.clone())).expect("reopen");
    let stats = store.stats().expect("stats");
    assert!(stats.recovery.model_changed);
    assert_eq!((stats.documents, stats.vectors, stats.pending), (2, 0, 2));
    assert_eq!(store.info().await.expect("info").pending, 2);
    assert!(
        store
            .query(&query("alpha beta", QueryMode::Dense, None, 5))
            .await
            .expect("dense")
            .is_empty()
    );
    // Keywords still work meanwhile, and hybrid is the keyword answer.
    let hybrid = store
        .query(&query("alpha", QueryMode::Hybrid, None, 5))
        .await
        .expect("hybrid");
    assert_eq!(ids(&hybrid), ["a"]);
    assert_eq!(store.reembed_pending().await.expect("reembed"), 2);
    drop(store);

    // Another dimension too.
    let store = LocalIndex::open(dir.path(), Some(FakeEmbed::new("model-2", 32))).expect("reopen");
    assert_eq!(store.info().await.expect("info").pending, 2);
    drop(store);
    // Back to model-2/64: its vectors were discarded by the 32-dim open, so pending again.
    let store = LocalIndex::open(dir.path(), Some(model2)).expect("reopen");
    assert_eq!(store.info().await.expect("info").pending, 2);
}

#[tokio::test]
async fn keyword_only_without_an_embedder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), None).expect("open");
    assert!(!store.capabilities().dense);
    assert!(store.capabilities().sparse);
    store
        .upsert(vec![doc("a", "app", DocType::Knowledge, "export my data")])
        .await
        .expect("upsert");
    let dense = store
        .query(&query("export", QueryMode::Dense, None, 5))
        .await;
    assert!(
        matches!(dense, Err(StoreError::Unsupported(_))),
        "{dense:?}"
    );
    let hybrid = store
        .query(&query("export", QueryMode::Hybrid, None, 5))
        .await
        .expect("hybrid runs as sparse");
    let sparse = store
        .query(&query("export", QueryMode::Sparse, None, 5))
        .await
        .expect("sparse");
    assert_eq!(hybrid, sparse);
    let info = store.info().await.expect("info");
    assert_eq!((info.documents, info.dimension, info.pending), (1, None, 0));
    assert!(matches!(
        store.reembed_pending().await,
        Err(StoreError::Unsupported(_))
    ));
    drop(store);
    // Opened later with a model: the keyword-only document waits for its vector.
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen");
    assert_eq!(store.info().await.expect("info").pending, 1);
    assert_eq!(store.reembed_pending().await.expect("reembed"), 1);
}

#[tokio::test]
async fn fetch_delete_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    let docs: Vec<Document> = (0..25)
        .map(|i| {
            doc(
                &format!("id-{i:02}"),
                "app",
                DocType::Response,
                &format!("reply {i}"),
            )
        })
        .collect();
    store.upsert(docs.clone()).await.expect("upsert");

    let got = store
        .fetch(&["id-03".into(), "nope".into(), "id-01".into()])
        .await
        .expect("fetch");
    assert_eq!(
        got,
        vec![Some(docs[3].clone()), None, Some(docs[1].clone())]
    );

    // Counts only what existed, each id once.
    let n = store
        .delete(&[
            "id-01".into(),
            "id-01".into(),
            "nope".into(),
            "id-02".into(),
        ])
        .await
        .expect("delete");
    assert_eq!(n, 2);
    assert_eq!(store.delete(&["id-01".into()]).await.expect("delete"), 0);
    assert_eq!(
        store.fetch(&["id-01".into()]).await.expect("fetch"),
        vec![None]
    );
    let info = store.info().await.expect("info");
    assert_eq!(info.documents, 23);
    assert_eq!(store.stats().expect("stats").vectors, 23);
    // Deleted documents are gone from every mode.
    for mode in MODES {
        let hits = store
            .query(&query("reply 1", mode, None, 30))
            .await
            .expect("query");
        assert!(!ids(&hits).contains(&"id-01"), "{mode:?}");
        assert!(!ids(&hits).contains(&"id-02"), "{mode:?}");
    }

    // Pages of 10 in id order, cursor = last id.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = store.range(&cursor, 10).await.expect("range");
        pages += 1;
        seen.extend(page.documents.iter().map(|d| d.id.clone()));
        match page.next_cursor {
            Some(c) => {
                assert_eq!(Some(&c), seen.last());
                cursor = c;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
    expected.retain(|id| id != "id-01" && id != "id-02");
    assert_eq!(seen, expected);
    assert!(matches!(
        store.range("", 0).await,
        Err(StoreError::Rejected(_))
    ));
    let tail = store.range("id-24", 10).await.expect("range");
    assert!(tail.documents.is_empty() && tail.next_cursor.is_none());
}

#[tokio::test]
async fn upsert_replaces_dedupes_and_is_all_or_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    store
        .upsert(vec![
            doc("a", "app", DocType::Knowledge, "first version"),
            doc("a", "app", DocType::Knowledge, "second version"),
        ])
        .await
        .expect("upsert");
    assert_eq!(store.info().await.expect("info").documents, 1);
    let got = store.fetch(&["a".into()]).await.expect("fetch");
    assert_eq!(
        got[0].as_ref().map(|d| d.data.as_str()),
        Some("second version")
    );

    store
        .upsert(vec![doc("a", "app-2", DocType::Response, "third edition")])
        .await
        .expect("replace");
    for mode in MODES {
        let old = store
            .query(&query("version", mode, Some("appId = 'app'"), 5))
            .await
            .expect("query");
        assert!(
            old.is_empty(),
            "{mode:?}: the old text and app are gone: {old:?}"
        );
    }
    let dense = store
        .query(&query(
            "third edition",
            QueryMode::Dense,
            Some("appId = 'app-2'"),
            5,
        ))
        .await
        .expect("dense");
    assert!(
        (dense[0].score - 1.0).abs() < 1e-5,
        "the vector follows the text"
    );

    // One bad id refuses the whole batch.
    let err = store
        .upsert(vec![
            doc("fine", "app", DocType::Knowledge, "x"),
            doc("", "app", DocType::Knowledge, "y"),
        ])
        .await;
    assert!(matches!(err, Err(StoreError::Rejected(_))), "{err:?}");
    assert_eq!(
        store.fetch(&["fine".into()]).await.expect("fetch"),
        vec![None]
    );

    // `extra` cannot forge the tenant, in the filter or in what comes back.
    let mut forged = doc("f", "app-3", DocType::Knowledge, "forged tenant");
    forged
        .metadata
        .extra
        .insert("appId".into(), serde_json::json!("app"));
    store.upsert(vec![forged]).await.expect("upsert");
    let hits = store
        .query(&query(
            "forged tenant",
            QueryMode::Hybrid,
            Some("appId = 'app'"),
            5,
        ))
        .await
        .expect("query");
    assert!(hits.is_empty(), "{hits:?}");
    let back = store.fetch(&["f".into()]).await.expect("fetch");
    let back = back[0].as_ref().expect("present");
    assert_eq!(back.metadata.app_id, "app-3");
    assert!(back.metadata.extra.is_empty());
}

#[tokio::test]
async fn survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = two_apps();
    let before: Vec<Vec<Hit>> = {
        let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
        store.upsert(docs[..20].to_vec()).await.expect("upsert");
        store.upsert(docs[20..].to_vec()).await.expect("upsert");
        store.delete(&["a-03".into()]).await.expect("delete");
        let mut out = Vec::new();
        for mode in MODES {
            out.push(
                store
                    .query(&query("refund purchase", mode, Some("appId = 'app-a'"), 8))
                    .await
                    .expect("query"),
            );
        }
        out
    };
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen");
    let stats = store.stats().expect("stats");
    assert_eq!(
        (stats.documents, stats.vectors, stats.pending, stats.seq),
        (39, 39, 0, 3)
    );
    assert_eq!(stats.recovery, support_index::Recovery::default());
    for (mode, expected) in MODES.into_iter().zip(before) {
        let hits = store
            .query(&query("refund purchase", mode, Some("appId = 'app-a'"), 8))
            .await
            .expect("query");
        assert_eq!(hits, expected, "{mode:?}");
    }
}

#[tokio::test]
async fn one_process_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _store = LocalIndex::open(dir.path(), None).expect("open");
    let second = LocalIndex::open(dir.path(), None);
    assert!(matches!(second, Err(StoreError::Storage(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_all_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    let mut tasks = Vec::new();
    for t in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..5 {
                let docs = (0..10)
                    .map(|i| {
                        doc(
                            &format!("t{t}-b{b}-{i}"),
                            "app",
                            DocType::Conversation,
                            &format!("writer {t} batch {b} item {i}"),
                        )
                    })
                    .collect();
                store.upsert(docs).await.expect("upsert");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let stats = store.stats().expect("stats");
    assert_eq!((stats.documents, stats.vectors), (200, 200));
    // Concurrent upserts share commits (group commit), never more than one each.
    assert!(stats.seq <= 20, "{}", stats.seq);
    eprintln!("20 concurrent upserts in {} commits", stats.seq);

    // Two deleters of the same ids, at once: each id is counted by exactly one of them,
    // whether or not their jobs share a commit.
    let victims: Vec<String> = (0..5)
        .flat_map(|b| (0..10).map(move |i| format!("t0-b{b}-{i}")))
        .collect();
    let mut deleters = Vec::new();
    for _ in 0..3 {
        let store = store.clone();
        let victims = victims.clone();
        deleters.push(tokio::spawn(async move {
            let mut n = 0;
            for chunk in victims.chunks(7) {
                n += store.delete(chunk).await.expect("delete");
            }
            n
        }));
    }
    let mut deleted = 0;
    for d in deleters {
        deleted += d.await.expect("task");
    }
    assert_eq!(deleted, 50);
    let stats = store.stats().expect("stats");
    assert_eq!((stats.documents, stats.vectors), (150, 150));
}

#[tokio::test]
async fn a_log_of_mostly_replaced_vectors_is_compacted_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs: Vec<Document> = (0..100)
        .map(|i| {
            doc(
                &format!("c{i:03}"),
                "app",
                DocType::Knowledge,
                &format!("text {i}"),
            )
        })
        .collect();
    {
        let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
        for _ in 0..50 {
            store.upsert(docs.clone()).await.expect("upsert");
        }
    }
    let log = dir.path().join("vectors.log");
    let before = std::fs::metadata(&log).expect("log").len();
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen");
    let after = std::fs::metadata(&log).expect("log").len();
    assert!(store.stats().expect("stats").recovery.compacted);
    assert!(after * 10 < before, "{before} -> {after}");
    // The vectors came through the rewrite: a text finds a vector equal to its own.
    let hits = store
        .query(&query("text 42", QueryMode::Dense, None, 1))
        .await
        .expect("dense");
    assert!((hits[0].score - 1.0).abs() < 1e-5, "{hits:?}");
    drop(store);
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen again");
    let stats = store.stats().expect("stats");
    assert!(!stats.recovery.compacted);
    assert_eq!((stats.vectors, stats.pending), (100, 0));
}

#[test]
fn a_malformed_filter_never_reaches_the_store() {
    // The store takes a parsed `Filter`; text that does not parse never becomes a Query.
    assert!(Filter::parse("appId =").is_err());
    assert!(Filter::parse("appId = 'a' AND").is_err());
    let err = serde_json::from_value::<Query>(serde_json::json!({
        "data": "x", "filter": "appId = 'a' OR ("
    }));
    assert!(err.is_err());
}

#[tokio::test]
async fn synthetic_builder_builds_a_searchable_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
    support_index::synthetic::build(&store, 500, 3, 128, 7)
        .await
        .expect("build");
    let stats = store.stats().expect("stats");
    assert_eq!((stats.documents, stats.vectors), (500, 500));
    let hits = store
        .query(&query(
            "refund charged twice",
            QueryMode::Hybrid,
            Some("appId = 'app-1' AND type = 'knowledge'"),
            10,
        ))
        .await
        .expect("query");
    assert_eq!(hits.len(), 10);
    assert_eq!(
        support_index::synthetic::documents(3, 2, 7),
        support_index::synthetic::documents(3, 2, 7)
    );
}

#[tokio::test]
async fn a_lost_or_damaged_vector_log_is_re_derived() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs: Vec<Document> = (0..5)
        .map(|i| {
            doc(
                &format!("l{i}"),
                "app",
                DocType::Knowledge,
                &format!("lost {i}"),
            )
        })
        .collect();
    {
        let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
        store.upsert(docs).await.expect("upsert");
    }
    let log = dir.path().join("vectors.log");
    for damage in ["remove", "garble the header"] {
        match damage {
            "remove" => std::fs::remove_file(&log).expect("remove"),
            _ => std::fs::write(&log, b"not a vector log at all").expect("garble"),
        }
        let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen");
        let stats = store.stats().expect("stats");
        assert_eq!(
            (stats.documents, stats.vectors, stats.pending),
            (5, 0, 5),
            "{damage}"
        );
        assert_eq!(store.reembed_pending().await.expect("reembed"), 5);
        let hit = store
            .query(&query("lost 3", QueryMode::Dense, None, 1))
            .await
            .expect("dense");
        assert!((hit[0].score - 1.0).abs() < 1e-5, "{damage}");
    }
}

#[tokio::test]
async fn keyword_only_writes_never_pair_new_text_with_an_old_vector() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = LocalIndex::open(dir.path(), Some(embedder())).expect("open");
        store
            .upsert(vec![
                doc("keep", "app", DocType::Knowledge, "kept as it was"),
                doc("edit", "app", DocType::Knowledge, "before the edit"),
                doc("gone", "app", DocType::Knowledge, "deleted later"),
            ])
            .await
            .expect("upsert");
    }
    {
        // Opened without the model (say it failed to load): writes still go through.
        let store = LocalIndex::open(dir.path(), None).expect("keyword-only");
        store
            .upsert(vec![doc(
                "edit",
                "app",
                DocType::Knowledge,
                "after the edit",
            )])
            .await
            .expect("upsert");
        assert_eq!(store.delete(&["gone".into()]).await.expect("delete"), 1);
    }
    let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopen with the model");
    let stats = store.stats().expect("stats");
    // "keep" still has its vector; "edit" waits for one of its new text.
    assert_eq!((stats.documents, stats.vectors, stats.pending), (2, 1, 1));
    assert!(!stats.recovery.model_changed);
    assert_eq!(store.reembed_pending().await.expect("reembed"), 1);
    let hit = store
        .query(&query("after the edit", QueryMode::Dense, None, 1))
        .await
        .expect("dense");
    assert_eq!(hit[0].id, "edit");
    assert!((hit[0].score - 1.0).abs() < 1e-5);
}

/// One decision searches three document types with the same text: the text is embedded once.
#[tokio::test]
async fn the_same_query_text_is_embedded_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = FakeEmbed::new("fake-bow-64", 64);
    let store = LocalIndex::open(dir.path(), Some(fake.clone())).expect("open");
    store
        .upsert(vec![doc("a", "app", DocType::Knowledge, "refund policy")])
        .await
        .expect("upsert");
    let before = fake.calls.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..3 {
        store
            .query(&query("how do refunds work", QueryMode::Hybrid, None, 5))
            .await
            .expect("query");
    }
    let after = fake.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after - before, 1, "three searches, one embedding");
    store
        .query(&query("another question", QueryMode::Hybrid, None, 5))
        .await
        .expect("query");
    assert_eq!(
        fake.calls.load(std::sync::atomic::Ordering::SeqCst) - after,
        1
    );
}

//! The filter language through the wire: the documents and filters of
//! `support-retrieval/tests/filters.rs` (its valid rows), stored in the fake through the
//! store in both modes, each filter sent verbatim and evaluated there; the ids that come back
//! must be the ids local `Filter::matches` picks on the same documents, and the table's.

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support_fakes::FakeUpstash;
use support_retrieval::{Document, Filter, Metadata, Query, VectorStore};
use support_upstash::UpstashStore;

use common::*;

/// Eight documents of two tenants, as in `support-retrieval`'s filter tests. Short ids: `c`
/// conversation, `k` knowledge, `r` response.
fn corpus() -> Vec<(&'static str, Value)> {
    let raw = [
        (
            "c1",
            json!({
                "type": "conversation", "appId": "acme", "category": "billing",
                "resolution": "refunded", "sentiment": "negative", "trustScore": 0.92,
                "source": "front", "title": "Double charge on March invoice",
                "tags": ["billing", "refund", "stripe"],
                "customer": {"plan": "pro", "seats": 12, "region": "eu"},
                "priority": 2, "escalated": false
            }),
        ),
        (
            "c2",
            json!({
                "type": "conversation", "appId": "acme", "category": "account",
                "resolution": "resolved", "sentiment": "neutral", "trustScore": 0.75,
                "source": "slack", "title": "Can't log in after password reset",
                "tags": ["login", "password"],
                "customer": {"plan": "free", "seats": 1, "region": "us"},
                "priority": 1, "escalated": true
            }),
        ),
        (
            "k1",
            json!({
                "type": "knowledge", "appId": "acme", "category": "billing",
                "trustScore": 1.0, "source": "docs", "title": "Refund policy",
                "tags": ["billing", "refund", "policy"],
                "author": {"name": "Ana", "team": "support"}, "version": 3
            }),
        ),
        (
            "k2",
            json!({
                "type": "knowledge", "appId": "acme", "category": "account",
                "trustScore": 0.6, "source": "docs", "title": "Setting up SSO with Okta",
                "tags": ["sso", "okta", "login"],
                "author": {"name": "Bo", "team": "eng"}, "draft": true
            }),
        ),
        (
            "r1",
            json!({
                "type": "response", "appId": "acme", "category": "billing",
                "trustScore": 0.88, "title": "Refund acknowledged",
                "tags": ["refund"], "locale": "en-US"
            }),
        ),
        (
            "r2",
            json!({
                "type": "response", "appId": "globex", "category": "general",
                "trustScore": 0.5, "title": "Greeting", "tags": [], "locale": "fr-FR"
            }),
        ),
        (
            "c3",
            json!({
                "type": "conversation", "appId": "globex", "category": "outage",
                "resolution": "escalated", "sentiment": "negative", "trustScore": 0.3,
                "source": "front", "title": "API returns 503",
                "tags": ["api", "outage", "Stripe"],
                "customer": {"plan": "enterprise", "seats": 250, "region": "eu"},
                "priority": 3, "escalated": true
            }),
        ),
        (
            "k3",
            json!({
                "type": "knowledge", "appId": "globex", "category": "api",
                "source": "docs", "title": "API rate limits",
                "tags": ["api", 429], "author": {"name": "Cy"},
                "note": null, "version": 1.5
            }),
        ),
    ];
    raw.into_iter()
        .map(|(id, v)| {
            let m: Metadata = serde_json::from_value(v.clone()).expect("fixture is valid metadata");
            assert_eq!(m.to_value(), v, "{id} survives Metadata");
            (id, m.to_value())
        })
        .collect()
}

const ALL: &[&str] = &["c1", "c2", "k1", "k2", "r1", "r2", "c3", "k3"];

/// Valid filters and the ids each must match.
const TABLE: &[(&str, &[&str])] = &[
    // Equality and tenants.
    ("appId = 'acme'", &["c1", "c2", "k1", "k2", "r1"]),
    ("appId = \"globex\"", &["r2", "c3", "k3"]),
    ("type = 'knowledge'", &["k1", "k2", "k3"]),
    ("appId = 'acme' AND type = 'conversation'", &["c1", "c2"]),
    (
        "type = 'response' OR category = 'outage'",
        &["r1", "r2", "c3"],
    ),
    ("appId != 'acme'", &["r2", "c3", "k3"]),
    ("appid = 'acme'", &[]),     // field names are case sensitive
    ("type = 'Knowledge'", &[]), // so are values
    ("title = \"Can't log in after password reset\"", &["c2"]),
    (
        "sentiment = \"negative\" AND source = 'front'",
        &["c1", "c3"],
    ),
    // Numbers compare numerically; a missing field never matches.
    ("trustScore > 0.8", &["c1", "k1", "r1"]),
    ("trustScore >= 0.75", &["c1", "c2", "k1", "r1"]),
    ("trustScore < 0.6", &["r2", "c3"]),
    ("trustScore <= 0.6", &["k2", "r2", "c3"]),
    ("trustScore = 1", &["k1"]), // stored as 1.0
    ("version = 3.0", &["k1"]),  // stored as the integer 3
    ("trustScore != 0.5", &["c1", "c2", "k1", "k2", "r1", "c3"]),
    ("version > 2", &["k1"]),
    ("version < 2", &["k3"]),
    ("priority >= -1", &["c1", "c2", "c3"]),
    // Missing fields and mismatched types: no match, negations included.
    ("resolution != 'refunded'", &["c2", "c3"]),
    ("trustScore != 'high'", &[]),
    ("note = 'x' OR note != 'x'", &[]), // null is a value of no type
    ("tags = 'refund'", &[]),           // = does not reach into arrays
    ("customer = 'pro'", &[]),
    // Booleans, and the documented 1/0 spelling of them.
    ("escalated = true", &["c2", "c3"]),
    ("escalated != FALSE", &["c2", "c3"]),
    ("escalated = 0", &["c1"]),
    ("draft = 1", &["k2"]),
    ("escalated IN (1)", &["c2", "c3"]),
    ("escalated NOT IN (true)", &["c1"]),
    ("priority = true", &[]), // a boolean literal never equals a number
    // IN / NOT IN.
    (
        "category IN ('billing', 'account')",
        &["c1", "c2", "k1", "k2", "r1"],
    ),
    (
        "category NOT IN ('billing', 'account')",
        &["r2", "c3", "k3"],
    ),
    ("author.name IN ('Ana', 'Cy')", &["k1", "k3"]),
    ("customer.seats NOT IN (1, 12)", &["c3"]),
    ("category in ('api') Or category GLOB 'out*'", &["c3", "k3"]),
    // CONTAINS on arrays, case sensitive, any literal type.
    ("tags CONTAINS 'refund'", &["c1", "k1", "r1"]),
    (
        "tags NOT CONTAINS 'refund'",
        &["c2", "k2", "r2", "c3", "k3"],
    ),
    ("tags CONTAINS 'stripe'", &["c1"]),
    ("tags CONTAINS 429", &["k3"]),
    ("tags CONTAINS true", &[]),
    ("title CONTAINS 'API'", &[]), // strings are not arrays
    // Nested objects and array indexing.
    ("customer.plan = 'pro'", &["c1"]),
    (
        "customer.seats >= 10 AND customer.region = 'eu'",
        &["c1", "c3"],
    ),
    ("customer.region != 'eu'", &["c2"]),
    ("tags[0] = 'billing'", &["c1", "k1"]),
    ("tags[#-1] = 'login'", &["k2"]),
    ("tags[#-1] = 'refund'", &["r1"]),
    ("tags[5] = 'x'", &[]),
    ("tags[0] GLOB 'a*'", &["c3", "k3"]),
    // GLOB.
    ("title GLOB 'API*'", &["c3", "k3"]),
    ("title GLOB '*[Rr]efund*'", &["k1", "r1"]),
    ("title NOT GLOB '*a*'", &["k1", "r2", "c3"]),
    ("locale GLOB '??-[A-Z][A-Z]'", &["r1", "r2"]),
    ("locale GLOB '[^e]*'", &["r2"]),
    (
        "locale GLOB 'en-*' OR locale NOT GLOB 'en-*'",
        &["r1", "r2"],
    ),
    // HAS FIELD / HAS NOT FIELD.
    ("HAS FIELD author", &["k1", "k2", "k3"]),
    ("HAS FIELD author.team", &["k1", "k2"]),
    ("has not field trustScore", &["k3"]),
    ("HAS FIELD note", &["k3"]), // present, though null
    (
        "HAS FIELD tags[0]",
        &["c1", "c2", "k1", "k2", "r1", "c3", "k3"],
    ),
    ("HAS NOT FIELD tags[#-1]", &["r2"]),
    ("x = 1 OR HAS NOT FIELD x", ALL),
    // Precedence and grouping.
    (
        "appId = 'acme' AND (category = 'billing' OR tags CONTAINS 'login')",
        &["c1", "c2", "k1", "k2", "r1"],
    ),
    (
        "appId = 'acme' AND category = 'billing' OR tags CONTAINS 'api'",
        &["c1", "k1", "r1", "c3", "k3"],
    ),
    ("((appId = 'globex'))", &["r2", "c3", "k3"]),
    ("appId = 'globex' and tags not contains 'api'", &["r2"]),
];

/// The corpus as documents: `data` is the title (or the id), metadata typed.
fn documents() -> Vec<Document> {
    corpus()
        .into_iter()
        .map(|(id, v)| {
            let data = v["title"].as_str().unwrap_or(id).to_owned();
            let metadata: Metadata = serde_json::from_value(v).expect("metadata");
            Document {
                id: id.to_owned(),
                data,
                metadata,
            }
        })
        .collect()
}

/// Every row through `store`: the ids the fake returns, the ids local `matches` picks and the
/// table's must agree; each filter must arrive verbatim; metadata must come back intact.
async fn run_table(store: &UpstashStore, fake: &FakeUpstash, endpoint: &str) {
    store.upsert(documents()).await.expect("upsert");
    let local = corpus();
    let mut failures = Vec::new();
    for (source, want) in TABLE {
        let filter = Filter::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let mut q = Query::new("support");
        q.top_k = 100;
        q.filter = Some(filter.clone());
        q.include_metadata = true;
        let hits = store
            .query(&q)
            .await
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        let remote: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let matched: BTreeSet<&str> = local
            .iter()
            .filter(|(_, m)| filter.matches(m))
            .map(|(id, _)| *id)
            .collect();
        let want: BTreeSet<&str> = want.iter().copied().collect();
        if remote != matched || matched != want {
            failures.push(format!(
                "{source:?}: fake {remote:?}, local {matched:?}, table {want:?}"
            ));
        }
        for hit in &hits {
            let (_, original) = local
                .iter()
                .find(|(id, _)| *id == hit.id)
                .expect("known id");
            let back = hit.metadata.as_ref().expect("metadata").to_value();
            assert_eq!(&back, original, "{} metadata round trip", hit.id);
        }
        let sent = fake.requests_to(endpoint).pop().expect("sent");
        assert_eq!(body_json(&sent)["filter"], json!(source), "verbatim");
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_keeps_its_breadth() {
    assert!(TABLE.len() >= 40, "{}", TABLE.len());
}

#[tokio::test]
async fn filters_agree_through_the_hosted_store() {
    let fake = fake().await;
    run_table(&hosted_store(&fake), &fake, "query-data").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn filters_agree_through_the_local_embedder_store() {
    let fake = vector_fake(64).await;
    run_table(&local_store(&fake), &fake, "query").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn delete_by_filter_removes_what_matches_locally() {
    let fake = fake().await;
    let store = hosted_store(&fake);
    for (source, want) in TABLE.iter().step_by(7) {
        store.upsert(documents()).await.expect("upsert");
        let filter = Filter::parse(source).expect("filter");
        let deleted = store
            .client()
            .delete(&support_upstash::DeleteRequest::Filter(filter))
            .await
            .expect("delete");
        assert_eq!(deleted as usize, want.len(), "{source}");
        let ids: Vec<String> = documents().into_iter().map(|d| d.id).collect();
        let left: BTreeSet<String> = store
            .fetch(&ids)
            .await
            .expect("fetch")
            .into_iter()
            .flatten()
            .map(|d| d.id)
            .collect();
        let expected: BTreeSet<String> = ids
            .iter()
            .filter(|id| !want.contains(&id.as_str()))
            .cloned()
            .collect();
        assert_eq!(left, expected, "{source}");
    }
    fake.shutdown().await;
}

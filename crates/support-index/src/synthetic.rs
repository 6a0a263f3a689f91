//! Synthetic support documents, deterministic from a seed, to build an index of any size
//! for benchmarks (`examples/bench.rs`) without shipping a corpus.

use std::time::{Duration, Instant};

use support_retrieval::{DocType, Document, Metadata, StoreError, VectorStore};

const TOPICS: [&str; 8] = [
    "refund",
    "login",
    "invoice",
    "subscription",
    "download",
    "certificate",
    "password",
    "transfer",
];
const CATEGORIES: [&str; 4] = ["billing", "access", "content", "account"];
const WORDS: [&str; 40] = [
    "course", "purchase", "charged", "twice", "card", "email", "link", "expired", "cannot",
    "access", "lesson", "video", "module", "account", "renew", "cancel", "receipt", "team", "seat",
    "license", "upgrade", "discount", "coupon", "bundle", "error", "page", "blank", "mobile",
    "app", "sync", "progress", "lost", "reset", "magic", "sign", "browser", "payment", "declined",
    "tax", "country",
];

/// A small xorshift generator: enough to vary texts, and stable across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` documents spread over `apps` tenants (`app-0`, `app-1`, …), all three types, four
/// categories and trust scores from 0 to 1; ids `doc-000000…`. The same seed gives the
/// same documents.
pub fn documents(n: usize, apps: usize, seed: u64) -> Vec<Document> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let apps = apps.max(1);
    (0..n)
        .map(|i| {
            let topic = TOPICS[rng.below(TOPICS.len())];
            let len = 12 + rng.below(40);
            let mut words = vec![topic];
            for _ in 0..len {
                words.push(WORDS[rng.below(WORDS.len())]);
            }
            words.push(topic);
            let doc_type = match i % 3 {
                0 => DocType::Conversation,
                1 => DocType::Knowledge,
                _ => DocType::Response,
            };
            let mut metadata = Metadata::new(doc_type, format!("app-{}", i % apps));
            metadata.category = Some(CATEGORIES[rng.below(CATEGORIES.len())].to_owned());
            metadata.trust_score = Some(rng.below(1001) as f64 / 1000.0);
            metadata.title = Some(format!("About {topic}"));
            Document {
                id: format!("doc-{i:06}"),
                data: words.join(" "),
                metadata,
            }
        })
        .collect()
}

/// Upserts `documents(n, apps, seed)` into `store` in batches of `batch`, and returns how
/// long it took.
pub async fn build(
    store: &dyn VectorStore,
    n: usize,
    apps: usize,
    batch: usize,
    seed: u64,
) -> Result<Duration, StoreError> {
    let docs = documents(n, apps, seed);
    let start = Instant::now();
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        let chunk: Vec<Document> = docs.by_ref().take(batch.max(1)).collect();
        store.upsert(chunk).await?;
    }
    Ok(start.elapsed())
}

//! SIGKILL during indexing: the test binary runs itself as a writer child, which upserts
//! batches in a loop until it is killed; the parent reopens the index and checks that each
//! batch is wholly there (text, filter fields and vectors agreeing) or wholly absent, and
//! that every batch the child saw committed is there.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{doc, embedder};
use support_index::LocalIndex;
use support_retrieval::{DocType, Document, Filter, Query, QueryMode, VectorStore};

const DIR_ENV: &str = "SUPPORT_INDEX_CRASH_DIR";
const ROUND_ENV: &str = "SUPPORT_INDEX_CRASH_ROUND";
/// Documents per batch, besides the one shared document every batch rewrites.
const BATCH: usize = 16;

fn batch_docs(round: u32, b: u32) -> Vec<Document> {
    let tag = format!("r{round}b{b}");
    let mut docs: Vec<Document> = (0..BATCH)
        .map(|i| {
            let id = format!("r{round}-b{b:05}-{i:02}");
            let mut d = doc(
                &id,
                "app",
                DocType::Conversation,
                &format!("{tag} item{i} customer asks about refund number {b} {i}"),
            );
            d.metadata.extra.insert("batch".into(), tag.clone().into());
            d.metadata.extra.insert("key".into(), id.into());
            d
        })
        .collect();
    // Rewritten by every batch: after a crash its text and vector must both be the last
    // committed batch's.
    let mut shared = doc(
        "shared",
        "app",
        DocType::Knowledge,
        &format!("shared version {tag}"),
    );
    shared
        .metadata
        .extra
        .insert("sharedVersion".into(), tag.into());
    shared.metadata.extra.insert("key".into(), "shared".into());
    docs.push(shared);
    docs
}

/// The writer child. Without the environment variable (a normal test run) it does nothing.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return;
    };
    let round: u32 = std::env::var(ROUND_ENV)
        .expect("round")
        .parse()
        .expect("round number");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = LocalIndex::open(&dir, Some(embedder())).expect("child opens");
        for b in 0u32.. {
            store.upsert(batch_docs(round, b)).await.expect("upsert");
            println!("committed {round} {b}");
        }
    });
}

fn q(text: &str, mode: QueryMode, filter: &str, top_k: usize) -> Query {
    let mut q = Query::new(text);
    q.mode = mode;
    q.top_k = top_k;
    q.filter = Some(Filter::parse(filter).expect("filter"));
    q
}

/// Runs one child until it has committed at least once, lets it write for `delay`, kills
/// it, and returns the batches it reported committed.
fn run_child(dir: &std::path::Path, round: u32, delay: Duration) -> BTreeSet<u32> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_ENV, dir)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the writer child");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut acked = BTreeSet::new();
    let parse = |line: &str| -> Option<u32> {
        let rest = line.strip_prefix("committed ")?;
        let (r, b) = rest.split_once(' ')?;
        (r.parse::<u32>().ok()? == round).then(|| b.parse().ok())?
    };
    for line in lines.by_ref() {
        let line = line.expect("child stdout");
        if let Some(b) = parse(&line) {
            acked.insert(b);
            break;
        }
    }
    assert!(
        !acked.is_empty(),
        "round {round}: the child never committed"
    );
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(b) = parse(&line) {
            acked.insert(b);
        }
    }
    acked
}

#[test]
fn killed_writer_leaves_whole_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Batches present per round, kept to check that later rounds never disturb them.
    let mut present_by_round: BTreeMap<u32, u32> = BTreeMap::new();
    let mut repaired = 0;
    let delays = [120u64, 35, 260, 75, 180, 10, 330, 55];
    for (round, delay) in delays.into_iter().enumerate() {
        let round = round as u32;
        let acked = run_child(dir.path(), round, Duration::from_millis(delay));
        rt.block_on(async {
            let store = LocalIndex::open(dir.path(), Some(embedder())).expect("reopens");
            let stats = store.stats().expect("stats");
            if stats.recovery.dropped_batches > 0 || stats.recovery.truncated_bytes > 0 {
                repaired += 1;
            }
            assert_eq!(
                stats.pending, 0,
                "round {round}: every document has its vector"
            );
            assert_eq!(stats.vectors, stats.documents, "round {round}");

            // Every document, grouped by batch.
            let mut by_batch: BTreeMap<(u32, u32), usize> = BTreeMap::new();
            let mut shared = None;
            let mut cursor = String::new();
            loop {
                let page = store.range(&cursor, 500).await.expect("range");
                for d in page.documents {
                    if d.id == "shared" {
                        shared = Some(d);
                        continue;
                    }
                    let (r, rest) = d.id[1..].split_once("-b").expect("id shape");
                    let b = &rest[..5];
                    let key = (r.parse().expect("round"), b.parse().expect("batch"));
                    *by_batch.entry(key).or_default() += 1;
                    let tag = format!("r{}b{}", key.0, key.1);
                    assert_eq!(d.metadata.extra["batch"], serde_json::json!(tag));
                }
                match page.next_cursor {
                    Some(c) => cursor = c,
                    None => break,
                }
            }
            assert!(
                by_batch.values().all(|&n| n == BATCH),
                "round {round}: a partial batch: {by_batch:?}"
            );
            let this: Vec<u32> = by_batch
                .keys()
                .filter(|(r, _)| *r == round)
                .map(|(_, b)| *b)
                .collect();
            let n = this.len() as u32;
            assert_eq!(
                this,
                (0..n).collect::<Vec<_>>(),
                "round {round}: batches in order"
            );
            let last_acked = *acked.last().expect("acked");
            assert!(
                n > last_acked && n <= last_acked + 2,
                "round {round}: {n} batches present, child acknowledged up to {last_acked}"
            );
            for (&r, &count) in &present_by_round {
                let now = by_batch.keys().filter(|(rr, _)| *rr == r).count() as u32;
                assert_eq!(now, count, "round {r} changed in round {round}");
            }
            present_by_round.insert(round, n);

            // The shared document is the last batch's, text and vector alike.
            let shared = shared.expect("shared document");
            let tag = format!("r{round}b{}", n - 1);
            assert_eq!(shared.data, format!("shared version {tag}"));
            assert_eq!(
                shared.metadata.extra["sharedVersion"],
                serde_json::json!(tag)
            );
            let hit = store
                .query(&q(&shared.data, QueryMode::Dense, "key = 'shared'", 1))
                .await
                .expect("dense");
            assert!(
                (hit[0].score - 1.0).abs() < 1e-5,
                "round {round}: the shared vector is not its text's: {}",
                hit[0].score
            );

            // The last batches of this round: BM25 and vectors both hold all of them, and
            // each vector is its own text's.
            for b in n.saturating_sub(3)..n {
                let tag = format!("r{round}b{b}");
                let filter = format!("appId = 'app' AND batch = '{tag}'");
                for mode in [QueryMode::Sparse, QueryMode::Dense] {
                    let hits = store
                        .query(&q(&tag, mode, &filter, 100))
                        .await
                        .expect("query");
                    assert_eq!(hits.len(), BATCH, "round {round} {tag} {mode:?}");
                }
                for d in batch_docs(round, b).into_iter().take(BATCH) {
                    let filter = format!("key = '{}'", d.id);
                    let hit = store
                        .query(&q(&d.data, QueryMode::Dense, &filter, 1))
                        .await
                        .expect("dense");
                    assert!((hit[0].score - 1.0).abs() < 1e-5, "{}", d.id);
                }
            }
            let total: u32 = present_by_round.values().sum();
            assert_eq!(stats.documents, u64::from(total) * BATCH as u64 + 1);
        });
    }
    eprintln!(
        "crash test: {} rounds, batches per round {:?}, {repaired} reopen(s) dropped or cut an uncommitted tail",
        delays.len(),
        present_by_round.values().collect::<Vec<_>>()
    );
}

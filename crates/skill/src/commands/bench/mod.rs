//! `skill bench start`: cold start (process spawn → `/readyz` 200) and idle memory (RSS after
//! the server has been idle), measured on a fresh SQLite database each run. The other
//! benches are in [`draft`], [`embed`], [`ingest`], [`retrieval`], [`search`] and
//! [`workflow`].

pub mod draft;
pub mod embed;
pub mod ingest;
pub mod retrieval;
pub mod search;
pub mod workflow;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Subcommand;
use serde::Serialize;

use crate::exit::CliError;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Cold start time and idle RSS of `skill serve`.
    Start {
        /// Number of runs (each on a fresh database).
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Seconds to stay idle before reading memory.
        #[arg(long, default_value_t = 2)]
        idle_secs: u64,
    },
    /// Ingestion throughput: signed Front webhooks from concurrent clients on loopback
    /// against a fresh database, with some deliveries repeated to prove dedupe.
    Ingest {
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Requests in total (including the repeated ones).
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// Every Nth request repeats an earlier delivery (0 = none).
        #[arg(long, default_value_t = 10)]
        duplicate_every: usize,
        /// sqlite, postgres or both.
        #[arg(long, default_value = "both")]
        backend: String,
    },
    /// Webhook → Front draft latency on the rules path in the sandbox setup (worker and
    /// engine running as in production, wall clock), once with the production inbound
    /// debounce and once with none, unless --debounce-ms picks one.
    Draft {
        /// New conversations per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// How long to send.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// sqlite or postgres.
        #[arg(long, default_value = "sqlite")]
        backend: String,
        /// Run one phase with this `worker.inbound_debounce_ms` (default: 3000, then 0).
        #[arg(long, value_name = "MS")]
        debounce_ms: Option<u64>,
        /// The embedding model's folder: turns on dense search and the learned classifier,
        /// to measure what they add to a decision.
        #[arg(long, value_name = "DIR")]
        model: Option<std::path::PathBuf>,
    },
    /// Embedding speed of the local model: embeddings/s one text at a time and 32 per pass,
    /// peak memory, and the lowest cosine to sentence-transformers on the 2,000 reference
    /// texts. Compare with the reference stack on a quiet machine.
    Embed {
        /// The model folder [default: the server's, {data_dir}/models/all-minilm-l6-v2].
        #[arg(long, value_name = "DIR")]
        model: Option<std::path::PathBuf>,
        /// The server's configuration file (for the default model folder).
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// How many of the reference texts (1-2000).
        #[arg(long, default_value_t = 2000)]
        texts: usize,
        /// Timed passes over them; the median is reported.
        #[arg(long, default_value_t = 3)]
        passes: usize,
    },
    /// Retrieval quality on a labelled set (eval/retrieval): every utterance is indexed,
    /// then each asks for its 5 nearest others by BM25 (sparse), MiniLM (dense) and both
    /// fused as the index's hybrid mode does; intent-precision@5 is the share of them with
    /// its intent. Also query latency per mode and the indexing time.
    Retrieval {
        /// The model folder [default: the server's, {data_dir}/models/all-minilm-l6-v2].
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// The server's configuration file (for the default model folder).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Only the first N utterances [default: all].
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// dev: Bitext, the reported figure; tune: BANKING77, the only set fusion
        /// parameters are chosen on.
        #[arg(long, value_enum, default_value_t = retrieval::Dataset::Dev)]
        dataset: retrieval::Dataset,
        /// Also score a grid of fusions (weighted RRF, DBSF) from the same lists; tune only.
        #[arg(long)]
        sweep: bool,
    },
    /// Search speed at scale: synthetic documents over several apps indexed through the
    /// embedder into a fresh local index, then hybrid queries filtered to one app and type
    /// (latency p50/p95/p99, the query's embedding included), sparse and dense alone for
    /// comparison, indexing rate and peak memory.
    Search {
        /// Documents to index.
        #[arg(long, default_value_t = 100_000)]
        docs: usize,
        /// Queries per mode.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Apps (tenants) the documents are spread over; at least 4.
        #[arg(long, default_value_t = 8)]
        apps: usize,
        /// Documents per upsert.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// What embeds documents and queries.
        #[arg(long, value_enum, default_value_t = search::EmbedderKind::Minilm)]
        embedder: search::EmbedderKind,
        /// The model folder for --embedder minilm [default: the server's].
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// The server's configuration file (for the default model folder).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Durable engine throughput and per-step overhead: N runs of a 3-step workflow (and of
    /// a 0-step baseline) started, then drained, in-process on a fresh database.
    Workflow {
        /// Runs of each workflow.
        #[arg(long, default_value_t = 2000)]
        runs: usize,
        /// Runs the engine executes concurrently per pass.
        #[arg(long, default_value_t = 16)]
        concurrency: i64,
        /// sqlite, postgres or both.
        #[arg(long, default_value = "both")]
        backend: String,
    },
}

#[derive(Debug, Serialize)]
struct Run {
    cold_start_ms: f64,
    idle_rss_kib: u64,
    peak_rss_kib: u64,
    shutdown_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    runs: Vec<Run>,
    cold_start_ms_median: f64,
    idle_rss_mib_median: f64,
}

pub async fn run(cmd: &BenchCommand, json: bool) -> Result<(), CliError> {
    match cmd {
        BenchCommand::Start { runs, idle_secs } => start(*runs, *idle_secs).await,
        BenchCommand::Ingest {
            concurrency,
            events,
            duplicate_every,
            backend,
        } => {
            for b in backends(backend)? {
                let r = ingest::run(b, *concurrency, *events, *duplicate_every).await?;
                if json {
                    print_json(&r)?;
                } else {
                    println!(
                        "{:<8} concurrency {:>3}: {:>8.0} accepted/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  stored {} of {} unique, duplicates processed {}",
                        r.backend,
                        r.concurrency,
                        r.accepted_per_s,
                        r.p50_ms,
                        r.p95_ms,
                        r.p99_ms,
                        r.stored,
                        r.unique_sent,
                        r.duplicates_processed
                    );
                }
                if r.duplicates_processed != 0 || r.stored != r.unique_sent {
                    return Err(CliError::failure(format!(
                        "{}: {} duplicates processed, {} of {} unique events stored",
                        r.backend, r.duplicates_processed, r.stored, r.unique_sent
                    )));
                }
            }
            Ok(())
        }
        BenchCommand::Workflow {
            runs,
            concurrency,
            backend,
        } => workflow(*runs, *concurrency, backend, json).await,
        BenchCommand::Draft {
            rate,
            seconds,
            backend,
            debounce_ms,
            model,
        } => draft(*rate, *seconds, backend, *debounce_ms, model.clone(), json).await,
        BenchCommand::Embed {
            model,
            config,
            texts,
            passes,
        } => {
            let dir = match model {
                Some(dir) => dir.clone(),
                None => {
                    crate::commands::serve::load_config(config.as_deref(), None, None)?.model_dir()
                }
            };
            let (texts, passes) = (*texts, *passes);
            let r = tokio::task::spawn_blocking(move || embed::run(&dir, texts, passes))
                .await
                .map_err(fail)??;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{} ({} dims), {} texts, {} threads, median of {} passes: batch 1 {:.1} embeddings/s, batch 32 {:.1} embeddings/s; load {:.0} ms; peak RSS {:.0} MiB; lowest cosine to sentence-transformers {:.7}",
                    r.model,
                    r.dimensions,
                    r.texts,
                    r.threads,
                    r.passes,
                    r.batch1_per_s,
                    r.batch32_per_s,
                    r.load_ms,
                    r.peak_rss_mib,
                    r.min_cosine_to_reference
                );
            }
            Ok(())
        }
        BenchCommand::Retrieval {
            model,
            config,
            limit,
            dataset,
            sweep,
        } => {
            let dir = model_dir(model.as_deref(), config.as_deref())?;
            let r = retrieval::run(&dir, *dataset, *limit, *sweep).await?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{}: {} utterances, {} intents, {} ({} dims), indexed in {:.1} s",
                    r.dataset,
                    r.utterances,
                    r.intents,
                    r.model,
                    r.dimensions,
                    r.index_ms / 1e3
                );
                for (name, m) in [
                    ("sparse (BM25)", &r.sparse),
                    ("dense (MiniLM)", &r.dense),
                    ("hybrid", &r.hybrid),
                ] {
                    println!(
                        "  {name:<15} intent-precision@5 {:.4}  query p50 {:.2} ms  p95 {:.2} ms",
                        m.precision_at_5, m.latency.p50_ms, m.latency.p95_ms
                    );
                }
                println!("  hybrid fusion: {}", r.fusion);
                if !r.sweep.is_empty() {
                    println!("sweep (offline from the same dense and sparse lists):");
                    for row in &r.sweep {
                        let mark = if row.current { "  <- the index's" } else { "" };
                        println!(
                            "  {:<24} intent-precision@5 {:.4}{mark}",
                            row.fusion, row.precision_at_5
                        );
                    }
                }
            }
            Ok(())
        }
        BenchCommand::Search {
            docs,
            queries,
            apps,
            batch,
            embedder,
            model,
            config,
        } => {
            let dir = match embedder {
                search::EmbedderKind::Minilm => {
                    Some(model_dir(model.as_deref(), config.as_deref())?)
                }
                search::EmbedderKind::Hashed => None,
            };
            let r = search::run(search::SearchArgs {
                docs: *docs,
                queries: *queries,
                apps: *apps,
                batch: *batch,
                embedder: *embedder,
                model_dir: dir.as_deref(),
                json,
            })
            .await?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{} docs over {} apps, embedder {} ({}, {} dims): indexed in {:.1} s ({:.0} docs/s, batches of {}), reopened in {:.0} ms",
                    r.docs,
                    r.apps,
                    r.embedder,
                    r.model,
                    r.dimensions,
                    r.index_s,
                    r.docs_per_s,
                    r.batch,
                    r.reopen_ms
                );
                println!(
                    "{} queries per mode, topK {}, filter {} ({} docs match), the query's embedding included:",
                    r.queries, r.top_k, r.filter, r.filter_matches
                );
                for (name, l) in [
                    ("hybrid", &r.hybrid),
                    ("sparse", &r.sparse),
                    ("dense", &r.dense),
                ] {
                    println!(
                        "  {name:<6} p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
                        l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
                    );
                }
                println!("peak RSS {:.0} MiB", r.peak_rss_mib);
            }
            Ok(())
        }
    }
}

/// The model folder a bench loads: `--model`, else the server's (`--config`, or defaults).
fn model_dir(model: Option<&Path>, config: Option<&Path>) -> Result<PathBuf, CliError> {
    match model {
        Some(dir) => Ok(dir.to_owned()),
        None => Ok(crate::commands::serve::load_config(config, None, None)?.model_dir()),
    }
}

/// MiniLM behind the embedding queue, sized as the server sizes it. A missing or unreadable
/// model is "not found", with the command that installs it and then `or` (another way out).
async fn start_minilm(dir: &Path, or: &str) -> Result<support_embed::EmbedQueue, CliError> {
    use support_embed::{EmbedOptions, EmbedQueue, Embedder, QueueOptions};
    let dir = dir.to_owned();
    let or = or.to_owned();
    tokio::task::spawn_blocking(move || {
        Embedder::load_with(&dir, EmbedOptions::default())
            .map_err(|e| {
                CliError::new(
                    crate::exit::NOT_FOUND,
                    format!("{e}; `skill models fetch` installs the model{or}"),
                )
            })
            .and_then(|e| EmbedQueue::start(e, QueueOptions::default()).map_err(fail))
    })
    .await
    .map_err(fail)?
}

/// Latency percentiles (nearest rank) of a set of timings, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        let at = |p: f64| {
            let rank = ((times.len() as f64 * p).ceil() as usize).saturating_sub(1);
            times.get(rank).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        Self {
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

/// Peak resident set of this process (VmHWM) from /proc (Linux), in MiB; 0 elsewhere.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The backends `--backend` names, in the order they run.
fn backends(backend: &str) -> Result<&'static [&'static str], CliError> {
    match backend {
        "both" => Ok(&["sqlite", "postgres"]),
        "sqlite" => Ok(&["sqlite"]),
        "postgres" => Ok(&["postgres"]),
        other => Err(CliError::new(
            crate::exit::INVALID,
            format!("--backend {other:?} must be sqlite, postgres or both"),
        )),
    }
}

/// One report (or a list of them) as a line of JSON on stdout.
fn print_json(report: &impl Serialize) -> Result<(), CliError> {
    println!("{}", serde_json::to_string(report).map_err(fail)?);
    Ok(())
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::failure(e.to_string())
}

/// A fresh Postgres database when the bench runs on Postgres, dropped by the caller when done.
async fn fresh_postgres(
    backend: &str,
) -> Result<Option<support_store::testdb::PgTestDb>, CliError> {
    if backend != "postgres" {
        return Ok(None);
    }
    support_store::testdb::create_postgres()
        .await
        .map(Some)
        .ok_or_else(|| CliError::failure("Postgres is unreachable (set PG_TEST_URL)"))
}

async fn draft(
    rate: f64,
    seconds: f64,
    backend: &str,
    debounce_ms: Option<u64>,
    model: Option<std::path::PathBuf>,
    json: bool,
) -> Result<(), CliError> {
    if !matches!(backend, "sqlite" | "postgres") {
        return Err(CliError::new(
            crate::exit::INVALID,
            format!("--backend {backend:?} must be sqlite or postgres"),
        ));
    }
    let production = support_server::Config::default().worker.inbound_debounce_ms;
    let phases = match debounce_ms {
        Some(d) => vec![d],
        None => vec![production, 0],
    };
    let mut reports = Vec::new();
    for d in phases {
        let r = draft::run(backend, rate, seconds, d, model.clone()).await?;
        if !json {
            println!(
                "{:<8} debounce {:>4} ms (worker poll {} ms): sent {} at {:.1}/s, drafts {}/{} ({} rejected), {:.1} drafts/s; webhook->draft p50 {:.0} ms p95 {:.0} ms p99 {:.0} ms max {:.0} ms; excluding the debounce p50 {:.0} ms p95 {:.0} ms p99 {:.0} ms; webhook ack p95 {:.1} ms",
                r.backend,
                r.debounce_ms,
                r.worker_poll_ms,
                r.sent,
                r.send_rate,
                r.drafts,
                r.sent,
                r.rejected,
                r.drafts_per_s,
                r.p50_ms,
                r.p95_ms,
                r.p99_ms,
                r.max_ms,
                r.p50_ms_ex_debounce,
                r.p95_ms_ex_debounce,
                r.p99_ms_ex_debounce,
                r.webhook_p95_ms
            );
        }
        reports.push(r);
    }
    if json {
        print_json(&reports)?;
    }
    if let Some(r) = reports.iter().find(|r| r.drafts < r.sent) {
        return Err(CliError::failure(format!(
            "debounce {} ms: only {} of {} drafts arrived",
            r.debounce_ms, r.drafts, r.sent
        )));
    }
    Ok(())
}

async fn workflow(
    runs: usize,
    concurrency: i64,
    backend: &str,
    json: bool,
) -> Result<(), CliError> {
    for b in backends(backend)? {
        let r = workflow::run(b, runs, concurrency).await?;
        if json {
            print_json(&r)?;
        } else {
            println!(
                "{:<8} {} runs x {} steps, concurrency {}: {:>7.0} runs/s  {:>7.0} steps/s  {:.3} ms/step  (0-step baseline {:.0} runs/s, {:.3} ms/run; a step adds {:.3} ms)  start->completed p50 {:.0} ms p95 {:.0} ms  execution p50 {:.0} ms p95 {:.0} ms",
                r.backend,
                r.runs,
                r.steps_per_run,
                r.concurrency,
                r.runs_per_s,
                r.steps_per_s,
                r.step_overhead_ms,
                r.baseline_runs_per_s,
                r.per_run_overhead_ms,
                r.marginal_step_ms,
                r.p50_ms,
                r.p95_ms,
                r.exec_p50_ms,
                r.exec_p95_ms
            );
        }
    }
    Ok(())
}

async fn start(runs: u32, idle_secs: u64) -> Result<(), CliError> {
    let (runs, idle_secs) = (&runs, &idle_secs);
    let exe =
        std::env::current_exe().map_err(|e| CliError::failure(format!("current exe: {e}")))?;
    let mut results = Vec::new();
    for i in 0..(*runs).max(1) {
        let r = one_run(&exe, Duration::from_secs(*idle_secs)).await?;
        eprintln!(
            "run {}: cold start {:.1} ms, idle RSS {:.1} MiB (peak {:.1} MiB), shutdown {:.1} ms",
            i + 1,
            r.cold_start_ms,
            r.idle_rss_kib as f64 / 1024.0,
            r.peak_rss_kib as f64 / 1024.0,
            r.shutdown_ms
        );
        results.push(r);
    }
    let mut starts: Vec<f64> = results.iter().map(|r| r.cold_start_ms).collect();
    let mut rss: Vec<f64> = results
        .iter()
        .map(|r| r.idle_rss_kib as f64 / 1024.0)
        .collect();
    let report = Report {
        cold_start_ms_median: median(&mut starts),
        idle_rss_mib_median: median(&mut rss),
        runs: results,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| CliError::failure(e.to_string()))?
    );
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

async fn one_run(exe: &std::path::Path, idle: Duration) -> Result<Run, CliError> {
    let dir = tempfile::tempdir().map_err(|e| CliError::failure(format!("tempdir: {e}")))?;
    let db = format!("sqlite://{}/support.db", dir.path().display());
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db])
        .env("SUPPORT_DATA_DIR", dir.path())
        .env("SUPPORT_WRITE_CLI_CONFIG", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::failure(format!("spawn skill serve: {e}")))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| CliError::failure("no stderr"))?;
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let mut found = None;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("skill serve: listening on ") {
                found = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        // Keep draining so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        found
    })
    .await
    .map_err(|e| CliError::failure(e.to_string()))?
    .ok_or_else(|| CliError::failure("skill serve exited before listening"))?;
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            return Err(CliError::failure("skill serve was not ready within 30 s"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let cold_start_ms = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(idle).await;
    let (idle_rss_kib, peak_rss_kib) = rss_kib(child.id());
    let stop = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .map_err(|e| CliError::failure(e.to_string()))?
        .map_err(|e| CliError::failure(e.to_string()))?;
    if !status.success() {
        return Err(CliError::failure(format!(
            "skill serve exited with {status} on SIGTERM"
        )));
    }
    Ok(Run {
        cold_start_ms,
        idle_rss_kib,
        peak_rss_kib,
        shutdown_ms: stop.elapsed().as_secs_f64() * 1000.0,
    })
}

/// (VmRSS, VmHWM) in KiB from /proc; zeros where /proc is unavailable.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

//! `skill bench workflow`: the embedded durable engine, in-process, on a fresh SQLite file or
//! Postgres database. N runs of a workflow with three journaled steps are started, then
//! `drain()`ed to completion; the same is done with a workflow with no steps as the baseline,
//! so the cost of a step can be told apart from the cost of a run (claim, replay set-up,
//! finish). Every run must complete with exactly its journal entries, or the bench fails.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};
use support_engine::{
    Durable, EmbeddedCtx, Engine, EngineConfig, RetryPolicy, StartOptions, StepError,
};
use support_store::Store;
use support_store::workflows::status;

use super::fail;
use crate::exit::CliError;

/// The measured workflow: three journaled steps, each returning a small value.
pub const BENCH3: &str = "bench3";
/// The baseline: a run that journals nothing.
pub const BENCH0: &str = "bench0";
const STEPS: usize = 3;

#[derive(Debug, Serialize)]
pub struct WorkflowReport {
    pub backend: String,
    pub runs: usize,
    pub concurrency: i64,
    pub steps_per_run: usize,
    /// Starting the N runs (one insert each, from `concurrency` tasks).
    pub start_s: f64,
    pub starts_per_s: f64,
    /// `drain()` until every 3-step run completed.
    pub drain_s: f64,
    pub runs_per_s: f64,
    pub steps_per_s: f64,
    /// Drain time per step: `drain_s / (runs * 3)`, amortised over the concurrency.
    pub step_overhead_ms: f64,
    /// Drain time per run of the 0-step baseline: `baseline_drain_s / runs`.
    pub per_run_overhead_ms: f64,
    /// What a step adds on top of the run: `(drain_s - baseline_drain_s) / (runs * 3)`.
    pub marginal_step_ms: f64,
    pub baseline_drain_s: f64,
    pub baseline_runs_per_s: f64,
    /// Start → completed per run (`created_at` → `finished_at`). All runs are started before
    /// the drain, so this includes the time a run queued behind the others.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// First claim → completed per run (`started_at` → `finished_at`): the execution alone.
    pub exec_p50_ms: f64,
    pub exec_p95_ms: f64,
    /// Journal entries found, `runs * 3` when correct.
    pub journal_entries: usize,
    pub completed: usize,
}

/// A fresh database: dropped (Postgres) or deleted (SQLite) when done.
struct Fresh {
    store: Store,
    pg: Option<support_store::testdb::PgTestDb>,
    _dir: tempfile::TempDir,
}

impl Fresh {
    async fn open(backend: &str) -> Result<Self, CliError> {
        let dir = tempfile::tempdir().map_err(fail)?;
        let pg = super::fresh_postgres(backend).await?;
        let url = match &pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}/bench.db", dir.path().display()),
        };
        let store = Store::connect(&url).await.map_err(fail)?;
        store.migrate().await.map_err(fail)?;
        Ok(Self {
            store,
            pg,
            _dir: dir,
        })
    }

    async fn close(self) {
        self.store.close().await;
        if let Some(db) = self.pg {
            db.drop_db().await;
        }
    }
}

fn engine(store: &Store, concurrency: i64) -> Arc<Engine> {
    let engine = Engine::new(
        store.clone(),
        EngineConfig {
            concurrency,
            ..EngineConfig::default()
        },
    );
    engine.register(BENCH3, |ctx: EmbeddedCtx, input: Value| async move {
        let n = input["n"].as_i64().unwrap_or(0);
        let a: i64 = ctx
            .run("one", RetryPolicy::DEFAULT, || async move {
                Ok::<_, StepError>(n + 1)
            })
            .await?;
        let b: i64 = ctx
            .run("two", RetryPolicy::DEFAULT, || async move {
                Ok::<_, StepError>(a * 2)
            })
            .await?;
        let c: String = ctx
            .run("three", RetryPolicy::DEFAULT, || async move {
                Ok::<_, StepError>(format!("n={n} b={b}"))
            })
            .await?;
        Ok(json!({ "result": c }))
    });
    engine.register(BENCH0, |_ctx: EmbeddedCtx, input: Value| async move {
        Ok(json!({ "n": input["n"] }))
    });
    Arc::new(engine)
}

/// Starts `runs` runs of `kind` from `concurrency` tasks; returns the elapsed seconds.
async fn start_all(
    engine: &Arc<Engine>,
    kind: &'static str,
    runs: usize,
    concurrency: usize,
) -> Result<f64, CliError> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|t| {
            let engine = engine.clone();
            let stride = concurrency.max(1);
            tokio::spawn(async move {
                for i in (t..runs).step_by(stride) {
                    let (_, created) = engine
                        .start(
                            kind,
                            &format!("{kind}-{i}"),
                            &json!({ "n": i }),
                            StartOptions::default(),
                        )
                        .await
                        .map_err(fail)?;
                    if !created {
                        return Err(CliError::failure(format!("{kind}-{i} started twice")));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(fail)??;
    }
    Ok(started.elapsed().as_secs_f64())
}

struct Phase {
    start_s: f64,
    drain_s: f64,
    rows: Vec<support_store::workflows::RunRow>,
    journal_entries: usize,
}

/// One measurement of `kind` on a fresh database: start, drain, then check every run.
async fn phase(
    backend: &str,
    kind: &'static str,
    steps: usize,
    runs: usize,
    concurrency: i64,
) -> Result<Phase, CliError> {
    let db = Fresh::open(backend).await?;
    let engine = engine(&db.store, concurrency);
    let start_s = start_all(&engine, kind, runs, concurrency.max(1) as usize).await?;
    let t0 = Instant::now();
    let executions = engine.drain().await.map_err(fail)?;
    let drain_s = t0.elapsed().as_secs_f64();
    let rows = db
        .store
        .wf_list(None, runs as i64 + 1)
        .await
        .map_err(fail)?;
    let mut problems = Vec::new();
    if rows.len() != runs {
        problems.push(format!("{} runs stored, {runs} started", rows.len()));
    }
    if executions != runs {
        problems.push(format!("{executions} executions for {runs} runs"));
    }
    let mut journal_entries = 0;
    for r in &rows {
        if r.status != status::COMPLETED {
            problems.push(format!("run {} is {}: {:?}", r.key, r.status, r.last_error));
            continue;
        }
        let n = db.store.wf_journal(&r.id).await.map_err(fail)?.len();
        journal_entries += n;
        if n != steps {
            problems.push(format!(
                "run {} has {n} journal entries, not {steps}",
                r.key
            ));
        }
    }
    db.close().await;
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(10).map(String::as_str).collect();
        return Err(CliError::failure(format!(
            "{backend} {kind}: {} problem(s): {}",
            problems.len(),
            shown.join("; ")
        )));
    }
    Ok(Phase {
        start_s,
        drain_s,
        rows,
        journal_entries,
    })
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
        .map(|v| *v as f64)
        .unwrap_or(0.0)
}

pub async fn run(backend: &str, runs: usize, concurrency: i64) -> Result<WorkflowReport, CliError> {
    if runs == 0 {
        return Err(CliError::new(
            crate::exit::INVALID,
            "--runs must be at least 1",
        ));
    }
    if concurrency < 1 {
        return Err(CliError::new(
            crate::exit::INVALID,
            "--concurrency must be at least 1",
        ));
    }
    let base = phase(backend, BENCH0, 0, runs, concurrency).await?;
    let main = phase(backend, BENCH3, STEPS, runs, concurrency).await?;

    let mut total: Vec<i64> = Vec::with_capacity(runs);
    let mut exec: Vec<i64> = Vec::with_capacity(runs);
    for r in &main.rows {
        let finished = r.finished_at.unwrap_or(r.created_at);
        total.push(finished - r.created_at);
        exec.push(finished - r.started_at.unwrap_or(r.created_at));
    }
    total.sort_unstable();
    exec.sort_unstable();
    let n = runs as f64;
    let steps = (runs * STEPS) as f64;
    Ok(WorkflowReport {
        backend: backend.to_owned(),
        runs,
        concurrency,
        steps_per_run: STEPS,
        start_s: main.start_s,
        starts_per_s: n / main.start_s,
        drain_s: main.drain_s,
        runs_per_s: n / main.drain_s,
        steps_per_s: steps / main.drain_s,
        step_overhead_ms: main.drain_s * 1000.0 / steps,
        per_run_overhead_ms: base.drain_s * 1000.0 / n,
        marginal_step_ms: (main.drain_s - base.drain_s) * 1000.0 / steps,
        baseline_drain_s: base.drain_s,
        baseline_runs_per_s: n / base.drain_s,
        p50_ms: percentile(&total, 0.50),
        p95_ms: percentile(&total, 0.95),
        p99_ms: percentile(&total, 0.99),
        exec_p50_ms: percentile(&exec, 0.50),
        exec_p95_ms: percentile(&exec, 0.95),
        journal_entries: main.journal_entries,
        completed: main.rows.len(),
    })
}

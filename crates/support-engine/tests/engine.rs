//! The embedded engine's guarantees, on SQLite and on Postgres: journaled steps never re-run,
//! retries with budgets, dead-letter and retry, durable sleep and promises (first resolution
//! wins), idempotent start, per-key exclusivity, and state that survives replays.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support_engine::{
    Durable, Engine, EngineConfig, RetryPolicy, StartOptions, StepError, WfError,
};
use support_store::Store;
use support_store::workflows::status;

struct Harness {
    store: Store,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
    pg: Option<support_store::testdb::PgTestDb>,
}

impl Harness {
    async fn new(postgres: bool) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tmp");
        let (url, pg) = if postgres {
            let db = support_store::testdb::create_postgres().await?;
            (db.url.clone(), Some(db))
        } else {
            (format!("sqlite://{}/e.db", dir.path().display()), None)
        };
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        Some(Self {
            store,
            clock: Arc::new(AtomicI64::new(support_store::now_ms())),
            _dir: dir,
            pg,
        })
    }

    fn engine(&self) -> Engine {
        let clock = self.clock.clone();
        Engine::new(
            self.store.clone(),
            EngineConfig {
                clock: Arc::new(move || clock.load(Ordering::SeqCst)),
                ..EngineConfig::default()
            },
        )
    }

    fn advance(&self, by: Duration) {
        self.clock
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    async fn done(self) {
        self.store.close().await;
        if let Some(pg) = self.pg {
            pg.drop_db().await;
        }
    }
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let h = super::Harness::new(false).await.expect("sqlite");
                super::$name(&h).await;
                h.done().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(h) = super::Harness::new(true).await else {
                    return;
                };
                super::$name(&h).await;
                h.done().await;
            }
        }
    };
}

async fn status_of(h: &Harness, run_id: &str) -> String {
    h.store
        .wf_get(run_id)
        .await
        .expect("get")
        .expect("run")
        .status
}

both!(completed_steps_never_run_again);
async fn completed_steps_never_run_again(h: &Harness) {
    let calls: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
    let flaky = Arc::new(AtomicUsize::new(0));
    let engine = h.engine();
    let (c, f) = (calls.clone(), flaky.clone());
    engine.register("three", move |ctx, input: Value| {
        let (c, f) = (c.clone(), f.clone());
        async move {
            let a: i64 = ctx
                .run("one", RetryPolicy::DEFAULT, || async {
                    c[0].fetch_add(1, Ordering::SeqCst);
                    Ok(input["n"].as_i64().unwrap_or(0) + 1)
                })
                .await?;
            let b: i64 = ctx
                .run("two", RetryPolicy::DEFAULT, || async {
                    c[1].fetch_add(1, Ordering::SeqCst);
                    // Fails on its first attempt only.
                    if f.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(StepError::Retryable("flaky".into()))
                    } else {
                        Ok(a * 10)
                    }
                })
                .await?;
            let s: String = ctx
                .run("three", RetryPolicy::DEFAULT, || async {
                    c[2].fetch_add(1, Ordering::SeqCst);
                    Ok(format!("={b}"))
                })
                .await?;
            Ok(json!({ "result": s }))
        }
    });
    let engine = Arc::new(engine);
    let (id, created) = engine
        .start("three", "k1", &json!({"n": 4}), StartOptions::default())
        .await
        .expect("start");
    assert!(created);
    let (again, created) = engine
        .start("three", "k1", &json!({"n": 99}), StartOptions::default())
        .await
        .expect("start");
    assert_eq!(
        (again.as_str(), created),
        (id.as_str(), false),
        "idempotent start by key"
    );

    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &id).await, status::RETRYING);
    let attempts = h.store.wf_step_attempts(&id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].attempts, 1);
    assert_eq!(attempts[0].last_error.as_deref(), Some("flaky"));

    // Not due yet: nothing runs.
    assert_eq!(engine.drain().await.expect("drain"), 0);
    h.advance(Duration::from_secs(2));
    engine.drain().await.expect("drain");
    let run = h.store.wf_get(&id).await.expect("get").expect("run");
    assert_eq!(run.status, status::COMPLETED);
    assert_eq!(run.output.as_deref(), Some(r#"{"result":"=50"}"#));
    let counts: Vec<usize> = calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(
        counts,
        [1, 2, 1],
        "step one ran once although the run was replayed"
    );
    let mut steps: Vec<String> = h
        .store
        .wf_steps(&id)
        .await
        .expect("steps")
        .into_iter()
        .map(|s| s.step)
        .collect();
    steps.sort();
    assert_eq!(steps, ["one", "three", "two"]);
}

both!(exhausted_steps_dead_letter_and_retry_runs_them_again);
async fn exhausted_steps_dead_letter_and_retry_runs_them_again(h: &Harness) {
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tries = Arc::new(AtomicUsize::new(0));
    let engine = h.engine();
    let (ok, t) = (healthy.clone(), tries.clone());
    engine.register("stripe-ish", move |ctx, _input: Value| {
        let (ok, t) = (ok.clone(), t.clone());
        async move {
            let v: String = ctx
                .run("call", RetryPolicy::STRIPE, || async {
                    t.fetch_add(1, Ordering::SeqCst);
                    if ok.load(Ordering::SeqCst) {
                        Ok("done".to_owned())
                    } else {
                        Err(StepError::Retryable("503 from upstream".into()))
                    }
                })
                .await?;
            Ok(json!(v))
        }
    });
    let engine = Arc::new(engine);
    let (id, _) = engine
        .start("stripe-ish", "d1", &json!({}), StartOptions::default())
        .await
        .expect("start");
    for _ in 0..5 {
        engine.drain().await.expect("drain");
        h.advance(Duration::from_secs(600));
    }
    assert_eq!(
        tries.load(Ordering::SeqCst),
        3,
        "the Stripe budget is 3 attempts"
    );
    let run = h.store.wf_get(&id).await.expect("get").expect("run");
    assert_eq!(run.status, status::DEAD);
    assert!(
        run.last_error.as_deref().is_some_and(|e| e.contains("503")),
        "{run:?}"
    );
    let alerts = h.store.alerts(10).await.expect("alerts");
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == "workflow.dead" && a.subject == format!("run:{id}"))
    );
    assert_eq!(
        h.store
            .wf_list(Some(status::DEAD), 10)
            .await
            .expect("list")
            .len(),
        1
    );

    healthy.store(true, Ordering::SeqCst);
    assert!(engine.retry_dead(&id).await.expect("retry"));
    assert!(
        !engine.retry_dead(&id).await.expect("retry twice"),
        "only a dead run can be retried"
    );
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &id).await, status::COMPLETED);
    assert_eq!(tries.load(Ordering::SeqCst), 4);
}

both!(sleep_survives_and_wakes_on_time);
async fn sleep_survives_and_wakes_on_time(h: &Harness) {
    let engine = h.engine();
    engine.register("nap", |ctx, _input: Value| async move {
        let before = ctx.now_ms("before").await?;
        ctx.sleep("nap", Duration::from_secs(3600)).await?;
        let after = ctx.now_ms("after").await?;
        Ok(json!(after - before))
    });
    let engine = Arc::new(engine);
    let (id, _) = engine
        .start("nap", "s1", &json!({}), StartOptions::default())
        .await
        .expect("start");
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &id).await, status::SLEEPING);
    h.advance(Duration::from_secs(3599));
    assert_eq!(engine.drain().await.expect("drain"), 0, "not yet");
    // A brand-new engine (a restart) finishes it.
    let restarted = h.engine();
    restarted.register("nap", |ctx, _input: Value| async move {
        let before = ctx.now_ms("before").await?;
        ctx.sleep("nap", Duration::from_secs(3600)).await?;
        let after = ctx.now_ms("after").await?;
        Ok(json!(after - before))
    });
    let restarted = Arc::new(restarted);
    h.advance(Duration::from_secs(1));
    restarted.drain().await.expect("drain");
    let run = h.store.wf_get(&id).await.expect("get").expect("run");
    assert_eq!(run.status, status::COMPLETED);
    assert_eq!(
        run.output.as_deref(),
        Some("3600000"),
        "journaled clock: exactly the sleep"
    );
}

both!(promises_wait_and_the_first_resolution_wins);
async fn promises_wait_and_the_first_resolution_wins(h: &Harness) {
    let engine = h.engine();
    engine.register("approval", |ctx, input: Value| async move {
        let deadline = input["deadline"].as_i64();
        let decision: Option<String> = ctx.promise("decision", deadline).await?;
        Ok(json!(decision.unwrap_or_else(|| "expired".into())))
    });
    let engine = Arc::new(engine);
    let (id, _) = engine
        .start("approval", "a1", &json!({}), StartOptions::default())
        .await
        .expect("start");
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &id).await, status::WAITING);
    assert_eq!(
        engine.drain().await.expect("drain"),
        0,
        "a waiting run is not polled"
    );

    let (a, b) = tokio::join!(
        engine.resolve(&id, "decision", &"approved", "slack:U1"),
        engine.resolve(&id, "decision", &"rejected", "dashboard:admin"),
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_ne!(a.1, b.1, "exactly one resolution wins");
    assert_eq!(a.0, b.0, "both callers see the standing decision");
    engine.drain().await.expect("drain");
    let run = h.store.wf_get(&id).await.expect("get").expect("run");
    assert_eq!(run.status, status::COMPLETED);
    assert_eq!(run.output, Some(a.0.to_string()));

    // With a deadline and nobody deciding: it expires.
    let deadline = engine.now() + 24 * 3_600_000;
    let (id2, _) = engine
        .start(
            "approval",
            "a2",
            &json!({"deadline": deadline}),
            StartOptions::default(),
        )
        .await
        .expect("start");
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &id2).await, status::WAITING);
    h.advance(Duration::from_secs(24 * 3600));
    engine.drain().await.expect("drain");
    let run = h.store.wf_get(&id2).await.expect("get").expect("run");
    assert_eq!(run.output.as_deref(), Some(r#""expired""#));
    // A late decision changes nothing.
    let (_, set) = engine
        .resolve(&id2, "decision", &"approved", "late")
        .await
        .expect("late");
    assert!(set, "the promise itself was never resolved");
    engine.drain().await.expect("drain");
    assert_eq!(
        h.store
            .wf_get(&id2)
            .await
            .expect("get")
            .expect("run")
            .output
            .as_deref(),
        Some(r#""expired""#),
        "the journaled timeout stands"
    );
}

both!(one_run_per_lock_key_at_a_time);
async fn one_run_per_lock_key_at_a_time(h: &Harness) {
    let engine = h.engine();
    engine.register("conv", |ctx, input: Value| async move {
        ctx.run("first", RetryPolicy::DEFAULT, || async { Ok(()) })
            .await?;
        if input["slow"].as_bool() == Some(true) {
            ctx.sleep("pause", Duration::from_secs(10)).await?;
        }
        ctx.run("second", RetryPolicy::DEFAULT, || async { Ok(()) })
            .await?;
        Ok(json!(null))
    });
    let engine = Arc::new(engine);
    let lock = || StartOptions {
        lock_key: Some("cnv_1".into()),
        ..StartOptions::default()
    };
    let (a, _) = engine
        .start("conv", "m1", &json!({"slow": true}), lock())
        .await
        .expect("a");
    engine.drain().await.expect("drain");
    let (b, _) = engine
        .start("conv", "m2", &json!({}), lock())
        .await
        .expect("b");
    let (other, _) = engine
        .start(
            "conv",
            "m3",
            &json!({}),
            StartOptions {
                lock_key: Some("cnv_2".into()),
                ..StartOptions::default()
            },
        )
        .await
        .expect("other");
    engine.run_due().await.expect("pass");
    assert_eq!(
        status_of(h, &other).await,
        status::COMPLETED,
        "another key is not blocked"
    );
    assert_ne!(
        status_of(h, &b).await,
        status::COMPLETED,
        "same key waits while the first holds it"
    );
    assert!(h.store.wf_steps(&b).await.expect("steps").is_empty());
    h.advance(Duration::from_secs(11));
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &a).await, status::COMPLETED);
    h.advance(Duration::from_secs(1));
    engine.drain().await.expect("drain");
    assert_eq!(status_of(h, &b).await, status::COMPLETED);
}

both!(permanent_failures_are_journaled_and_state_persists);
async fn permanent_failures_are_journaled_and_state_persists(h: &Harness) {
    let calls = Arc::new(AtomicUsize::new(0));
    let engine = h.engine();
    let c = calls.clone();
    engine.register("perm", move |ctx, _input: Value| {
        let c = c.clone();
        async move {
            let seen: i64 = ctx.get_state("seen")?.unwrap_or(0);
            ctx.set_state("seen", &(seen + 1)).await?;
            let r: Result<i64, WfError> = ctx
                .run("refuse", RetryPolicy::DEFAULT, || async {
                    c.fetch_add(1, Ordering::SeqCst);
                    Err(StepError::Permanent("card_declined".into()))
                })
                .await;
            let handled = match r {
                Err(WfError::StepFailed { message, .. }) => message,
                other => format!("unexpected {other:?}"),
            };
            ctx.sleep("then", Duration::from_secs(1)).await?;
            Ok(json!({ "handled": handled, "executions": seen + 1 }))
        }
    });
    let engine = Arc::new(engine);
    let (id, _) = engine
        .start("perm", "p1", &json!({}), StartOptions::default())
        .await
        .expect("start");
    engine.drain().await.expect("drain");
    h.advance(Duration::from_secs(2));
    engine.drain().await.expect("drain");
    let run = h.store.wf_get(&id).await.expect("get").expect("run");
    assert_eq!(run.status, status::COMPLETED);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a permanent failure is journaled, not retried"
    );
    let out: Value = serde_json::from_str(run.output.as_deref().expect("output")).expect("json");
    assert_eq!(out["handled"], "card_declined");
    assert_eq!(out["executions"], 2, "state survived the replay");
}

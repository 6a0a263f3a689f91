//! The embedded engine: starts runs, executes due runs by replay, applies the outcome.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use support_store::workflows::{NEVER, RunOutcome, RunRow, status};
use support_store::{Store, now_ms};

use crate::ctx::{EmbeddedCtx, Fault};
use crate::{Suspension, WfError, WfResult};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type WorkflowFn = Arc<
    dyn Fn(EmbeddedCtx, serde_json::Value) -> BoxFuture<WfResult<serde_json::Value>> + Send + Sync,
>;

#[derive(Clone)]
pub struct EngineConfig {
    /// How long a claimed run is ours before another worker may replay it. Renewed every
    /// third of it while the run executes, so it can be short: after a crash, the run is
    /// picked up again within one lease.
    pub lease_ms: i64,
    /// Runs executed concurrently per pass.
    pub concurrency: i64,
    /// Idle poll interval of [`Engine::run_loop`].
    pub poll: Duration,
    /// Delay before retrying a run whose lock key is held by another run.
    pub lock_retry_ms: i64,
    /// Recovery tests only: `before_step:NAME`, `inside_step:NAME` or `after_step:NAME`
    /// aborts the process at that point.
    pub fault: Option<String>,
    /// Milliseconds since the epoch (tests pin it).
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            lease_ms: 15_000,
            concurrency: 16,
            poll: Duration::from_millis(100),
            lock_retry_ms: 250,
            fault: None,
            clock: Arc::new(now_ms),
        }
    }
}

/// Options for [`Engine::start`].
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Only one run per lock key executes until it finishes (e.g. the conversation id).
    pub lock_key: Option<String>,
    pub trace_id: Option<String>,
    /// Not before this time (epoch ms); now if unset.
    pub run_at: Option<i64>,
}

/// One item of a burst for [`Engine::start_or_join`].
#[derive(Debug, Clone)]
pub struct Burst<'a> {
    pub kind: &'a str,
    /// The key prefix the burst's runs share (e.g. `conv:<id>:`).
    pub group: &'a str,
    /// The item's own key under the prefix.
    pub key: &'a str,
    pub debounce_ms: i64,
    pub throttle_ms: i64,
    pub lock_key: Option<String>,
    pub trace_id: Option<String>,
}

/// What [`Engine::start_or_join`] did with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// A run of its own (new, or started for it earlier).
    Started { run_id: String },
    /// It joined a run that had not started.
    Joined { run_id: String },
}

/// A run as the operator view shows it.
pub type RunInfo = RunRow;

pub struct Engine {
    store: Store,
    config: EngineConfig,
    registry: RwLock<HashMap<String, WorkflowFn>>,
    /// Wakes [`Engine::run_loop`] when something may have become due in this process (a run
    /// started, a promise resolved, a run finished), so it does not wait for the next poll.
    wake: tokio::sync::Notify,
}

impl Engine {
    pub fn new(store: Store, config: EngineConfig) -> Self {
        Self {
            store,
            config,
            registry: RwLock::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> i64 {
        (self.config.clock)()
    }

    /// Registers (or replaces) the workflow function for `kind`.
    pub fn register<F, Fut>(&self, kind: &str, f: F)
    where
        F: Fn(EmbeddedCtx, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = WfResult<serde_json::Value>> + Send + 'static,
    {
        let f = Arc::new(f);
        self.registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                kind.to_owned(),
                Arc::new(move |ctx, input| {
                    let f = f.clone();
                    Box::pin(async move { f(ctx, input).await })
                }),
            );
    }

    /// Starts a run of `kind` under the caller's idempotency `key`: starting the same key
    /// twice returns the first run. Returns `(run_id, created)`.
    pub async fn start(
        &self,
        kind: &str,
        key: &str,
        input: &impl Serialize,
        opts: StartOptions,
    ) -> WfResult<(String, bool)> {
        if !self
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(kind)
        {
            return Err(WfError::missing("workflow registered for kind", kind));
        }
        let input = serde_json::to_string(input).map_err(|e| WfError::codec("run input", e))?;
        let started = self
            .store
            .wf_start(
                kind,
                key,
                &input,
                opts.lock_key.as_deref(),
                opts.trace_id.as_deref(),
                opts.run_at.unwrap_or_else(|| self.now()),
            )
            .await?;
        self.wake.notify_one();
        Ok(started)
    }

    /// The run of `kind` started under `key`, if any.
    pub async fn run_by_key(&self, kind: &str, key: &str) -> WfResult<Option<RunInfo>> {
        Ok(self.store.wf_by_key(kind, key).await?)
    }

    /// Starts a run for one item of a burst, or joins the burst's run that has not started
    /// yet. Runs of a burst share `burst.group` as their key prefix; the item's own key makes a
    /// redelivered item idempotent. A new run starts `debounce_ms` from now, and no sooner than
    /// `throttle_ms` after the group's previous run started.
    ///
    /// `covers(input)` says whether a run's input already includes the item; `join(input)`
    /// adds it.
    pub async fn start_or_join<I>(
        &self,
        burst: Burst<'_>,
        input: I,
        covers: impl Fn(&I) -> bool,
        join: impl FnOnce(&mut I),
    ) -> WfResult<Joined>
    where
        I: Serialize + serde::de::DeserializeOwned,
    {
        if let Some(run) = self.store.wf_by_key(burst.kind, burst.key).await? {
            return Ok(Joined::Started { run_id: run.id });
        }
        let latest = self
            .store
            .wf_latest_with_prefix(burst.kind, burst.group)
            .await?;
        let decode = |raw: &str| {
            serde_json::from_str::<I>(raw)
                .map_err(|e| WfError::codec(format!("input of a {} run", burst.kind), e))
        };
        if let Some(run) = &latest
            && decode(&run.input).is_ok_and(|i| covers(&i))
        {
            return Ok(Joined::Joined {
                run_id: run.id.clone(),
            });
        }
        if let Some(run) = &latest
            && run.status == status::PENDING
            && run.started_at.is_none()
        {
            let mut pending = decode(&run.input)?;
            if !covers(&pending) {
                join(&mut pending);
            }
            let raw =
                serde_json::to_string(&pending).map_err(|e| WfError::codec("run input", e))?;
            // False when the run started meanwhile: then the item gets a run of its own.
            if self.store.wf_update_pending_input(&run.id, &raw).await? {
                return Ok(Joined::Joined {
                    run_id: run.id.clone(),
                });
            }
        }
        let not_before = latest
            .as_ref()
            .map(|r| r.started_at.unwrap_or(r.created_at) + burst.throttle_ms)
            .unwrap_or(i64::MIN);
        let run_at = (self.now() + burst.debounce_ms).max(not_before);
        let (run_id, _) = self
            .start(
                burst.kind,
                burst.key,
                &input,
                StartOptions {
                    lock_key: burst.lock_key,
                    trace_id: burst.trace_id,
                    run_at: Some(run_at),
                },
            )
            .await?;
        Ok(Joined::Started { run_id })
    }

    /// Resolves promise `name` of a run (a human decision, a callback). The first resolution
    /// wins; later ones get the standing value and `false`.
    pub async fn resolve(
        &self,
        run_id: &str,
        name: &str,
        value: &impl Serialize,
        by: &str,
    ) -> WfResult<(serde_json::Value, bool)> {
        let raw = serde_json::to_string(value).map_err(|e| WfError::codec("promise value", e))?;
        let (stands, set) = self
            .store
            .wf_resolve_promise(run_id, name, &raw, by, self.now())
            .await?;
        let v = serde_json::from_str(&stands).map_err(|e| WfError::codec("promise value", e))?;
        self.wake.notify_one();
        Ok((v, set))
    }

    /// Executes every run that is due now, once; returns how many executions happened.
    pub async fn run_due(self: &Arc<Self>) -> WfResult<usize> {
        let runs = self
            .store
            .wf_claim(self.config.concurrency, self.config.lease_ms, self.now())
            .await?;
        let n = runs.len();
        let mut tasks = Vec::with_capacity(n);
        for run in runs {
            let me = self.clone();
            tasks.push(tokio::spawn(async move { me.execute(run).await }));
        }
        for t in tasks {
            match t.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "workflow execution could not be recorded")
                }
                Err(e) => tracing::error!(error = %e, "workflow task panicked"),
            }
        }
        Ok(n)
    }

    /// Runs passes until nothing is due (tests use this instead of sleeping).
    pub async fn drain(self: &Arc<Self>) -> WfResult<usize> {
        let mut total = 0;
        loop {
            let n = self.run_due().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// The background loop, until `shutdown` flips to true; then it waits for the runs it
    /// started. Runs execute continuously up to `concurrency` at a time: a slot freed by a
    /// finished run is filled at once (no waiting for a whole batch), and a run started or a
    /// promise resolved in this process wakes the loop instead of the next poll.
    pub async fn run_loop(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let slots = usize::try_from(self.config.concurrency.max(1)).unwrap_or(1);
        let permits = Arc::new(tokio::sync::Semaphore::new(slots));
        loop {
            let free = permits.available_permits();
            let mut claimed = 0;
            if free > 0 {
                match self
                    .store
                    .wf_claim(free as i64, self.config.lease_ms, self.now())
                    .await
                {
                    Ok(runs) => {
                        claimed = runs.len();
                        for run in runs {
                            let Ok(permit) = permits.clone().acquire_owned().await else {
                                return;
                            };
                            let me = self.clone();
                            tokio::spawn(async move {
                                if let Err(e) = me.execute(run).await {
                                    tracing::error!(error = %e, "workflow execution could not be recorded");
                                }
                                drop(permit);
                                me.wake.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "engine pass failed"),
                }
            }
            // Every free slot was filled: more may be due right away.
            if claimed > 0 && claimed == free {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Let the runs in flight finish their pass (their leases would otherwise hold them
        // until they run out).
        let _ = permits.acquire_many(slots as u32).await;
    }

    async fn execute(&self, run: RunRow) -> WfResult<()> {
        let span = tracing::info_span!("workflow", run_id = %run.id, kind = %run.kind, key = %run.key, attempt = run.attempts);
        let _g = span.enter();
        if let Some(lock) = &run.lock_key
            && !self
                .store
                .wf_try_lock(lock, &run.id, NEVER, self.now())
                .await?
        {
            let at = self.now() + self.config.lock_retry_ms;
            self.store
                .wf_finish(
                    &run.id,
                    &RunOutcome::Later {
                        status: status::PENDING,
                        at,
                        error: None,
                    },
                )
                .await?;
            return Ok(());
        }
        let f = self
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&run.kind)
            .cloned();
        let Some(f) = f else {
            let error = format!("no workflow registered for {:?}", run.kind);
            self.store
                .wf_finish(&run.id, &RunOutcome::Failed { error })
                .await?;
            return Ok(());
        };
        let journal = self.store.wf_journal(&run.id).await?;
        let state = match serde_json::from_str::<serde_json::Value>(&run.state) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        let input: serde_json::Value = match serde_json::from_str(&run.input) {
            Ok(v) => v,
            Err(e) => {
                let error = format!("input does not decode: {e}");
                self.store
                    .wf_finish(&run.id, &RunOutcome::Failed { error })
                    .await?;
                return self.release(&run).await;
            }
        };
        let ctx = EmbeddedCtx::new(
            run.id.clone(),
            self.store.clone(),
            journal,
            state,
            self.config.clock.clone(),
            self.config.fault.as_deref().and_then(Fault::parse),
        );
        let result = {
            let fut = f(ctx, input);
            tokio::pin!(fut);
            let every =
                std::time::Duration::from_millis((self.config.lease_ms / 3).max(100) as u64);
            let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tokio::select! {
                    r = &mut fut => break r,
                    _ = beat.tick() => {
                        if let Err(e) = self.store.wf_renew_lease(&run.id, self.now() + self.config.lease_ms).await {
                            tracing::warn!(error = %e, "could not renew a run's lease");
                        }
                    }
                }
            }
        };
        let outcome = match result {
            Ok(output) => RunOutcome::Completed {
                output: output.to_string(),
            },
            Err(WfError::Suspended(Suspension::Sleep { until })) => RunOutcome::Later {
                status: status::SLEEPING,
                at: until,
                error: None,
            },
            Err(WfError::Suspended(Suspension::Wait { until })) => RunOutcome::Waiting { until },
            Err(WfError::Suspended(Suspension::Retry { step, at, error })) => {
                tracing::warn!(%step, %error, retry_at = at, "step failed; retrying later");
                RunOutcome::Later {
                    status: status::RETRYING,
                    at,
                    error: Some(format!("{step}: {error}")),
                }
            }
            Err(WfError::Suspended(Suspension::Dead { step, error })) => {
                let error = format!("{step}: {error}");
                tracing::error!(%error, "step exhausted its attempts; run dead-lettered");
                self.store
                    .alert(
                        "workflow.dead",
                        &format!("run:{}", run.id),
                        &format!("{} {}: {error}", run.kind, run.key),
                    )
                    .await?;
                RunOutcome::Dead { error }
            }
            Err(
                e @ (WfError::StepFailed { .. } | WfError::Codec { .. } | WfError::Missing { .. }),
            ) => RunOutcome::Failed {
                error: e.to_string(),
            },
            Err(WfError::Store(e)) => {
                tracing::warn!(error = %e, "store unavailable during a run; retrying later");
                RunOutcome::Later {
                    status: status::RETRYING,
                    at: self.now() + 1_000,
                    error: Some(e.to_string()),
                }
            }
        };
        let terminal = matches!(
            outcome,
            RunOutcome::Completed { .. } | RunOutcome::Failed { .. } | RunOutcome::Dead { .. }
        );
        self.store.wf_finish(&run.id, &outcome).await?;
        if terminal {
            self.release(&run).await?;
        }
        Ok(())
    }

    async fn release(&self, run: &RunRow) -> WfResult<()> {
        if let Some(lock) = &run.lock_key {
            self.store.wf_unlock(lock, &run.id).await?;
        }
        Ok(())
    }

    pub async fn get(&self, run_id: &str) -> WfResult<Option<RunInfo>> {
        Ok(self.store.wf_get(run_id).await?)
    }

    /// Puts a dead-lettered run back in the queue with fresh attempt budgets.
    pub async fn retry_dead(&self, run_id: &str) -> WfResult<bool> {
        Ok(self.store.wf_retry_dead(run_id, self.now()).await?)
    }
}

//! The [`Durable`] context and its embedded implementation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use support_store::Store;
use support_store::workflows::NEVER;

use crate::{RetryPolicy, StepError, Suspension, WfError, WfResult};

/// What workflow code may do. Every method is deterministic under replay.
pub trait Durable: Clone + Send + Sync + 'static {
    /// The run's id: what a human decision resolves promises against.
    fn run_id(&self) -> &str;

    /// Runs `f` at most once to success and journals its result; on replay, returns the
    /// journaled result without running `f`. The same name used twice in one run is given
    /// an occurrence suffix (`name#2`), so loops are fine as long as they are deterministic.
    fn run<T, F, Fut>(
        &self,
        name: &str,
        policy: RetryPolicy,
        f: F,
    ) -> impl Future<Output = WfResult<T>> + Send
    where
        T: Serialize + DeserializeOwned + Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, StepError>> + Send;

    /// Durable sleep: survives restarts; the run is parked, not a task.
    fn sleep(&self, name: &str, duration: Duration) -> impl Future<Output = WfResult<()>> + Send;

    /// Waits for the promise `name` of this run. `Ok(None)` if `deadline_ms` passed first.
    fn promise<T: DeserializeOwned + Send>(
        &self,
        name: &str,
        deadline_ms: Option<i64>,
    ) -> impl Future<Output = WfResult<Option<T>>> + Send;

    /// Wall-clock time, journaled so a replay sees the same value.
    fn now_ms(&self, name: &str) -> impl Future<Output = WfResult<i64>> + Send;

    /// Run-scoped state (survives replays and restarts).
    fn get_state<T: DeserializeOwned>(&self, key: &str) -> WfResult<Option<T>>;
    fn set_state<T: Serialize + Sync>(
        &self,
        key: &str,
        value: &T,
    ) -> impl Future<Output = WfResult<()>> + Send;
}

/// A test-only hook that kills the process at a named point (see `EngineConfig::fault`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Before the step body runs.
    Before(String),
    /// The step body ran (its side effect happened) but its result is not journaled.
    Inside(String),
    /// The result is journaled; the run has not moved on.
    After(String),
}

impl Fault {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (kind, step) = s.split_once(':')?;
        match kind {
            "before_step" => Some(Fault::Before(step.into())),
            "inside_step" => Some(Fault::Inside(step.into())),
            "after_step" => Some(Fault::After(step.into())),
            _ => None,
        }
    }
}

fn crash(at: &str) -> ! {
    eprintln!("fault injection: aborting at {at}");
    std::process::abort()
}

struct Inner {
    run_id: String,
    store: Store,
    journal: Mutex<HashMap<String, String>>,
    seen: Mutex<HashMap<String, u32>>,
    state: Mutex<serde_json::Map<String, serde_json::Value>>,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    fault: Option<Fault>,
}

/// The context the embedded engine hands to workflow code.
#[derive(Clone)]
pub struct EmbeddedCtx {
    inner: Arc<Inner>,
}

impl EmbeddedCtx {
    pub(crate) fn new(
        run_id: String,
        store: Store,
        journal: HashMap<String, String>,
        state: serde_json::Map<String, serde_json::Value>,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
        fault: Option<Fault>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                run_id,
                store,
                journal: Mutex::new(journal),
                seen: Mutex::new(HashMap::new()),
                state: Mutex::new(state),
                clock,
                fault,
            }),
        }
    }

    fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// `name`, or `name#n` for its n-th use in this invocation.
    fn key(&self, name: &str) -> String {
        let mut seen = self.inner.seen.lock().unwrap_or_else(|p| p.into_inner());
        let n = seen.entry(name.to_owned()).or_insert(0);
        *n += 1;
        if *n == 1 {
            name.to_owned()
        } else {
            format!("{name}#{n}")
        }
    }

    fn journaled(&self, key: &str) -> Option<String> {
        self.inner
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    async fn record(&self, key: &str, value: &str) -> WfResult<String> {
        let stands = self
            .inner
            .store
            .wf_record_step(&self.inner.run_id, key, value)
            .await?;
        self.inner
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), stands.clone());
        Ok(stands)
    }

    fn fault(&self, f: Fault) {
        if self.inner.fault.as_ref() == Some(&f) {
            crash(&format!("{f:?}"));
        }
    }
}

/// How a step result is journaled.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry<T> {
    Ok(T),
    Err(String),
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum PromiseEntry {
    Resolved(serde_json::Value),
    TimedOut,
}

fn decode<T: DeserializeOwned>(key: &str, raw: &str) -> WfResult<Entry<T>> {
    serde_json::from_str(raw).map_err(|e| WfError::codec(format!("journal entry {key}"), e))
}

fn settle<T>(key: &str, entry: Entry<T>) -> WfResult<T> {
    match entry {
        Entry::Ok(v) => Ok(v),
        Entry::Err(message) => Err(WfError::StepFailed {
            step: key.to_owned(),
            message,
        }),
    }
}

impl Durable for EmbeddedCtx {
    fn run_id(&self) -> &str {
        &self.inner.run_id
    }

    async fn run<T, F, Fut>(&self, name: &str, policy: RetryPolicy, f: F) -> WfResult<T>
    where
        T: Serialize + DeserializeOwned + Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, StepError>> + Send,
    {
        let key = self.key(name);
        if let Some(raw) = self.journaled(&key) {
            return settle(&key, decode(&key, &raw)?);
        }
        self.fault(Fault::Before(key.clone()));
        let outcome = f().await;
        self.fault(Fault::Inside(key.clone()));
        let entry = match outcome {
            Ok(v) => Entry::Ok(v),
            Err(StepError::Permanent(e)) => Entry::Err(crate::error_chain(e.as_ref())),
            Err(StepError::Retryable(e)) => {
                let error = crate::error_chain(e.as_ref());
                let attempts = self
                    .inner
                    .store
                    .wf_step_failed(&self.inner.run_id, &key, &error)
                    .await? as u32;
                if attempts >= policy.max_attempts {
                    return Err(WfError::Suspended(Suspension::Dead { step: key, error }));
                }
                let at = self.now() + policy.delay_after(attempts).as_millis() as i64;
                return Err(WfError::Suspended(Suspension::Retry {
                    step: key,
                    at,
                    error,
                }));
            }
        };
        let raw = serde_json::to_string(&entry)
            .map_err(|e| WfError::codec(format!("step {key} result"), e))?;
        let stands = self.record(&key, &raw).await?;
        self.fault(Fault::After(key.clone()));
        settle(&key, decode(&key, &stands)?)
    }

    async fn sleep(&self, name: &str, duration: Duration) -> WfResult<()> {
        let key = self.key(&format!("sleep:{name}"));
        let wake = match self.journaled(&key) {
            Some(raw) => serde_json::from_str::<i64>(&raw)
                .map_err(|e| WfError::codec(format!("journal entry {key}"), e))?,
            None => {
                let wake = self.now() + duration.as_millis() as i64;
                let stands = self.record(&key, &wake.to_string()).await?;
                stands.parse().unwrap_or(wake)
            }
        };
        if self.now() >= wake {
            Ok(())
        } else {
            Err(WfError::Suspended(Suspension::Sleep { until: wake }))
        }
    }

    async fn promise<T: DeserializeOwned + Send>(
        &self,
        name: &str,
        deadline_ms: Option<i64>,
    ) -> WfResult<Option<T>> {
        let key = self.key(&format!("promise:{name}"));
        // The outcome (value or timeout) is journaled, so a replay cannot flip between them.
        let raw = match self.journaled(&key) {
            Some(raw) => raw,
            None => {
                let outcome = match self
                    .inner
                    .store
                    .wf_promise(&self.inner.run_id, name)
                    .await?
                {
                    Some(value) => {
                        let v: serde_json::Value = serde_json::from_str(&value)
                            .map_err(|e| WfError::codec(format!("promise {name}"), e))?;
                        PromiseEntry::Resolved(v)
                    }
                    None => match deadline_ms {
                        Some(d) if self.now() >= d => PromiseEntry::TimedOut,
                        Some(d) => return Err(WfError::Suspended(Suspension::Wait { until: d })),
                        None => return Err(WfError::Suspended(Suspension::Wait { until: NEVER })),
                    },
                };
                let raw = serde_json::to_string(&outcome)
                    .map_err(|e| WfError::codec(format!("promise {name}"), e))?;
                self.record(&key, &raw).await?
            }
        };
        match serde_json::from_str::<PromiseEntry>(&raw)
            .map_err(|e| WfError::codec(format!("journal entry {key}"), e))?
        {
            PromiseEntry::Resolved(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| WfError::codec(format!("promise {name}"), e)),
            PromiseEntry::TimedOut => Ok(None),
        }
    }

    async fn now_ms(&self, name: &str) -> WfResult<i64> {
        let key = self.key(&format!("now:{name}"));
        if let Some(raw) = self.journaled(&key) {
            // Stored as integer text, which is also a JSON number.
            return serde_json::from_str::<i64>(&raw)
                .map_err(|e| WfError::codec(format!("journal entry {key}"), e));
        }
        let stands = self.record(&key, &self.now().to_string()).await?;
        serde_json::from_str::<i64>(&stands)
            .map_err(|e| WfError::codec(format!("journal entry {key}"), e))
    }

    fn get_state<T: DeserializeOwned>(&self, key: &str) -> WfResult<Option<T>> {
        let state = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .get(key)
            .map(|v| {
                serde_json::from_value(v.clone())
                    .map_err(|e| WfError::codec(format!("state {key}"), e))
            })
            .transpose()
    }

    async fn set_state<T: Serialize + Sync>(&self, key: &str, value: &T) -> WfResult<()> {
        let v =
            serde_json::to_value(value).map_err(|e| WfError::codec(format!("state {key}"), e))?;
        let raw = {
            let mut state = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
            state.insert(key.to_owned(), v);
            serde_json::Value::Object(state.clone()).to_string()
        };
        self.inner
            .store
            .wf_set_state(&self.inner.run_id, &raw)
            .await?;
        Ok(())
    }
}

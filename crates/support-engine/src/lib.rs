//! Durable execution.
//!
//! Workflow code is written against the [`Durable`] context: journaled steps (`run`), durable
//! sleep, durable promises (a workflow waits for a human; anyone holding the run id resolves
//! it, first resolution wins), per-run state, and a deterministic clock. Each primitive maps
//! onto Restate's (`ctx.run`, `ctx.sleep`, awakeables / workflow promises, K/V state), so a
//! Restate adapter can run the same workflow functions; nothing Restate-specific appears in
//! workflow code.
//!
//! The embedded [`Engine`] runs them on the store (SQLite or Postgres) by **replay**: every
//! time a run is scheduled, its function runs from the top, and each step already in the
//! journal returns its recorded result instead of running again. A step that fails is retried
//! with exponential backoff and jitter under its [`RetryPolicy`]; after the last attempt the run
//! is dead-lettered with an alert. Runs may carry a lock key (a conversation): only one run
//! per key executes until it finishes, like a Restate virtual object.

mod ctx;
mod engine;

pub use ctx::{Durable, EmbeddedCtx};
pub use engine::{Burst, Engine, EngineConfig, Joined, RunInfo, StartOptions};

use std::time::Duration;

/// Retry budget of one step. Attempts count across crashes and restarts (they are stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// Front and Slack calls: at most 5 attempts.
    pub const FRONT: Self = Self::new(5);
    pub const SLACK: Self = Self::new(5);
    /// Stripe calls: at most 3 attempts (the idempotency key makes each one safe).
    pub const STRIPE: Self = Self::new(3);
    /// Local work (database, pure logic).
    pub const DEFAULT: Self = Self::new(5);

    pub const fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            initial: Duration::from_millis(500),
            max_delay: Duration::from_secs(300),
        }
    }

    /// Delay before attempt `failed + 1`: exponential from `initial`, capped, with up to 25 %
    /// jitter so a burst of failures does not retry in lockstep.
    pub fn delay_after(&self, failed: u32) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32 << failed.saturating_sub(1).min(16))
            .min(self.max_delay);
        let jitter = base.mul_f64(rand::random::<f64>() * 0.25);
        base + jitter
    }
}

/// The cause a step failed with, kept whole (with its source chain) until it is journaled.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How a step reports failure. Both keep the cause; the journal records its message with
/// every source in the chain (`error_chain`), so a dead-letter entry says what failed and why.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Worth another attempt (network, 5xx, 429, a busy lock).
    #[error(transparent)]
    Retryable(BoxError),
    /// Will not get better: recorded in the journal, so a replay sees the same failure.
    #[error(transparent)]
    Permanent(BoxError),
}

impl StepError {
    pub fn retryable(e: impl Into<BoxError>) -> Self {
        StepError::Retryable(e.into())
    }

    pub fn permanent(e: impl Into<BoxError>) -> Self {
        StepError::Permanent(e.into())
    }
}

/// An error's message followed by each of its sources' (`a: b: c`), skipping a source whose
/// message the outer one already ends with.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let m = s.to_string();
        if !out.ends_with(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        next = s.source();
    }
    out
}

/// Why a workflow invocation stopped before returning. Workflow code propagates these with
/// `?` and only matches [`WfError::StepFailed`] when it wants to handle a failed step.
#[derive(Debug, thiserror::Error)]
pub enum WfError {
    /// The run is parked (sleeping, waiting for a promise, or backing off before a retry).
    #[error("suspended")]
    Suspended(Suspension),
    /// A step failed permanently (or the workflow gave up on it).
    #[error("step {step} failed: {message}")]
    StepFailed { step: String, message: String },
    /// A run's input, a journal entry, a promise or state did not encode or decode.
    #[error("{what}: {source}")]
    Codec {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// What the run needs is not there (no workflow for its kind, its row, its tool).
    #[error("{what} {id} does not exist")]
    Missing { what: &'static str, id: String },
    /// The store could not be reached; the run is retried later.
    #[error(transparent)]
    Store(#[from] support_store::StoreError),
}

/// Internal: what the engine should do with a parked run.
#[derive(Debug)]
pub enum Suspension {
    Sleep {
        until: i64,
    },
    Wait {
        until: i64,
    },
    Retry {
        step: String,
        at: i64,
        error: String,
    },
    Dead {
        step: String,
        error: String,
    },
}

pub type WfResult<T> = Result<T, WfError>;

impl WfError {
    pub fn codec(what: impl Into<String>, source: serde_json::Error) -> Self {
        WfError::Codec {
            what: what.into(),
            source,
        }
    }

    pub fn missing(what: &'static str, id: impl Into<String>) -> Self {
        WfError::Missing {
            what,
            id: id.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::new(10);
        let d1 = p.delay_after(1);
        assert!(d1 >= Duration::from_millis(500) && d1 <= Duration::from_millis(625));
        let d3 = p.delay_after(3);
        assert!(d3 >= Duration::from_secs(2) && d3 <= Duration::from_millis(2500));
        assert!(p.delay_after(40) <= Duration::from_secs(375));
    }
}

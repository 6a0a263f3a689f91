//! Persistence for the embedded durable engine: runs, the step journal, per-step attempts,
//! durable promises, keyed locks and alerts. The engine (`support-engine`) owns the
//! semantics; these functions are the atomic pieces it needs, one behaviour on both backends.

use std::collections::HashMap;

use sqlx::Row;

use crate::{Result, Store, new_id, now_ms, on_pool};

/// Run statuses. `waiting` has no due time (a promise will wake it); `dead` exhausted a
/// step's attempts and needs an operator.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const RUNNING: &str = "running";
    pub const RETRYING: &str = "retrying";
    pub const SLEEPING: &str = "sleeping";
    pub const WAITING: &str = "waiting";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
    pub const DEAD: &str = "dead";
}

/// Far future, for runs that only a promise can wake.
pub const NEVER: i64 = i64::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: String,
    pub kind: String,
    pub key: String,
    pub status: String,
    pub input: String,
    pub state: String,
    pub output: Option<String>,
    pub attempts: i64,
    pub next_run_at: i64,
    pub last_error: Option<String>,
    pub lock_key: Option<String>,
    pub trace_id: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub step: String,
    pub result: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepAttempt {
    pub step: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub created_at: i64,
}

/// How a run's scheduled work ended this time.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Completed {
        output: String,
    },
    Failed {
        error: String,
    },
    Dead {
        error: String,
    },
    /// Runnable again at `at` (sleep, retry, or a lock that was busy).
    Later {
        status: &'static str,
        at: i64,
        error: Option<String>,
    },
    /// Until a promise is resolved (or `until`, a timeout).
    Waiting {
        until: i64,
    },
}

const RUN_COLUMNS: &str = "id, kind, key, status, input, state, output, attempts, next_run_at, last_error, lock_key, trace_id, created_at, started_at, finished_at";

macro_rules! run_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, RunRow {
                id, kind, key, status, input, state, output, attempts, next_run_at, last_error,
                lock_key, trace_id, created_at, started_at, finished_at,
            }
        }
    }};
}

macro_rules! step_attempt_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! { r, StepAttempt { step, attempts, last_error } }
    }};
}

macro_rules! step_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! { r, StepRow { step, result, created_at } }
    }};
}

macro_rules! alert_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! { r, AlertRow { id, kind, subject, message, created_at } }
    }};
}

impl Store {
    /// Starts a run unless one with the same `(kind, key)` exists: idempotent start by a
    /// caller key. Returns the run id and whether it was created now.
    pub async fn wf_start(
        &self,
        kind: &str,
        key: &str,
        input: &str,
        lock_key: Option<&str>,
        trace_id: Option<&str>,
        run_at: i64,
    ) -> Result<(String, bool)> {
        let id = new_id();
        let now = now_ms();
        crate::on_writer!(self, |p| {
            let n = sqlx::query(
                "INSERT INTO workflow_runs (id, kind, key, status, input, state, attempts, next_run_at, lock_key, trace_id, created_at, updated_at)
                 VALUES ($1, $2, $3, 'pending', $4, '{}', 0, $5, $6, $7, $8, $8)
                 ON CONFLICT (kind, key) DO NOTHING",
            )
            .bind(&id)
            .bind(kind)
            .bind(key)
            .bind(input)
            .bind(run_at)
            .bind(lock_key)
            .bind(trace_id)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected();
            if n == 1 {
                return Ok((id, true));
            }
            let existing: String =
                sqlx::query("SELECT id FROM workflow_runs WHERE kind = $1 AND key = $2")
                    .bind(kind)
                    .bind(key)
                    .fetch_one(p)
                    .await?
                    .try_get(0)?;
            Ok((existing, false))
        })
    }

    /// Replaces the input of a run that has not started yet (coalescing). False if it started.
    pub async fn wf_update_pending_input(&self, run_id: &str, input: &str) -> Result<bool> {
        crate::on_writer!(self, |p| {
            let n = sqlx::query(
                "UPDATE workflow_runs SET input = $1, updated_at = $2
                 WHERE id = $3 AND status = 'pending' AND started_at IS NULL AND lease_until IS NULL",
            )
            .bind(input)
            .bind(now_ms())
            .bind(run_id)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// The newest run of `kind` whose key starts with `prefix` (used for per-conversation
    /// throttling).
    pub async fn wf_latest_with_prefix(&self, kind: &str, prefix: &str) -> Result<Option<RunRow>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE kind = $1 AND key LIKE $2 ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        let pattern = format!("{}%", prefix.replace('%', "\\%").replace('_', "\\_"));
        let sql = sqlx::AssertSqlSafe(sql.replace("LIKE $2", "LIKE $2 ESCAPE '\\'"));
        crate::read_row!(self, sql, [kind, &pattern], run_from_row)
    }

    /// Leases up to `limit` runs that are due. A crashed executor's lease expires and the run
    /// is claimed again and replayed from its journal.
    pub async fn wf_claim(&self, limit: i64, lease_ms: i64, now: i64) -> Result<Vec<RunRow>> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE workflow_runs SET lease_until = $1, status = 'running', attempts = attempts + 1,
                    started_at = COALESCE(started_at, $2), updated_at = $2
             WHERE id IN (SELECT id FROM workflow_runs
                          WHERE status IN ('pending', 'running', 'retrying', 'sleeping', 'waiting')
                            AND next_run_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
                          ORDER BY next_run_at, id LIMIT $3{lock})
             RETURNING {RUN_COLUMNS}"
        );
        crate::on_writer!(self, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now + lease_ms)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = crate::map_rows!(rows, run_from_row);
            out.sort_by(|a, b| a.next_run_at.cmp(&b.next_run_at).then(a.id.cmp(&b.id)));
            Ok(out)
        })
    }

    /// Extends the lease of a run this executor holds (a heartbeat while it executes).
    pub async fn wf_renew_lease(&self, run_id: &str, lease_until: i64) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query("UPDATE workflow_runs SET lease_until = $1 WHERE id = $2 AND lease_until IS NOT NULL")
                .bind(lease_until)
                .bind(run_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Takes the exclusive lock for `lock_key` for `run_id` (or renews it). False while
    /// another run holds an unexpired lease on it.
    pub async fn wf_try_lock(
        &self,
        lock_key: &str,
        run_id: &str,
        lease_until: i64,
        now: i64,
    ) -> Result<bool> {
        crate::on_writer!(self, |p| {
            let n = sqlx::query(
                "INSERT INTO workflow_locks (lock_key, run_id, lease_until) VALUES ($1, $2, $3)
                 ON CONFLICT (lock_key) DO UPDATE SET run_id = excluded.run_id, lease_until = excluded.lease_until
                 WHERE workflow_locks.run_id = excluded.run_id OR workflow_locks.lease_until < $4",
            )
            .bind(lock_key)
            .bind(run_id)
            .bind(lease_until)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn wf_unlock(&self, lock_key: &str, run_id: &str) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query("DELETE FROM workflow_locks WHERE lock_key = $1 AND run_id = $2")
                .bind(lock_key)
                .bind(run_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// The journal of completed steps.
    pub async fn wf_journal(&self, run_id: &str) -> Result<HashMap<String, String>> {
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query("SELECT step, result FROM workflow_steps WHERE run_id = $1")
                .bind(run_id)
                .fetch_all(p)
                .await?;
            let mut out = HashMap::with_capacity(rows.len());
            for r in rows {
                out.insert(r.try_get(0)?, r.try_get(1)?);
            }
            Ok(out)
        })
    }

    /// Records a step's result once; a second record of the same step keeps the first
    /// (returned), so a racing replay can never change history.
    pub async fn wf_record_step(&self, run_id: &str, step: &str, result: &str) -> Result<String> {
        crate::on_writer!(self, |p| {
            // One statement in the common case (no earlier record): the writer is shared.
            let inserted = sqlx::query(
                "INSERT INTO workflow_steps (run_id, step, result, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (run_id, step) DO NOTHING RETURNING result",
            )
            .bind(run_id)
            .bind(step)
            .bind(result)
            .bind(now_ms())
            .fetch_optional(p)
            .await?;
            if let Some(row) = inserted {
                return Ok(row.try_get(0)?);
            }
            Ok(
                sqlx::query("SELECT result FROM workflow_steps WHERE run_id = $1 AND step = $2")
                    .bind(run_id)
                    .bind(step)
                    .fetch_one(p)
                    .await?
                    .try_get(0)?,
            )
        })
    }

    /// Counts a failed attempt of a step and returns the attempts so far.
    pub async fn wf_step_failed(&self, run_id: &str, step: &str, error: &str) -> Result<i64> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            sqlx::query(
                "INSERT INTO workflow_step_attempts (run_id, step, attempts, last_error, updated_at) VALUES ($1, $2, 1, $3, $4)
                 ON CONFLICT (run_id, step) DO UPDATE SET attempts = workflow_step_attempts.attempts + 1,
                    last_error = excluded.last_error, updated_at = excluded.updated_at",
            )
            .bind(run_id)
            .bind(step)
            .bind(error)
            .bind(now)
            .execute(p)
            .await?;
            Ok(sqlx::query(
                "SELECT attempts FROM workflow_step_attempts WHERE run_id = $1 AND step = $2",
            )
            .bind(run_id)
            .bind(step)
            .fetch_one(p)
            .await?
            .try_get(0)?)
        })
    }

    pub async fn wf_step_attempts(&self, run_id: &str) -> Result<Vec<StepAttempt>> {
        let sql = "SELECT step, attempts, last_error FROM workflow_step_attempts WHERE run_id = $1 ORDER BY step";
        crate::read_rows!(self, sql, [run_id], step_attempt_from_row)
    }

    /// Saves the run's workflow state (JSON).
    pub async fn wf_set_state(&self, run_id: &str, state: &str) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query("UPDATE workflow_runs SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(state)
                .bind(now_ms())
                .bind(run_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Ends this execution of a run: final, or scheduled again, and releases its lease.
    pub async fn wf_finish(&self, run_id: &str, outcome: &RunOutcome) -> Result<()> {
        let now = now_ms();
        let (status, next, output, error, finished): (
            &str,
            i64,
            Option<&str>,
            Option<&str>,
            Option<i64>,
        ) = match outcome {
            RunOutcome::Completed { output } => {
                (status::COMPLETED, NEVER, Some(output), None, Some(now))
            }
            RunOutcome::Failed { error } => (status::FAILED, NEVER, None, Some(error), Some(now)),
            RunOutcome::Dead { error } => (status::DEAD, NEVER, None, Some(error), Some(now)),
            RunOutcome::Later { status, at, error } => (status, *at, None, error.as_deref(), None),
            RunOutcome::Waiting { until } => (status::WAITING, *until, None, None, None),
        };
        crate::on_writer!(self, |p| {
            sqlx::query(
                "UPDATE workflow_runs SET status = $1, next_run_at = $2, output = COALESCE($3, output),
                        last_error = $4, finished_at = $5, lease_until = NULL, updated_at = $6
                 WHERE id = $7",
            )
            .bind(status)
            .bind(next)
            .bind(output)
            .bind(error)
            .bind(finished)
            .bind(now)
            .bind(run_id)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// A resolved promise's value.
    pub async fn wf_promise(&self, run_id: &str, name: &str) -> Result<Option<String>> {
        on_pool!(self.read_pool(), |p| {
            let row =
                sqlx::query("SELECT value FROM workflow_promises WHERE run_id = $1 AND name = $2")
                    .bind(run_id)
                    .bind(name)
                    .fetch_optional(p)
                    .await?;
            Ok(match row {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            })
        })
    }

    /// Resolves a promise; the first resolution wins and wakes the run. Returns the value
    /// that stands and whether this call set it.
    pub async fn wf_resolve_promise(
        &self,
        run_id: &str,
        name: &str,
        value: &str,
        resolved_by: &str,
        now: i64,
    ) -> Result<(String, bool)> {
        crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO workflow_promises (run_id, name, value, resolved_by, resolved_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id, name) DO NOTHING",
            )
            .bind(run_id)
            .bind(name)
            .bind(value)
            .bind(resolved_by)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "UPDATE workflow_runs SET status = 'pending', next_run_at = $1, updated_at = $1
                     WHERE id = $2 AND status IN ('waiting', 'sleeping')",
                )
                .bind(now)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            }
            let stands: String =
                sqlx::query("SELECT value FROM workflow_promises WHERE run_id = $1 AND name = $2")
                    .bind(run_id)
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            tx.commit().await?;
            Ok((stands, n == 1))
        })
    }

    pub async fn wf_get(&self, run_id: &str) -> Result<Option<RunRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = $1"
        ));
        crate::read_row!(self, sql, [run_id], run_from_row)
    }

    pub async fn wf_by_key(&self, kind: &str, key: &str) -> Result<Option<RunRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE kind = $1 AND key = $2"
        ));
        crate::read_row!(self, sql, [kind, key], run_from_row)
    }

    /// Runs, newest first, optionally of one status.
    pub async fn wf_list(&self, status: Option<&str>, limit: i64) -> Result<Vec<RunRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2"
        ));
        let status = status.unwrap_or("");
        crate::read_rows!(self, sql, [status, limit], run_from_row)
    }

    /// Runs whose trace id is `trace_id`, oldest first.
    pub async fn wf_by_trace(&self, trace_id: &str) -> Result<Vec<RunRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE trace_id = $1 ORDER BY created_at, id"
        ));
        crate::read_rows!(self, sql, [trace_id], run_from_row)
    }

    pub async fn wf_steps(&self, run_id: &str) -> Result<Vec<StepRow>> {
        let sql = "SELECT step, result, created_at FROM workflow_steps WHERE run_id = $1 ORDER BY created_at, step";
        crate::read_rows!(self, sql, [run_id], step_from_row)
    }

    /// Puts a dead run back in the queue with fresh step attempt budgets. False unless dead.
    pub async fn wf_retry_dead(&self, run_id: &str, now: i64) -> Result<bool> {
        crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE workflow_runs SET status = 'pending', next_run_at = $1, finished_at = NULL, updated_at = $1
                 WHERE id = $2 AND status = 'dead'",
            )
            .bind(now)
            .bind(run_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM workflow_step_attempts WHERE run_id = $1")
                    .bind(run_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Runs that are due at `now` and not finished (work a test must not leave behind).
    pub async fn wf_due_count(&self, now: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM workflow_runs WHERE status IN ('pending', 'running', 'retrying', 'sleeping', 'waiting') AND next_run_at <= $1";
        crate::read_value!(self, sql, [now])
    }

    pub async fn alert(&self, kind: &str, subject: &str, message: &str) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(
                "INSERT INTO alerts (id, kind, subject, message, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(kind)
            .bind(subject)
            .bind(message)
            .bind(now_ms())
            .execute(p)
            .await?;
            Ok(())
        })
    }

    pub async fn alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        let sql = "SELECT id, kind, subject, message, created_at FROM alerts ORDER BY created_at DESC, id DESC LIMIT $1";
        crate::read_rows!(self, sql, [limit], alert_from_row)
    }
}

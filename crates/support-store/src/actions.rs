//! The action ledger and approval requests. An action row holds its idempotency key and
//! frozen parameters from the moment it is proposed; every state change is a compare-and-set
//! on the current state and writes its audit entry in the same transaction.

use sqlx::Row;

use crate::audit::audit_from_row;
use crate::{NewAuditEntry, Result, Store, new_id, now_ms};

/// Ledger states.
pub mod state {
    pub const PROPOSED: &str = "proposed";
    pub const APPROVED: &str = "approved";
    pub const EXECUTING: &str = "executing";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
    pub const UNCERTAIN: &str = "uncertain";
    pub const REJECTED: &str = "rejected";
    pub const EXPIRED: &str = "expired";
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub id: String,
    pub app_id: Option<String>,
    pub conversation_id: Option<String>,
    pub kind: String,
    pub state: String,
    pub idempotency_key: String,
    pub params: String,
    pub result: Option<String>,
    pub error: Option<String>,
    pub trace_id: String,
    pub requested_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewAction {
    pub id: String,
    pub app_id: Option<String>,
    pub conversation_id: Option<String>,
    pub kind: String,
    /// Frozen at proposal; retries reuse them exactly.
    pub params: String,
    pub idempotency_key: String,
    pub trace_id: String,
    pub requested_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRow {
    pub id: String,
    pub action_id: String,
    pub status: String,
    pub reason: String,
    pub approvers: Vec<String>,
    pub decided_by: Option<String>,
    pub surface: Option<String>,
    pub decided_at: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// The result of a compare-and-set transition.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Applied(Box<ActionRow>),
    /// The action was not in any of the expected states; nothing changed.
    Refused {
        current: String,
    },
}

const APPROVAL_COLUMNS: &str = "id, action_id, status, reason, approvers, decided_by, surface, decided_at, expires_at, created_at";

const ACTION_COLUMNS: &str = "id, app_id, conversation_id, kind, state, idempotency_key, params, result, error, trace_id, requested_by, created_at, updated_at";

macro_rules! action_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, ActionRow {
                id, app_id, conversation_id, kind, state, idempotency_key, params, result, error,
                trace_id, requested_by, created_at, updated_at,
            }
        }
    }};
}
pub(crate) use action_from_row;

macro_rules! approval_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, ApprovalRow {
                id, action_id, status, reason,
                approvers: crate::json_list(&r.try_get::<String, _>("approvers")?)?, decided_by,
                surface, decided_at, expires_at, created_at,
            }
        }
    }};
}
pub(crate) use approval_from_row;

impl Store {
    /// Writes a proposed action (key and parameters frozen) and its audit entry.
    pub async fn create_action(&self, a: &NewAction, audit: &NewAuditEntry) -> Result<ActionRow> {
        let now = now_ms();
        crate::audited_write!(self, audit, |tx| {
            sqlx::query(
                "INSERT INTO actions (id, app_id, conversation_id, kind, state, idempotency_key, params, trace_id, requested_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7, $8, $9, $9)",
            )
            .bind(&a.id)
            .bind(&a.app_id)
            .bind(&a.conversation_id)
            .bind(&a.kind)
            .bind(&a.idempotency_key)
            .bind(&a.params)
            .bind(&a.trace_id)
            .bind(&a.requested_by)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::apps::conflict(e, format!("action {}", a.id)))?;
        })?;
        self.action(&a.id)
            .await?
            .ok_or_else(|| crate::StoreError::NotFound(format!("action {}", a.id)))
    }

    pub async fn action(&self, id: &str) -> Result<Option<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE id = $1"
        ));
        crate::read_row!(self, sql, [id], action_from_row)
    }

    /// Actions, newest first, optionally in one state.
    pub async fn list_actions(&self, state: Option<&str>, limit: i64) -> Result<Vec<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE ($1 = '' OR state = $1) ORDER BY created_at DESC, id DESC LIMIT $2"
        ));
        let state = state.unwrap_or("");
        crate::read_rows!(self, sql, [state, limit], action_from_row)
    }

    /// Actions of one app and kind whose frozen parameters contain `fragment` (a narrowing
    /// prefilter; callers parse the parameters to confirm), newest first.
    pub async fn actions_with_params_fragment(
        &self,
        app_id: &str,
        kind: &str,
        fragment: &str,
    ) -> Result<Vec<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE app_id = $1 AND kind = $2 AND params LIKE $3 ORDER BY created_at DESC, id DESC"
        ));
        // `_` and `%` in ids only widen the match; the caller confirms on the parsed value.
        let pattern = format!("%{fragment}%");
        crate::read_rows!(self, sql, [app_id, kind, &pattern], action_from_row)
    }

    /// A conversation's actions, oldest first.
    pub async fn actions_for_conversation(&self, conversation_id: &str) -> Result<Vec<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE conversation_id = $1 ORDER BY created_at, id"
        ));
        crate::read_rows!(self, sql, [conversation_id], action_from_row)
    }

    /// Moves an action from one of `from` to `to`, recording `result`/`error`, and writes the
    /// audit entry in the same transaction. Refused (nothing written) from any other state.
    pub async fn transition_action(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        result: Option<&str>,
        error: Option<&str>,
        audit: &NewAuditEntry,
    ) -> Result<Transition> {
        let now = now_ms();
        let backend = self.backend();
        let data = audit.data.to_string();
        let current: Option<String> = crate::on_writer!(self, |p| {
            let mut tx = crate::begin_write!(p, backend);
            let current: Option<String> = sqlx::query("SELECT state FROM actions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            Ok(match current {
                Some(c) if from.contains(&c.as_str()) => {
                    sqlx::query(
                        "UPDATE actions SET state = $1, result = COALESCE($2, result), error = $3, updated_at = $4 WHERE id = $5",
                    )
                    .bind(to)
                    .bind(result)
                    .bind(error)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    crate::audit_in_tx!(backend, tx, audit, &data);
                    tx.commit().await?;
                    None
                }
                Some(c) => Some(c),
                None => Some(String::from("missing")),
            })
        })?;
        match current {
            Some(c) => Ok(Transition::Refused { current: c }),
            None => {
                let row = self
                    .action(id)
                    .await?
                    .ok_or_else(|| crate::StoreError::NotFound(format!("action {id}")))?;
                Ok(Transition::Applied(Box::new(row)))
            }
        }
    }

    /// Opens an approval request for an action (one per action) with its audit entry.
    pub async fn create_approval(
        &self,
        action_id: &str,
        reason: &str,
        approvers: &[String],
        expires_at: i64,
        audit: &NewAuditEntry,
    ) -> Result<ApprovalRow> {
        let now = now_ms();
        let backend = self.backend();
        let data = audit.data.to_string();
        let approvers = serde_json::to_string(approvers)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        crate::on_writer!(self, |p| {
            let mut tx = crate::begin_write!(p, backend);
            let exists = sqlx::query("SELECT 1 FROM approval_requests WHERE action_id = $1")
                .bind(action_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists {
                sqlx::query(
                    "INSERT INTO approval_requests (id, action_id, status, reason, approvers, expires_at, created_at)
                     VALUES ($1, $2, 'pending', $3, $4, $5, $6)",
                )
                .bind(new_id())
                .bind(action_id)
                .bind(reason)
                .bind(&approvers)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                crate::audit_in_tx!(backend, tx, audit, &data);
            }
            tx.commit().await?;
            Ok(())
        })?;
        self.approval_for(action_id)
            .await?
            .ok_or_else(|| crate::StoreError::NotFound(format!("approval for {action_id}")))
    }

    pub async fn approval_for(&self, action_id: &str) -> Result<Option<ApprovalRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} FROM approval_requests WHERE action_id = $1"
        ));
        crate::read_row!(self, sql, [action_id], approval_from_row)
    }

    /// Approval requests, newest first, optionally of one status.
    pub async fn list_approvals(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ApprovalRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} FROM approval_requests
             WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2"
        ));
        let status = status.unwrap_or("");
        crate::read_rows!(self, sql, [status, limit], approval_from_row)
    }

    /// Records the decision on a pending approval (compare-and-set on `pending`).
    pub async fn decide_approval(
        &self,
        action_id: &str,
        status: &str,
        decided_by: &str,
        surface: &str,
        decided_at: i64,
    ) -> Result<bool> {
        crate::on_writer!(self, |p| {
            let n = sqlx::query(
                "UPDATE approval_requests SET status = $1, decided_by = $2, surface = $3, decided_at = $4
                 WHERE action_id = $5 AND status = 'pending'",
            )
            .bind(status)
            .bind(decided_by)
            .bind(surface)
            .bind(decided_at)
            .bind(action_id)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Audit entries that name `trace_id`, oldest first.
    pub async fn audit_by_trace(&self, trace_id: &str) -> Result<Vec<crate::AuditEntry>> {
        let sql = "SELECT seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash FROM audit_entries WHERE trace_id = $1 ORDER BY seq";
        crate::read_rows!(self, sql, [trace_id], audit_from_row)
    }
}

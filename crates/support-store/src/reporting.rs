//! Read models for the operator's command line (`skill history`, `logs`, `metrics`,
//! `export`) and the one write it adds: an action proposed under a caller's reference
//! (`client_ref`), so a bulk run that is interrupted and started again finds the actions it
//! already proposed instead of proposing them twice.

use sqlx::Row;

use crate::actions::{ActionRow, ApprovalRow, NewAction, action_from_row, approval_from_row};
use crate::audit::audit_from_row;
use crate::decisions::{DECISION_COLUMNS, DecisionRow, decision_from_row};
use crate::{AuditEntry, NewAuditEntry, Result, Store, StoreError, now_ms, on_pool};

const ACTION_COLUMNS: &str = "a.id, a.app_id, a.conversation_id, a.kind, a.state, a.idempotency_key, a.params, a.result, a.error, a.trace_id, a.requested_by, a.created_at, a.updated_at";

macro_rules! conversation_summary {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, ConversationSummary {
                id, front_conversation_id, subject, customer_email, status, created_at, updated_at,
                message_count, last_message_at,
            }
        }
    }};
}

/// A conversation of one app, with when its newest message was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSummary {
    pub id: String,
    pub front_conversation_id: String,
    pub subject: String,
    pub customer_email: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.front_conversation_id, c.subject, c.customer_email, c.status, c.created_at, c.updated_at,
        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
        (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id) AS last_message_at
 FROM conversations c";

impl Store {
    /// Writes a proposed action carrying the caller's reference. A reference that is already
    /// taken is a [`StoreError::Conflict`] and writes nothing; the caller then reads the
    /// existing action with [`Store::action_by_client_ref`].
    pub async fn create_action_with_ref(
        &self,
        a: &NewAction,
        client_ref: &str,
        audit: &NewAuditEntry,
    ) -> Result<ActionRow> {
        let now = now_ms();
        crate::audited_write!(self, audit, |tx| {
            sqlx::query(
                "INSERT INTO actions (id, app_id, conversation_id, kind, state, idempotency_key, params, trace_id, requested_by, client_ref, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(&a.id)
            .bind(&a.app_id)
            .bind(&a.conversation_id)
            .bind(&a.kind)
            .bind(&a.idempotency_key)
            .bind(&a.params)
            .bind(&a.trace_id)
            .bind(&a.requested_by)
            .bind(client_ref)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::apps::conflict(e, format!("action with reference {client_ref}")))?;
        })?;
        self.action(&a.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("action {}", a.id)))
    }

    /// The action proposed under `client_ref`, if any.
    pub async fn action_by_client_ref(&self, client_ref: &str) -> Result<Option<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions a WHERE a.client_ref = $1"
        ));
        crate::read_row!(self, sql, [client_ref], action_from_row)
    }

    /// The reference an action was proposed under, if any.
    pub async fn action_client_ref(&self, action_id: &str) -> Result<Option<String>> {
        on_pool!(self.read_pool(), |p| {
            let row = sqlx::query("SELECT client_ref FROM actions WHERE id = $1")
                .bind(action_id)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => r.try_get(0)?,
                None => None,
            })
        })
    }

    /// One app's conversations with a customer (email compared case-insensitively), most
    /// recently updated first.
    pub async fn customer_conversations(
        &self,
        app_id: &str,
        email: &str,
        limit: i64,
    ) -> Result<Vec<ConversationSummary>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SUMMARY_SELECT} WHERE c.app_id = $1 AND LOWER(c.customer_email) = LOWER($2)
             ORDER BY c.updated_at DESC, c.id DESC LIMIT $3"
        ));
        crate::read_rows!(self, sql, [app_id, email, limit], conversation_summary)
    }

    /// One app's conversations updated at or after `since`, oldest update first, after the
    /// `(updated_at, id)` cursor when given (keyset pagination).
    pub async fn app_conversations_since(
        &self,
        app_id: &str,
        since: i64,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<ConversationSummary>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SUMMARY_SELECT} WHERE c.app_id = $1 AND c.updated_at >= $2
               AND (c.updated_at > $3 OR (c.updated_at = $3 AND c.id > $4))
             ORDER BY c.updated_at, c.id LIMIT $5"
        ));
        let (after_t, after_id) = after.unwrap_or((i64::MIN, ""));
        crate::read_rows!(
            self,
            sql,
            [app_id, since, after_t, after_id, limit],
            conversation_summary
        )
    }

    /// How many of one app's conversations were created in `[since, until)`.
    pub async fn app_conversations_created(
        &self,
        app_id: &str,
        since: i64,
        until: i64,
    ) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM conversations WHERE app_id = $1 AND created_at >= $2 AND created_at < $3";
        crate::read_value!(self, sql, [app_id, since, until])
    }

    /// Decisions on one app's conversations made in `[since, until)`, oldest first.
    pub async fn app_decisions_between(
        &self,
        app_id: &str,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<DecisionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DECISION_COLUMNS}
             FROM decisions d JOIN conversations c ON c.id = d.conversation_id
             WHERE c.app_id = $1 AND d.created_at >= $2 AND d.created_at < $3
             ORDER BY d.created_at, d.id LIMIT $4"
        ));
        crate::read_rows!(self, sql, [app_id, since, until, limit], decision_from_row)
    }

    /// One app's actions proposed in `[since, until)`, oldest first.
    pub async fn app_actions_between(
        &self,
        app_id: &str,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<ActionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM actions a WHERE a.app_id = $1 AND a.created_at >= $2 AND a.created_at < $3
             ORDER BY a.created_at, a.id LIMIT $4"
        ));
        crate::read_rows!(self, sql, [app_id, since, until, limit], action_from_row)
    }

    /// Approval requests on one app's actions opened in `[since, until)`, oldest first.
    pub async fn app_approvals_between(
        &self,
        app_id: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<ApprovalRow>> {
        let sql = "SELECT r.id, r.action_id, r.status, r.reason, r.approvers, r.decided_by, r.surface, r.decided_at, r.expires_at, r.created_at
                 FROM approval_requests r JOIN actions a ON a.id = r.action_id
                 WHERE a.app_id = $1 AND r.created_at >= $2 AND r.created_at < $3
                 ORDER BY r.created_at, r.id";
        crate::read_rows!(self, sql, [app_id, since, until], approval_from_row)
    }

    /// Audit entries about one app since `since`, oldest first: entries whose subject is the
    /// app, one of its conversations or one of its actions, or whose trace one of its
    /// actions or decisions carries.
    pub async fn app_audit_since(
        &self,
        app_id: &str,
        app_slug: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let sql = "SELECT e.seq, e.id, e.at, e.actor, e.action, e.subject, e.trace_id, e.data, e.prev_hash, e.hash
                 FROM audit_entries e
                 WHERE e.at >= $1 AND (
                    e.subject = $2
                    OR e.subject IN (SELECT 'conversation:' || c.id FROM conversations c WHERE c.app_id = $3)
                    OR e.subject IN (SELECT 'action:' || a.id FROM actions a WHERE a.app_id = $3)
                    OR e.trace_id IN (SELECT a.trace_id FROM actions a WHERE a.app_id = $3)
                    OR e.trace_id IN (SELECT d.trace_id FROM decisions d JOIN conversations c ON c.id = d.conversation_id WHERE c.app_id = $3)
                 )
                 ORDER BY e.seq LIMIT $4";
        let subject = format!("app:{app_slug}");
        crate::read_rows!(self, sql, [since, &subject, app_id, limit], audit_from_row)
    }
}

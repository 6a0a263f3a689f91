//! Decisions: what the brain proposed and how routing and policy disposed, per inbound run,
//! recorded with the audit entry that describes them in one transaction.

use crate::{NewAuditEntry, Result, Store, now_ms};

#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub id: String,
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub category: String,
    pub routing: String,
    /// JSON array.
    pub signals: String,
    pub confidence: f64,
    /// JSON array.
    pub proposed_actions: String,
    pub brain: String,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub policy_version: Option<String>,
    pub trace_id: String,
    /// SHA-256 (hex) of everything the brain saw.
    pub inputs_hash: Option<String>,
    /// From the run's start to the decision.
    pub latency_ms: Option<i64>,
    /// The draft validator's verdict (JSON), when there was a draft.
    pub validation: Option<String>,
    /// What went into the context (JSON: message ids, snippet ids and scores, tokens).
    pub context: Option<String>,
    /// Retrieved snippets (JSON array of `{id, score}`).
    pub retrieved: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    pub id: String,
    pub conversation_id: String,
    pub category: String,
    pub routing: String,
    pub confidence: f64,
    /// JSON array of the proposals with their policy verdicts.
    pub proposed_actions: String,
    pub brain: String,
    pub trace_id: String,
    pub created_at: i64,
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub policy_version: Option<String>,
    pub inputs_hash: Option<String>,
    pub latency_ms: Option<i64>,
    pub validation: Option<String>,
    pub context: Option<String>,
    pub retrieved: String,
    pub signals: String,
}

/// Every column of a [`DecisionRow`], for a query aliasing `decisions` as `d`.
pub(crate) const DECISION_COLUMNS: &str = "d.id, d.conversation_id, d.category, d.routing, d.confidence, d.brain, d.trace_id, d.created_at, d.proposed_actions, \
     d.model, d.prompt_version, d.policy_version, d.inputs_hash, d.latency_ms, d.validation, d.context, d.retrieved, d.signals";

/// Maps a row selected with [`DECISION_COLUMNS`].
macro_rules! decision_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, DecisionRow {
                id, conversation_id, category, routing, confidence, brain, trace_id, created_at,
                proposed_actions, model, prompt_version, policy_version, inputs_hash, latency_ms,
                validation, context, retrieved, signals,
            }
        }
    }};
}
pub(crate) use decision_from_row;

impl Store {
    /// Records a decision once (by id) with its audit entry.
    pub async fn record_decision(&self, d: &NewDecision, audit: &NewAuditEntry) -> Result<()> {
        let backend = self.backend();
        let data = audit.data.to_string();
        crate::on_writer!(self, |p| {
            let mut tx = crate::begin_write!(p, backend);
            let n = sqlx::query(
                "INSERT INTO decisions (id, conversation_id, message_id, category, routing, signals, confidence, proposed_actions, brain, model, prompt_version, policy_version, trace_id, created_at, inputs_hash, latency_ms, validation, context, retrieved)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&d.id)
            .bind(&d.conversation_id)
            .bind(&d.message_id)
            .bind(&d.category)
            .bind(&d.routing)
            .bind(&d.signals)
            .bind(d.confidence)
            .bind(&d.proposed_actions)
            .bind(&d.brain)
            .bind(&d.model)
            .bind(&d.prompt_version)
            .bind(&d.policy_version)
            .bind(&d.trace_id)
            .bind(now_ms())
            .bind(&d.inputs_hash)
            .bind(d.latency_ms)
            .bind(&d.validation)
            .bind(&d.context)
            .bind(&d.retrieved)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                crate::audit_in_tx!(backend, tx, audit, &data);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A conversation's decisions, oldest first.
    pub async fn decisions_for(&self, conversation_id: &str) -> Result<Vec<DecisionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM decisions d WHERE d.conversation_id = $1 ORDER BY d.created_at, d.id",
            DECISION_COLUMNS
        ));
        crate::read_rows!(self, sql, [conversation_id], decision_from_row)
    }
}

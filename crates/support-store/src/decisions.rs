//! Decisions: what the brain proposed and how routing and policy disposed, per inbound run,
//! recorded with the audit entry that describes them in one transaction.

use sqlx::Row;

use crate::{NewAuditEntry, Result, Store, now_ms, on_pool};

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

impl Store {
    /// Records a decision once (by id) with its audit entry.
    pub async fn record_decision(&self, d: &NewDecision, audit: &NewAuditEntry) -> Result<()> {
        let backend = self.backend();
        let data = audit.data.to_string();
        on_pool!(self.pool(), |p| {
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
        });
        Ok(())
    }

    /// A conversation's decisions, oldest first.
    pub async fn decisions_for(&self, conversation_id: &str) -> Result<Vec<DecisionRow>> {
        on_pool!(self.pool(), |p| {
            let rows = sqlx::query(
                "SELECT id, conversation_id, category, routing, confidence, brain, trace_id, created_at, proposed_actions,
                        model, prompt_version, policy_version, inputs_hash, latency_ms, validation, context, retrieved, signals
                 FROM decisions WHERE conversation_id = $1 ORDER BY created_at, id",
            )
            .bind(conversation_id)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DecisionRow {
                    id: r.try_get(0)?,
                    conversation_id: r.try_get(1)?,
                    category: r.try_get(2)?,
                    routing: r.try_get(3)?,
                    confidence: r.try_get(4)?,
                    brain: r.try_get(5)?,
                    trace_id: r.try_get(6)?,
                    created_at: r.try_get(7)?,
                    proposed_actions: r.try_get(8)?,
                    model: r.try_get(9)?,
                    prompt_version: r.try_get(10)?,
                    policy_version: r.try_get(11)?,
                    inputs_hash: r.try_get(12)?,
                    latency_ms: r.try_get(13)?,
                    validation: r.try_get(14)?,
                    context: r.try_get(15)?,
                    retrieved: r.try_get(16)?,
                    signals: r.try_get(17)?,
                });
            }
            Ok(out)
        })
    }
}

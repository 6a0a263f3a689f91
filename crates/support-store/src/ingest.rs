//! Inbound events and the transactional outbox. An event and the outbox row that makes it
//! processed are written in one transaction, under a unique `(source, dedupe_key)`, so a
//! delivery is stored exactly once and never acknowledged without being queued.

use sqlx::Row;

use crate::{Result, Store, new_id, now_ms, on_pool};

/// A verified inbound event in its versioned envelope.
#[derive(Debug, Clone)]
pub struct NewInboundEvent {
    /// `front`, `stripe`, `slack`, `app:<slug>`.
    pub source: String,
    /// The provider's delivery or event id.
    pub dedupe_key: String,
    pub version: i64,
    pub event_type: String,
    pub occurred_at: i64,
    /// `verified`, or `low` for schemes without a timestamp (Front rule webhooks).
    pub trust: String,
    pub payload: String,
}

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Stored and queued under this event id.
    Stored { event_id: String },
    /// Seen before: nothing written.
    Duplicate,
}

/// A stored event as operators see it (no payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSummary {
    pub id: String,
    pub source: String,
    pub dedupe_key: String,
    pub event_type: String,
    pub trust: String,
    pub received_at: i64,
    /// `queued`, `done`, or `parked` (failed for good; needs an operator).
    pub state: String,
}

/// A claimed unit of queued work.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: String,
    pub topic: String,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

macro_rules! inbound_summary_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, InboundSummary {
                id, source, dedupe_key, event_type, trust, received_at, state,
            }
        }
    }};
}

macro_rules! outbox_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! { r, OutboxItem { id, topic, key, payload, attempts } }
    }};
}

impl Store {
    /// Stores the event and its outbox row in one transaction; a repeated delivery is
    /// reported as [`Inbound::Duplicate`] and writes nothing.
    pub async fn record_inbound(&self, ev: &NewInboundEvent, topic: &str) -> Result<Inbound> {
        let mut out = self
            .record_inbound_batch(&[(ev.clone(), topic.to_owned())])
            .await?;
        out.pop()
            .ok_or_else(|| crate::StoreError::Corrupt("empty batch result".into()))
    }

    /// Group commit: stores many deliveries in one transaction (one fsync), each with its own
    /// outcome in order. Two copies of one delivery in the same batch store it once. If the
    /// transaction fails, nothing is stored and every caller gets the error.
    pub async fn record_inbound_batch(
        &self,
        batch: &[(NewInboundEvent, String)],
    ) -> Result<Vec<Inbound>> {
        self.record_inbound_batch_hooked(batch, &|| {}).await
    }

    /// [`Store::record_inbound_batch`] calling `before_commit` with every row written and the
    /// transaction still open (crash tests inject faults there).
    pub async fn record_inbound_batch_hooked(
        &self,
        batch: &[(NewInboundEvent, String)],
        before_commit: &(dyn Fn() + Sync),
    ) -> Result<Vec<Inbound>> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            let mut out = Vec::with_capacity(batch.len());
            for (ev, topic) in batch {
                let event_id = new_id();
                let inserted = sqlx::query(
                    "INSERT INTO inbound_events (id, source, dedupe_key, version, event_type, occurred_at, received_at, trust, payload)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (source, dedupe_key) DO NOTHING",
                )
                .bind(&event_id)
                .bind(&ev.source)
                .bind(&ev.dedupe_key)
                .bind(ev.version)
                .bind(&ev.event_type)
                .bind(ev.occurred_at)
                .bind(now)
                .bind(&ev.trust)
                .bind(&ev.payload)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    out.push(Inbound::Duplicate);
                    continue;
                }
                sqlx::query(
                    "INSERT INTO outbox (id, topic, key, payload, created_at, available_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(new_id())
                .bind(topic)
                .bind(&event_id)
                .bind(&event_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                out.push(Inbound::Stored { event_id });
            }
            before_commit();
            tx.commit().await?;
            Ok(out)
        })
    }

    /// How many events from `source` were stored, and how many outbox rows point at them
    /// (equal unless something was queued twice).
    pub async fn inbound_counts(&self, source: &str) -> Result<(i64, i64)> {
        on_pool!(self.read_pool(), |p| {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM inbound_events WHERE source = $1),
                        (SELECT COUNT(*) FROM outbox o JOIN inbound_events e ON e.id = o.key WHERE e.source = $1)",
            )
            .bind(source)
            .fetch_one(p)
            .await?;
            Ok((r.try_get(0)?, r.try_get(1)?))
        })
    }

    /// When the newest stored event from `source` occurred (epoch ms), if there is one: where
    /// reconciliation of missed webhooks starts looking.
    pub async fn latest_inbound_at(&self, source: &str) -> Result<Option<i64>> {
        let sql = "SELECT MAX(occurred_at) FROM inbound_events WHERE source = $1";
        crate::read_value!(self, sql, [source])
    }

    /// The newest stored events, newest first, with their processing state.
    pub async fn list_inbound(&self, limit: i64) -> Result<Vec<InboundSummary>> {
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query(
                "SELECT e.id, e.source, e.dedupe_key, e.event_type, e.trust, e.received_at,
                        CASE WHEN o.done_at IS NOT NULL THEN 'done'
                             WHEN o.available_at = $2 THEN 'parked'
                             ELSE 'queued' END AS state
                 FROM inbound_events e LEFT JOIN outbox o ON o.key = e.id
                 ORDER BY e.received_at DESC, e.id DESC LIMIT $1",
            )
            .bind(limit)
            .bind(i64::MAX)
            .fetch_all(p)
            .await?;
            Ok(crate::map_rows!(rows, inbound_summary_from_row))
        })
    }

    /// The dedupe keys stored for `source` (tests and crash checks).
    pub async fn inbound_dedupe_keys(&self, source: &str) -> Result<Vec<String>> {
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query("SELECT dedupe_key FROM inbound_events WHERE source = $1")
                .bind(source)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(r.try_get(0)?);
            }
            Ok(out)
        })
    }

    /// The raw payload of a stored event.
    pub async fn inbound_payload(&self, event_id: &str) -> Result<Option<(String, String)>> {
        on_pool!(self.read_pool(), |p| {
            let row = sqlx::query("SELECT event_type, payload FROM inbound_events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            })
        })
    }

    /// Leases up to `limit` due outbox rows for `lease_ms`. A crashed worker's lease runs
    /// out and the row is claimed again: delivery is at-least-once, so handlers must be
    /// idempotent. Postgres uses `FOR UPDATE SKIP LOCKED`; SQLite has a single writer.
    pub async fn claim_outbox(&self, limit: i64, lease_ms: i64) -> Result<Vec<OutboxItem>> {
        let now = now_ms();
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox
                          WHERE done_at IS NULL AND available_at <= $2
                            AND (lease_until IS NULL OR lease_until < $2)
                          ORDER BY created_at, id LIMIT $3{lock})
             RETURNING id, topic, key, payload, attempts"
        );
        crate::on_writer!(self, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now + lease_ms)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = crate::map_rows!(rows, outbox_from_row);
            out.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(out)
        })
    }

    pub async fn complete_outbox(&self, id: &str) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(
                "UPDATE outbox SET done_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
            )
            .bind(now_ms())
            .bind(id)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Releases a failed row to be retried at `retry_at`, keeping the error for operators.
    pub async fn fail_outbox(&self, id: &str, error: &str, retry_at: i64) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(
                "UPDATE outbox SET lease_until = NULL, available_at = $1, last_error = $2 WHERE id = $3",
            )
            .bind(retry_at)
            .bind(error)
            .bind(id)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Rows not yet done, due or not.
    pub async fn outbox_pending(&self) -> Result<i64> {
        crate::read_value!(
            self,
            "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL",
            []
        )
    }
}

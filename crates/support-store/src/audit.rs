//! The append-only, hash-chained audit log. There is deliberately no update or delete in
//! this module (and triggers refuse them in the database): each entry's hash covers the
//! previous entry's hash, so editing or removing any row breaks every later link.

use sha2::{Digest, Sha256};

use crate::{Result, Store, StoreError};

/// The hash the first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// `system`, `user:<email>`, `app:<slug>`…
    pub actor: String,
    /// A dotted verb: `user.created`, `app.registered`, `message.received`.
    pub action: String,
    /// What it happened to (`app:first-app`, a conversation id…).
    pub subject: String,
    pub trace_id: Option<String>,
    /// Structured detail, as JSON.
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub trace_id: Option<String>,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
/// SHA-256 over the length-prefixed fields, so no two different entries serialise alike.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    trace_id: Option<&str>,
    data: &str,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let at = at.to_string();
    for field in [
        prev_hash,
        &seq,
        &at,
        actor,
        action,
        subject,
        trace_id.unwrap_or(""),
        data,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

const MAX_ATTEMPTS: usize = 20;

/// Maps a row of `seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash`.
macro_rules! audit_from_row {
    ($row:expr) => {{
        let r = $row;
        $crate::from_columns! {
            r, $crate::AuditEntry {
                seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash,
            }
        }
    }};
}
pub(crate) use audit_from_row;

/// Begins a write transaction that will not be refused half-way: `BEGIN IMMEDIATE` on SQLite
/// (takes the write lock up front, waiting under `busy_timeout`), a plain `BEGIN` on Postgres.
#[macro_export]
#[doc(hidden)]
macro_rules! begin_write {
    ($p:expr, $backend:expr) => {
        if $backend == $crate::Backend::Sqlite {
            $p.begin_with("BEGIN IMMEDIATE").await?
        } else {
            $p.begin().await?
        }
    };
}

/// Appends an audit entry inside the caller's transaction, so the entry and the state change
/// it describes commit together. On Postgres an advisory lock serialises appenders (the chain
/// has one head); on SQLite the write transaction already does.
#[macro_export]
#[doc(hidden)]
macro_rules! audit_in_tx {
    ($backend:expr, $tx:expr, $e:expr, $data:expr) => {{
        use $crate::sqlx::Row as _;
        let e: &$crate::NewAuditEntry = $e;
        let data: &str = $data;
        if $backend == $crate::Backend::Postgres {
            $crate::sqlx::query("SELECT pg_advisory_xact_lock(727001)")
                .execute(&mut *$tx)
                .await?;
        }
        let head = $crate::sqlx::query("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *$tx)
            .await?;
        let (prev_seq, prev_hash) = match head {
            Some(r) => (r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?),
            None => (0, $crate::audit::GENESIS.to_owned()),
        };
        let seq = prev_seq + 1;
        let at = $crate::now_ms();
        let id = $crate::new_id();
        let hash = $crate::audit::entry_hash(
            &prev_hash,
            seq,
            at,
            &e.actor,
            &e.action,
            &e.subject,
            e.trace_id.as_deref(),
            data,
        );
        $crate::sqlx::query(
            "INSERT INTO audit_entries (seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(&id)
        .bind(at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(&e.trace_id)
        .bind(data)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        $crate::AuditEntry {
            seq,
            id,
            at,
            actor: e.actor.clone(),
            action: e.action.clone(),
            subject: e.subject.clone(),
            trace_id: e.trace_id.clone(),
            data: data.to_owned(),
            prev_hash,
            hash,
        }
    }};
}

/// A write that appends `$audit` in the same transaction, after `$body` has run with the
/// transaction open as `$tx`: the change and the entry describing it commit together.
/// Evaluates to the body's value once committed and durable.
#[macro_export]
#[doc(hidden)]
macro_rules! audited_write {
    ($store:expr, $audit:expr, |$tx:ident| $body:block) => {{
        let store: &$crate::Store = $store;
        let audit: &$crate::NewAuditEntry = $audit;
        let backend = store.backend();
        let data = audit.data.to_string();
        $crate::on_writer!(store, |p| {
            let mut $tx = $crate::begin_write!(p, backend);
            let out = $body;
            $crate::audit_in_tx!(backend, $tx, audit, &data);
            $tx.commit().await?;
            Ok(out)
        })
    }};
}

impl Store {
    /// Appends an entry at the head of the chain. Two concurrent writers race for the same
    /// `seq` (the primary key); the loser re-reads the head and tries again.
    pub async fn append_audit(&self, e: &NewAuditEntry) -> Result<AuditEntry> {
        let data = e.data.to_string();
        let mut last_err = None;
        for attempt in 0..MAX_ATTEMPTS {
            match self.try_append_audit(e, &data).await {
                Ok(entry) => return Ok(entry),
                Err(err) if is_retryable(&err) => {
                    last_err = Some(err);
                    tokio::time::sleep(std::time::Duration::from_millis(2 << attempt.min(6))).await;
                }
                Err(err) => return Err(err),
            }
        }
        Err(last_err.unwrap_or_else(|| StoreError::Corrupt("audit append retries".into())))
    }

    async fn try_append_audit(&self, e: &NewAuditEntry, data: &str) -> Result<AuditEntry> {
        let backend = self.backend();
        crate::on_writer!(self, |p| {
            let mut tx = crate::begin_write!(p, backend);
            let entry = crate::audit_in_tx!(backend, tx, e, data);
            tx.commit().await?;
            Ok(entry)
        })
    }

    /// The newest `limit` entries, newest first.
    pub async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let mut out = self.audit_range(None, limit).await?;
        out.reverse();
        Ok(out)
    }

    /// Entries with `seq > after`, oldest first.
    async fn audit_range(&self, after: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        let (sql, bound) = match after {
            Some(a) => (
                "SELECT seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2",
                a,
            ),
            None => (
                "SELECT * FROM (SELECT seq, id, at, actor, action, subject, trace_id, data, prev_hash, hash FROM audit_entries WHERE seq > $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq",
                i64::MIN,
            ),
        };
        crate::read_rows!(self, sql, [bound, limit], audit_from_row)
    }

    /// Walks the whole chain. Returns the number of entries and the first `seq` whose hash or
    /// link does not hold, if any.
    pub async fn verify_audit(&self) -> Result<(i64, Option<i64>)> {
        let mut prev_hash = GENESIS.to_owned();
        let mut prev_seq = 0;
        let mut count = 0;
        loop {
            let page = self.audit_range(Some(prev_seq), 1000).await?;
            if page.is_empty() {
                return Ok((count, None));
            }
            for e in page {
                let expect = entry_hash(
                    &prev_hash,
                    e.seq,
                    e.at,
                    &e.actor,
                    &e.action,
                    &e.subject,
                    e.trace_id.as_deref(),
                    &e.data,
                );
                if e.seq != prev_seq + 1 || e.prev_hash != prev_hash || e.hash != expect {
                    return Ok((count, Some(e.seq)));
                }
                count += 1;
                prev_seq = e.seq;
                prev_hash = e.hash;
            }
        }
    }
}

fn is_retryable(err: &StoreError) -> bool {
    match err {
        StoreError::Database(sqlx::Error::Database(db)) => {
            db.is_unique_violation()
                // SQLite: database is locked / busy while another writer holds the lock.
                || matches!(db.code().as_deref(), Some("5") | Some("517") | Some("6"))
        }
        _ => false,
    }
}

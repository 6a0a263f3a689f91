//! Persistence on SQLite (the embedded default) or Postgres (scale-out), chosen by the URL.
//!
//! Every query is written once with `$N` placeholders, which both sqlx drivers accept; the
//! [`on_pool!`] macro expands a body once per backend so the same code is type-checked against
//! each driver. Ids are TEXT (UUIDv7), times INTEGER epoch milliseconds, JSON is TEXT. Only
//! DDL differs, so each backend has its own migration folder (see [`migrate`]).

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub mod actions;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod conversations;
pub mod decisions;
mod durability;
pub mod indexing;
pub mod ingest;
pub mod migrate;
pub mod reporting;
pub mod secrets;
pub mod status;
pub mod stripe;
pub mod testdb;
pub mod workflows;

pub use apps::{App, NewApp};
pub use audit::{AuditEntry, NewAuditEntry};
pub use auth::User;
pub use conversations::{Conversation, Message, NewMessage};
pub use indexing::IndexRebuild;
pub use ingest::{Inbound, InboundSummary, NewInboundEvent, OutboxItem};
pub use secrets::{NewSecret, StoredSecret};
pub use sqlx;

/// The two backends. Concrete pools rather than `sqlx::Any`, so each driver keeps its own
/// types and error codes.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands `$body` once per backend with `$p` bound to the concrete pool.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}

/// A write: `$body` on the writer pool (as [`on_pool!`]), then waits until the commit is
/// durable ([`Store::durable`]). The body runs in an `async` block, so an early `return`
/// in it still passes through the wait.
#[macro_export]
#[doc(hidden)]
macro_rules! on_writer {
    ($store:expr, |$p:ident| $body:expr) => {{
        let store = $store;
        let r = async { $crate::on_pool!(store.pool(), |$p| $body) }.await;
        store.durable(r).await
    }};
}

/// Maps fetched rows with a row-conversion macro (which may use `?`).
#[macro_export]
#[doc(hidden)]
macro_rules! map_rows {
    ($rows:expr, $from_row:ident) => {{
        let rows = $rows;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push($from_row!(r));
        }
        out
    }};
}

/// Maps an optional row with a row-conversion macro.
#[macro_export]
#[doc(hidden)]
macro_rules! map_row {
    ($row:expr, $from_row:ident) => {
        match $row {
            Some(r) => Some($from_row!(r)),
            None => None,
        }
    };
}

/// Builds the struct `$ty` from `$row`, each field read from the column of the same name,
/// unless given as `field: expr` (a column that needs decoding; `expr` may use `$row`).
#[macro_export]
#[doc(hidden)]
macro_rules! from_columns {
    ($row:ident, $ty:path { $($field:ident $(: $val:expr)?),* $(,)? }) => {{
        use $crate::sqlx::Row as _;
        $ty { $($field: $crate::from_columns!(@get $row, $field $(, $val)?)),* }
    }};
    (@get $row:ident, $field:ident) => {
        $row.try_get(stringify!($field))?
    };
    (@get $row:ident, $field:ident, $val:expr) => {
        $val
    };
}

/// A plain read on the read pool: every row of `$sql` (the `$arg`s bound in order), mapped
/// with a row-conversion macro.
#[macro_export]
#[doc(hidden)]
macro_rules! read_rows {
    ($store:expr, $sql:expr, [$($arg:expr),* $(,)?], $from_row:ident) => {
        $crate::read_rows!(@fetch $store, $sql, [$($arg),*], fetch_all, |rows| {
            $crate::map_rows!(rows, $from_row)
        })
    };
    (@fetch $store:expr, $sql:expr, [$($arg:expr),*], $fetch:ident, |$r:ident| $map:block) => {
        $crate::on_pool!($store.read_pool(), |p| {
            let $r = $crate::sqlx::query($sql)$(.bind($arg))*.$fetch(p).await?;
            Ok($map)
        })
    };
}

/// [`read_rows!`] for at most one row.
#[macro_export]
#[doc(hidden)]
macro_rules! read_row {
    ($store:expr, $sql:expr, [$($arg:expr),* $(,)?], $from_row:ident) => {
        $crate::read_rows!(@fetch $store, $sql, [$($arg),*], fetch_optional, |row| {
            $crate::map_row!(row, $from_row)
        })
    };
}

/// [`read_rows!`] for the first column of exactly one row (a count, a maximum).
#[macro_export]
#[doc(hidden)]
macro_rules! read_value {
    ($store:expr, $sql:expr, [$($arg:expr),* $(,)?]) => {
        $crate::read_rows!(@fetch $store, $sql, [$($arg),*], fetch_one, |row| {
            $crate::sqlx::Row::try_get(&row, 0)?
        })
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("could not create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: String,
        source: sqlx::Error,
    },
    #[error(
        "migration {version} was applied with a different checksum; the database was migrated by another build"
    )]
    MigrationChecksum { version: i64 },
    #[error("database schema {found} is newer than this build ({expected}); upgrade skill")]
    SchemaTooNew { found: i64, expected: i64 },
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A commit could not be made durable (the write-ahead log could not be synced).
    #[error("could not sync the database log: {0}")]
    Durability(String),
}

impl StoreError {
    /// True for a unique-constraint violation on either backend.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The handle every repository hangs off. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Every write, and reads that belong to one (on SQLite: one connection, see `connect`).
    pool: Pool,
    /// Plain reads (on Postgres the same pool).
    read: Pool,
    /// SQLite file only: the group commit every write waits for (see [`durability`]).
    wal: Option<std::sync::Arc<durability::WalSync>>,
}

/// Which engine a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl Store {
    /// Opens a pool for `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`). For SQLite
    /// the file and its directory are created, WAL is on and `synchronous=FULL`.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(opts)
                .await?;
            return Ok(Self {
                read: Pool::Postgres(pool.clone()),
                pool: Pool::Postgres(pool),
                wal: None,
            });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let memory = path.is_empty() || path.starts_with(":memory:");
            let mut opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // NORMAL: no fsync inside the write lock. Every write then waits for a shared
                // sync of the log (`durability`), so an acknowledged commit still survives
                // power loss, not only a process kill.
                .synchronous(SqliteSynchronous::Normal);
            if !memory {
                let file = path.split('?').next().unwrap_or(path);
                if let Some(dir) = Path::new(file)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                opts = opts.journal_mode(SqliteJournalMode::Wal);
            }
            let wal = if memory {
                None
            } else {
                let file = std::path::absolute(opts.get_filename()).map_err(|e| {
                    StoreError::Durability(format!(
                        "{}: cannot resolve the database path: {e}",
                        opts.get_filename().display()
                    ))
                })?;
                Some(std::sync::Arc::new(durability::WalSync::new(file)))
            };
            // SQLite has one writer. Writers wait for it here, in the pool's fair queue, on
            // one connection, instead of in SQLite's busy handler, which sleeps in growing
            // steps (up to 100 ms) while the lock may already be free: with four writing
            // connections `skill bench draft` at 50/s waited most of its p95 there. Reads
            // go to their own connections and, under WAL, never wait for the writer.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await?;
            // An in-memory database exists once per connection: it has only the one.
            let read = if memory {
                pool.clone()
            } else {
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?
            };
            return Ok(Self {
                pool: Pool::Sqlite(pool),
                read: Pool::Sqlite(read),
                wal,
            });
        }
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    /// The pool for writes (and for reads inside a write).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Returns `r` once what the caller committed is durable: on a SQLite file, after a
    /// sync of the log shared with every writer that committed meanwhile; on Postgres the
    /// commit already was.
    pub(crate) async fn durable<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_ok()
            && let Some(wal) = &self.wal
        {
            wal.sync().await?;
        }
        r
    }

    /// Log syncs performed so far (SQLite file; `None` elsewhere).
    pub fn wal_syncs(&self) -> Option<u64> {
        self.wal.as_ref().map(|w| w.syncs())
    }

    /// The pool for plain reads: on SQLite, connections that never queue behind the writer.
    pub fn read_pool(&self) -> &Pool {
        &self.read
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The locking clause of a claim's subquery: on Postgres concurrent claimers skip each
    /// other's rows; SQLite has one writer and no such clause.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(&self.pool, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(&self.read, |p| p.close().await);
        on_pool!(&self.pool, |p| p.close().await)
    }
}

/// Wall-clock milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn json_list(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("json list: {e}")))
}

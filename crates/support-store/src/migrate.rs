//! Embedded, forward-only migrations, one folder per backend. Our own small runner instead
//! of `sqlx::migrate!` (which needs sqlx's proc macros and doubles the build): each file runs
//! in a transaction together with its `schema_migrations` row, so a crash mid-migration leaves
//! the previous version intact.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store, StoreError, now_ms};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sqlite: include_str!("../migrations/sqlite/0001_core.sql"),
        postgres: include_str!("../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "app_secrets",
        sqlite: include_str!("../migrations/sqlite/0002_app_secrets.sql"),
        postgres: include_str!("../migrations/postgres/0002_app_secrets.sql"),
    },
    Migration {
        version: 3,
        name: "engine",
        sqlite: include_str!("../migrations/sqlite/0003_engine.sql"),
        postgres: include_str!("../migrations/postgres/0003_engine.sql"),
    },
    Migration {
        version: 4,
        name: "stripe_connect",
        sqlite: include_str!("../migrations/sqlite/0004_stripe_connect.sql"),
        postgres: include_str!("../migrations/postgres/0004_stripe_connect.sql"),
    },
    Migration {
        version: 5,
        name: "decision_record",
        sqlite: include_str!("../migrations/sqlite/0005_decision_record.sql"),
        postgres: include_str!("../migrations/postgres/0005_decision_record.sql"),
    },
    Migration {
        version: 6,
        name: "client_ref",
        sqlite: include_str!("../migrations/sqlite/0006_client_ref.sql"),
        postgres: include_str!("../migrations/postgres/0006_client_ref.sql"),
    },
    Migration {
        version: 7,
        name: "indexing",
        sqlite: include_str!("../migrations/sqlite/0007_indexing.sql"),
        postgres: include_str!("../migrations/postgres/0007_indexing.sql"),
    },
];

/// The schema version this build expects.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

impl Store {
    /// Applies every migration not yet recorded. Refuses a database migrated by a newer
    /// build or whose recorded checksum differs from the embedded file.
    pub async fn migrate(&self) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(CREATE_TABLE).execute(p).await?;
            let rows = sqlx::query("SELECT version, checksum FROM schema_migrations")
                .fetch_all(p)
                .await?;
            let mut applied = Vec::new();
            for row in rows {
                applied.push((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?));
            }
            if let Some(max) = applied.iter().map(|(v, _)| *v).max()
                && max > latest_version()
            {
                return Err(StoreError::SchemaTooNew {
                    found: max,
                    expected: latest_version(),
                });
            }
            for m in MIGRATIONS {
                let sql = match self.backend() {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
                if let Some((_, c)) = applied.iter().find(|(v, _)| *v == m.version) {
                    if *c != checksum {
                        return Err(StoreError::MigrationChecksum { version: m.version });
                    }
                    continue;
                }
                let fail = |source| StoreError::Migration {
                    version: m.version,
                    name: m.name.to_owned(),
                    source,
                };
                let mut tx = p.begin().await?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(&checksum)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
            }
            Ok(())
        })
    }

    /// The highest applied migration, or 0 on an empty database.
    pub async fn schema_version(&self) -> Result<i64> {
        crate::on_writer!(self, |p| {
            let exists = match self.backend() {
                crate::Backend::Sqlite => sqlx::query(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                )
                .fetch_optional(p)
                .await?
                .is_some(),
                crate::Backend::Postgres => sqlx::query(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
                )
                .fetch_optional(p)
                .await?
                .is_some(),
            };
            if !exists {
                return Ok(0);
            }
            let v: Option<i64> = sqlx::query("SELECT MAX(version) FROM schema_migrations")
                .fetch_one(p)
                .await?
                .try_get(0)?;
            Ok(v.unwrap_or(0))
        })
    }
}

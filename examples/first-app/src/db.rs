//! The app's own SQLite: opening it and the schema. The platform never touches this file; it
//! only sees what the support route chooses to answer.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Every table, created if missing, so starting on an existing file is a no-op. Timestamps are
/// unix seconds because refund windows are computed to the second.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    price_cents  INTEGER NOT NULL,
    currency     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS purchases (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id),
    product_id        TEXT NOT NULL REFERENCES products(id),
    amount_cents      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    purchased_at      INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'refunded', 'transferred')),
    stripe_charge_id  TEXT
);
CREATE INDEX IF NOT EXISTS purchases_by_user ON purchases (user_id, purchased_at);

CREATE TABLE IF NOT EXISTS subscriptions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(id),
    product_id          TEXT NOT NULL REFERENCES products(id),
    status              TEXT NOT NULL,
    current_period_end  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS seats (
    id                  TEXT PRIMARY KEY,
    bulk_coupon_id      TEXT NOT NULL,
    purchase_id         TEXT NOT NULL REFERENCES purchases(id),
    claimed_by_user_id  TEXT REFERENCES users(id)
);

-- `generateMagicLink`: only the SHA-256 of each token is stored, so a copy of the database
-- cannot sign anyone in. Single use: `used_at` is set when the link is followed.
CREATE TABLE IF NOT EXISTS magic_links (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
);

-- Browser sessions started by a magic link; the cookie holds the token, this the hash.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- `revokeAccess`: the refund behind each revoked purchase, so a repeat with the same refund
-- id is recognised. Separate tables rather than new columns, so existing files need no
-- migration.
CREATE TABLE IF NOT EXISTS revocations (
    purchase_id  TEXT PRIMARY KEY REFERENCES purchases(id),
    refund_id    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    revoked_at   INTEGER NOT NULL
);

-- `transferPurchase`: the original purchase becomes `transferred` and the recipient gets a
-- new active one; this row links them so a repeated transfer answers the same result.
CREATE TABLE IF NOT EXISTS transfers (
    purchase_id      TEXT PRIMARY KEY REFERENCES purchases(id),
    new_purchase_id  TEXT NOT NULL REFERENCES purchases(id),
    from_user_id     TEXT NOT NULL REFERENCES users(id),
    to_user_id       TEXT NOT NULL REFERENCES users(id),
    transferred_at   INTEGER NOT NULL
);
"#;

/// Opens (creating if needed) the SQLite file in WAL mode, so the HTML page and the support
/// route can read while a write is in progress.
pub(crate) async fn open(path: &Path) -> anyhow::Result<SqlitePool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating database directory {}", dir.display()))?;
    }
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(opts)
        .await
        .with_context(|| format!("opening SQLite database {}", path.display()))?;
    sqlx::raw_sql(SCHEMA)
        .execute(&pool)
        .await
        .context("creating tables")?;
    Ok(pool)
}

/// True when nobody has been created yet: the only state in which `start` seeds.
pub(crate) async fn is_empty(pool: &SqlitePool) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
        .context("counting users")?;
    Ok(n == 0)
}

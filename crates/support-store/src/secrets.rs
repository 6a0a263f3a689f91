//! Sealed (envelope-encrypted) app secrets. The store only ever sees ciphertext, the wrapped
//! data key and the id of the master key that wrapped it; sealing and opening happen in
//! `support-secrets`. A rotated secret stays live until its `retired_at` (the grace period).

use sqlx::Row;

use crate::{Result, Store, now_ms, on_pool};

/// A sealed secret ready to insert. `id` and `version` are chosen by the caller because both
/// are bound into the encryption's associated data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecret {
    pub id: String,
    pub purpose: String,
    pub version: i64,
    pub key_id: String,
    pub wrapped_dek: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub id: String,
    pub app_id: String,
    pub purpose: String,
    pub version: i64,
    pub key_id: String,
    pub wrapped_dek: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: i64,
    /// End of the grace period after a rotation; `None` for the current secret.
    pub retired_at: Option<i64>,
}

const COLUMNS: &str =
    "id, app_id, purpose, version, key_id, wrapped_dek, nonce, ciphertext, created_at, retired_at";

macro_rules! secret_from_row {
    ($row:expr) => {{
        let row = $row;
        StoredSecret {
            id: row.try_get("id")?,
            app_id: row.try_get("app_id")?,
            purpose: row.try_get("purpose")?,
            version: row.try_get("version")?,
            key_id: row.try_get("key_id")?,
            wrapped_dek: row.try_get("wrapped_dek")?,
            nonce: row.try_get("nonce")?,
            ciphertext: row.try_get("ciphertext")?,
            created_at: row.try_get("created_at")?,
            retired_at: row.try_get("retired_at")?,
        }
    }};
}

pub(crate) const INSERT_SECRET: &str = "INSERT INTO app_secrets (id, app_id, purpose, version, key_id, wrapped_dek, nonce, ciphertext, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

impl Store {
    /// Secrets of `purpose` that verify at `now`: the current one and any still in grace,
    /// newest first.
    pub async fn live_secrets(
        &self,
        app_id: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Vec<StoredSecret>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM app_secrets WHERE app_id = $1 AND purpose = $2
             AND (retired_at IS NULL OR retired_at > $3) ORDER BY version DESC"
        );
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(app_id)
                .bind(purpose)
                .bind(now)
                .fetch_all(p)
                .await?;
            Ok(crate::map_rows!(rows, secret_from_row))
        })
    }

    /// The highest version of `purpose` ever stored for the app (0 if none).
    pub async fn latest_secret_version(&self, app_id: &str, purpose: &str) -> Result<i64> {
        crate::on_writer!(self, |p| {
            let v: Option<i64> = sqlx::query(
                "SELECT MAX(version) FROM app_secrets WHERE app_id = $1 AND purpose = $2",
            )
            .bind(app_id)
            .bind(purpose)
            .fetch_one(p)
            .await?
            .try_get(0)?;
            Ok(v.unwrap_or(0))
        })
    }

    /// Makes `new` the current secret and lets every live older one expire at `grace_until`
    /// (never later than it was already due to), in one transaction. `new.version` must be
    /// above every stored version; a concurrent rotation loses on the unique version.
    pub async fn rotate_secret(
        &self,
        app_id: &str,
        new: &NewSecret,
        grace_until: i64,
    ) -> Result<()> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE app_secrets SET retired_at = $1
                 WHERE app_id = $2 AND purpose = $3 AND (retired_at IS NULL OR retired_at > $1)",
            )
            .bind(grace_until)
            .bind(app_id)
            .bind(&new.purpose)
            .execute(&mut *tx)
            .await?;
            sqlx::query(INSERT_SECRET)
                .bind(&new.id)
                .bind(app_id)
                .bind(&new.purpose)
                .bind(new.version)
                .bind(&new.key_id)
                .bind(&new.wrapped_dek)
                .bind(&new.nonce)
                .bind(&new.ciphertext)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::apps::conflict(e, format!("secret version {}", new.version)))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every stored secret (for re-wrapping under a new master key).
    pub async fn all_secrets(&self) -> Result<Vec<StoredSecret>> {
        let sql = format!("SELECT {COLUMNS} FROM app_secrets ORDER BY id");
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            Ok(crate::map_rows!(rows, secret_from_row))
        })
    }

    /// Replaces a secret's wrapped data key (master key rotation). The ciphertext is untouched;
    /// `expect_key_id` guards against racing another re-wrap.
    pub async fn rewrap_secret(
        &self,
        id: &str,
        expect_key_id: &str,
        key_id: &str,
        wrapped_dek: &[u8],
    ) -> Result<bool> {
        crate::on_writer!(self, |p| {
            let n = sqlx::query(
                "UPDATE app_secrets SET key_id = $1, wrapped_dek = $2 WHERE id = $3 AND key_id = $4",
            )
            .bind(key_id)
            .bind(wrapped_dek)
            .bind(id)
            .bind(expect_key_id)
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// How many secrets are still wrapped under `key_id`.
    pub async fn secrets_under_key(&self, key_id: &str) -> Result<i64> {
        on_pool!(self.read_pool(), |p| Ok(sqlx::query(
            "SELECT COUNT(*) FROM app_secrets WHERE key_id = $1"
        )
        .bind(key_id)
        .fetch_one(p)
        .await?
        .try_get(0)?))
    }
}

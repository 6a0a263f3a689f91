//! Sealed (envelope-encrypted) app secrets. The store only ever sees ciphertext, the wrapped
//! data key and the id of the master key that wrapped it; sealing and opening happen in
//! `support-secrets`. A rotated secret stays live until its `retired_at` (the grace period).

use sqlx::Row;

use crate::{Result, Store, now_ms};

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
        crate::from_columns! {
            row, StoredSecret {
                id, app_id, purpose, version, key_id, wrapped_dek, nonce, ciphertext, created_at,
                retired_at,
            }
        }
    }};
}

pub(crate) const INSERT_SECRET: &str = "INSERT INTO app_secrets (id, app_id, purpose, version, key_id, wrapped_dek, nonce, ciphertext, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Inserts the sealed `$secret` for `$app_id` in the transaction `$tx`; evaluates to the
/// statement's result, so each caller names its own conflict.
macro_rules! insert_secret {
    ($tx:ident, $app_id:expr, $secret:expr, $now:expr) => {{
        let s: &$crate::NewSecret = $secret;
        sqlx::query($crate::secrets::INSERT_SECRET)
            .bind(&s.id)
            .bind($app_id)
            .bind(&s.purpose)
            .bind(s.version)
            .bind(&s.key_id)
            .bind(&s.wrapped_dek)
            .bind(&s.nonce)
            .bind(&s.ciphertext)
            .bind($now)
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use insert_secret;

/// Lets every live secret of `$purpose` expire at `$at`, never later than it already would.
macro_rules! retire_secrets {
    ($tx:ident, $app_id:expr, $purpose:expr, $at:expr) => {
        sqlx::query(
            "UPDATE app_secrets SET retired_at = $1
             WHERE app_id = $2 AND purpose = $3 AND (retired_at IS NULL OR retired_at > $1)",
        )
        .bind($at)
        .bind($app_id)
        .bind($purpose)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use retire_secrets;

impl Store {
    /// Secrets of `purpose` that verify at `now`: the current one and any still in grace,
    /// newest first.
    pub async fn live_secrets(
        &self,
        app_id: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Vec<StoredSecret>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM app_secrets WHERE app_id = $1 AND purpose = $2
             AND (retired_at IS NULL OR retired_at > $3) ORDER BY version DESC"
        ));
        crate::read_rows!(self, sql, [app_id, purpose, now], secret_from_row)
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
            retire_secrets!(tx, app_id, &new.purpose, grace_until);
            insert_secret!(tx, app_id, new, now)
                .map_err(|e| crate::apps::conflict(e, format!("secret version {}", new.version)))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every stored secret (for re-wrapping under a new master key).
    pub async fn all_secrets(&self) -> Result<Vec<StoredSecret>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM app_secrets ORDER BY id"));
        crate::read_rows!(self, sql, [], secret_from_row)
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
        let sql = "SELECT COUNT(*) FROM app_secrets WHERE key_id = $1";
        crate::read_value!(self, sql, [key_id])
    }
}

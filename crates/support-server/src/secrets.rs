//! App signing secrets: generated, sealed with envelope encryption, rotated with a grace
//! period, and opened (with a short cache) to verify product apps' requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support_secrets::{Keyring, Sealed, SecretContext};
use support_store::{App, NewSecret, Store, StoredSecret, new_id};
use zeroize::Zeroizing;

pub const PURPOSE_SIGNING: &str = "webhook_signing";
const PROVIDER_APP: &str = "app";
/// How long opened secrets are reused before the database is asked again (so a rotation by
/// another process is seen within this time).
const CACHE_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(transparent)]
    Store(#[from] support_store::StoreError),
    #[error("a stored secret could not be opened: {0}")]
    Open(String),
}

struct Cached {
    fetched: Instant,
    /// (retired_at, plaintext), newest first.
    secrets: Vec<(Option<i64>, Zeroizing<Vec<u8>>)>,
}

pub struct AppSecrets {
    keyring: Arc<Keyring>,
    store: Store,
    cache: Mutex<HashMap<String, Arc<Cached>>>,
}

fn context<'a>(
    app_id: &'a str,
    purpose: &'a str,
    record_id: &'a str,
    version: i64,
) -> SecretContext<'a> {
    SecretContext {
        app_id,
        provider: PROVIDER_APP,
        purpose,
        record_id,
        version,
    }
}

impl AppSecrets {
    pub fn new(keyring: Arc<Keyring>, store: Store) -> Self {
        Self {
            keyring,
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// A fresh 256-bit signing secret sealed for `app_id` at `version`, and its plaintext
    /// (shown to the operator once, never stored in the clear).
    pub fn generate(&self, app_id: &str, version: i64) -> Result<(NewSecret, String), SecretError> {
        let plaintext = support_secrets::generate_signing_secret();
        let sealed = self.seal(app_id, version, &plaintext)?;
        Ok((sealed, plaintext))
    }

    /// Seals a given secret value (used when an operator supplies one, e.g. during a migration
    /// from another system).
    pub fn seal(
        &self,
        app_id: &str,
        version: i64,
        plaintext: &str,
    ) -> Result<NewSecret, SecretError> {
        self.seal_purpose(app_id, PURPOSE_SIGNING, version, plaintext)
    }

    /// Seals `plaintext` as the app's secret of `purpose` at `version` (e.g. the Stripe
    /// Connect tokens under `stripe_connect`). Purpose and version are bound into the
    /// encryption, so a row cannot be replayed under another purpose.
    pub fn seal_purpose(
        &self,
        app_id: &str,
        purpose: &str,
        version: i64,
        plaintext: &str,
    ) -> Result<NewSecret, SecretError> {
        let id = new_id();
        let sealed = self
            .keyring
            .seal(
                &context(app_id, purpose, &id, version),
                plaintext.as_bytes(),
            )
            .map_err(|e| SecretError::Open(e.to_string()))?;
        Ok(NewSecret {
            id,
            purpose: purpose.into(),
            version,
            key_id: sealed.key_id,
            wrapped_dek: sealed.wrapped_dek,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
        })
    }

    /// Rotates the app's signing secret: the new one is current at once, the old one keeps
    /// verifying until `grace_until`.
    pub async fn rotate(
        &self,
        app: &App,
        supplied: Option<&str>,
        grace_until: i64,
    ) -> Result<String, SecretError> {
        let version = self
            .store
            .latest_secret_version(&app.id, PURPOSE_SIGNING)
            .await?
            + 1;
        let (sealed, plaintext) = match supplied {
            Some(p) => (self.seal(&app.id, version, p)?, p.to_owned()),
            None => self.generate(&app.id, version)?,
        };
        self.store
            .rotate_secret(&app.id, &sealed, grace_until)
            .await?;
        self.invalidate(&app.id);
        Ok(plaintext)
    }

    pub fn invalidate(&self, app_id: &str) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(app_id);
        }
    }

    /// The app's signing secrets that verify at `now_ms`, current first.
    pub async fn signing_secrets(
        &self,
        app_id: &str,
        now_ms: i64,
    ) -> Result<Vec<Zeroizing<Vec<u8>>>, SecretError> {
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(app_id).cloned())
            .filter(|c| c.fetched.elapsed() < CACHE_TTL);
        let entry = match cached {
            Some(c) => c,
            None => {
                // Everything not yet expired by wall time; the grace check below uses `now_ms`.
                let rows = self
                    .store
                    .live_secrets(app_id, PURPOSE_SIGNING, i64::MIN)
                    .await?;
                let entry = Arc::new(Cached {
                    fetched: Instant::now(),
                    secrets: rows
                        .iter()
                        .map(|r| Ok((r.retired_at, self.open(r)?)))
                        .collect::<Result<_, SecretError>>()?,
                });
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(app_id.to_owned(), entry.clone());
                }
                entry
            }
        };
        Ok(entry
            .secrets
            .iter()
            .filter(|(retired_at, _)| retired_at.is_none_or(|r| r > now_ms))
            .map(|(_, s)| s.clone())
            .collect())
    }

    /// Opens a stored secret of any purpose (logged to the security log).
    pub fn open(&self, row: &StoredSecret) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        tracing::info!(target: "security", app_id = %row.app_id, purpose = %row.purpose, version = row.version, key_id = %row.key_id, "decrypted app secret");
        self.keyring
            .open(
                &context(&row.app_id, &row.purpose, &row.id, row.version),
                &sealed(row),
            )
            .map_err(|e| SecretError::Open(e.to_string()))
    }
}

fn sealed(row: &StoredSecret) -> Sealed {
    Sealed {
        key_id: row.key_id.clone(),
        wrapped_dek: row.wrapped_dek.clone(),
        nonce: row.nonce.clone(),
        ciphertext: row.ciphertext.clone(),
    }
}

/// Re-wraps every stored secret's data key under the keyring's current master key (the
/// secrets themselves are not re-encrypted). Returns (re-wrapped, already current).
pub async fn rewrap_all(store: &Store, keyring: &Keyring) -> Result<(usize, usize), SecretError> {
    let current = keyring.current_id().to_owned();
    let (mut moved, mut already) = (0, 0);
    for row in store.all_secrets().await? {
        if row.key_id == current {
            already += 1;
            continue;
        }
        let ctx = SecretContext {
            app_id: &row.app_id,
            provider: PROVIDER_APP,
            purpose: &row.purpose,
            record_id: &row.id,
            version: row.version,
        };
        let new = keyring
            .rewrap(&ctx, &sealed(&row))
            .map_err(|e| SecretError::Open(format!("secret {}: {e}", row.id)))?;
        if store
            .rewrap_secret(&row.id, &row.key_id, &new.key_id, &new.wrapped_dek)
            .await?
        {
            moved += 1;
        }
    }
    Ok((moved, already))
}

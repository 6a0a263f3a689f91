//! Envelope encryption for the third-party secrets the platform stores (app signing secrets,
//! Front/Slack/Stripe tokens, OAuth tokens), and the master-key file.
//!
//! Every [`Keyring::seal`] makes a fresh random 256-bit data key (DEK), encrypts the secret
//! with it (AES-256-GCM, random 96-bit nonce), and wraps the DEK with the current master key
//! (AES-256-GCM again, its own random nonce). The store keeps the four parts of [`Sealed`] in
//! the `app_secrets` row. This crate does no database work.
//!
//! # Associated data (persisted format, version 1)
//!
//! Fields are length-prefixed so that no two different contexts encode to the same bytes:
//!
//! ```text
//! data AAD = 0x01                                   (format version, 1 byte)
//!          ‖ lp(app_id) ‖ lp(provider) ‖ lp(purpose) ‖ lp(record_id)
//!          ‖ version as i64, 8 bytes big-endian
//! wrap AAD = data AAD ‖ lp(key_id)
//! lp(s)    = len(s) as u64, 8 bytes big-endian ‖ UTF-8 bytes of s
//! ```
//!
//! The master key id is deliberately **not** in the data AAD, so re-wrapping a DEK under a
//! new master key ([`Keyring::rewrap`]) leaves `nonce` and `ciphertext` untouched. It **is** in
//! the wrap AAD, so a wrapped DEK can't be relabelled with another key id, and because the
//! wrap AAD also contains the whole data AAD a wrapped DEK can't be moved to another record.
//!
//! `wrapped_dek` = wrap nonce (12 bytes) ‖ AES-256-GCM(master key, DEK) (32 bytes) ‖ tag (16
//! bytes), 60 bytes in all. `ciphertext` = AES-256-GCM(DEK, secret) ‖ tag (16 bytes).
//!
//! # Master-key file
//!
//! See [`Keyring::load`]: one `mk-<n> <base64 32 bytes>` per line, oldest first, the last line
//! is the current key, `#` comments, mode 0600.

mod keyfile;

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::TryRngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

/// Version byte at the start of the associated data.
const FORMAT_VERSION: u8 = 1;
/// AES-GCM nonce length (96 bits).
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Data key and master key length (AES-256).
pub const KEY_LEN: usize = 32;
/// Length of [`Sealed::wrapped_dek`]: nonce ‖ encrypted DEK ‖ tag.
pub const WRAPPED_DEK_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;

/// Identifies what a secret is, bound into the AEAD associated data so a ciphertext or a
/// wrapped data key cannot be moved to another record.
///
/// None of these values are secret (they are stored next to the ciphertext); comparison on
/// open is exact and case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretContext<'a> {
    pub app_id: &'a str,
    /// `"app"`, `"front"`, `"slack"`, `"stripe"`.
    pub provider: &'a str,
    /// `"webhook_signing"`, `"api_token"`, `"oauth_token"`.
    pub purpose: &'a str,
    pub record_id: &'a str,
    pub version: i64,
}

impl SecretContext<'_> {
    /// The canonical data AAD (see the crate docs for the layout).
    fn data_aad(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            1 + 4 * 8
                + self.app_id.len()
                + self.provider.len()
                + self.purpose.len()
                + self.record_id.len()
                + 8,
        );
        out.push(FORMAT_VERSION);
        put_lp(&mut out, self.app_id.as_bytes());
        put_lp(&mut out, self.provider.as_bytes());
        put_lp(&mut out, self.purpose.as_bytes());
        put_lp(&mut out, self.record_id.as_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out
    }

    /// The AAD for wrapping the DEK: data AAD ‖ lp(key_id).
    fn wrap_aad(&self, key_id: &str) -> Vec<u8> {
        let mut out = self.data_aad();
        put_lp(&mut out, key_id.as_bytes());
        out
    }
}

fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The stored parts of one sealed secret (columns `key_id`, `wrapped_dek`, `nonce`,
/// `ciphertext` of `app_secrets`). Nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Master key id, e.g. `"mk-1"`.
    pub key_id: String,
    /// wrap nonce (12) ‖ AES-256-GCM(dek) (32) ‖ tag (16).
    pub wrapped_dek: Vec<u8>,
    /// 12 bytes.
    pub nonce: Vec<u8>,
    /// ct ‖ tag (16).
    pub ciphertext: Vec<u8>,
}

/// Errors. Messages never contain key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The record names a master key the keyring doesn't hold (retired or never known).
    #[error("unknown master key id `{0}`")]
    UnknownKey(String),
    /// Authentication failed. Deliberately generic: it never says whether the wrapped data
    /// key, the data, the nonce or the context was wrong.
    #[error("secret could not be decrypted")]
    Decrypt,
    /// A stored part has an impossible length (or a plaintext is too long to seal).
    #[error("malformed sealed secret: {0}")]
    Malformed(String),
    /// The master-key file could not be read, parsed or written.
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    /// [`Keyring::retire_file`] was asked to remove the current key.
    #[error("refusing to retire master key `{0}`: it is the current key (rotate first)")]
    RetireCurrentKey(String),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Rng,
}

/// Fills `buf` from the operating system's CSPRNG.
fn fill_random(buf: &mut [u8]) -> Result<(), SecretsError> {
    OsRng.try_fill_bytes(buf).map_err(|_| SecretsError::Rng)
}

/// A 256-bit master key (key-encryption key). The bytes are zeroized on drop and never
/// printed: `Debug` shows the id only.
pub struct MasterKey {
    id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl MasterKey {
    /// A fresh random key from the OS CSPRNG.
    ///
    /// # Panics
    /// If the operating system's random number generator fails (as `rand::rng()` would).
    pub fn generate(id: impl Into<String>) -> Self {
        Self::try_generate(id.into())
            .expect("the operating system's random number generator failed")
    }

    fn try_generate(id: String) -> Result<Self, SecretsError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut key[..])?;
        Ok(Self { id, key })
    }

    /// Wraps existing key bytes. The caller's copy of `key` is not (cannot be) zeroized here.
    pub fn from_bytes(id: impl Into<String>, key: [u8; KEY_LEN]) -> Self {
        Self {
            id: id.into(),
            key: Zeroizing::new(key),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key[..]))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The master keys: one current (used for new seals), older ones kept to open and re-wrap.
pub struct Keyring {
    /// Oldest first; the last one is current. Never empty, ids unique.
    keys: Vec<MasterKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current_id())
            .field("ids", &self.ids())
            .finish()
    }
}

impl Keyring {
    /// `current` seals new records; `older` (any order) can still open and re-wrap.
    ///
    /// # Panics
    /// If two keys share an id (a programming error; the key-file loader rejects that case
    /// with an error before it gets here).
    pub fn new(current: MasterKey, older: Vec<MasterKey>) -> Self {
        let mut keys = older;
        keys.push(current);
        for (i, k) in keys.iter().enumerate() {
            assert!(
                keys[..i].iter().all(|other| other.id != k.id),
                "Keyring::new: duplicate master key id `{}`",
                k.id
            );
        }
        Self { keys }
    }

    fn current(&self) -> &MasterKey {
        self.keys
            .last()
            .expect("a keyring always holds its current key")
    }

    pub fn current_id(&self) -> &str {
        &self.current().id
    }

    /// All key ids, older ones first (in the order given / in file order), current last.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    fn get(&self, key_id: &str) -> Option<&MasterKey> {
        self.keys.iter().find(|k| k.id == key_id)
    }

    /// Encrypts `plaintext` under a fresh data key, wrapped with the current master key.
    pub fn seal(&self, ctx: &SecretContext, plaintext: &[u8]) -> Result<Sealed, SecretsError> {
        let mut dek = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut dek[..])?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut wrap_nonce = [0u8; NONCE_LEN];
        fill_random(&mut wrap_nonce)?;
        seal_with(self.current(), ctx, plaintext, &dek, nonce, wrap_nonce)
    }

    /// Decrypts a sealed record. Any authentication failure is [`SecretsError::Decrypt`];
    /// an unknown `key_id` is [`SecretsError::UnknownKey`]; impossible lengths are
    /// [`SecretsError::Malformed`]. Never panics on bad input.
    pub fn open(
        &self,
        ctx: &SecretContext,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        check_shape(sealed)?;
        let dek = self.unwrap_dek(ctx, sealed)?;
        decrypt_data(&dek, ctx, sealed)
    }

    /// Re-wraps the data key under the current master key; the data ciphertext and nonce are
    /// unchanged. The whole record is authenticated first (the same checks as
    /// [`Keyring::open`]), so a damaged record fails here instead of being carried forward.
    /// A record already under the current key gets a fresh wrap under that key.
    pub fn rewrap(&self, ctx: &SecretContext, sealed: &Sealed) -> Result<Sealed, SecretsError> {
        check_shape(sealed)?;
        let dek = self.unwrap_dek(ctx, sealed)?;
        drop(decrypt_data(&dek, ctx, sealed)?);
        let mut wrap_nonce = [0u8; NONCE_LEN];
        fill_random(&mut wrap_nonce)?;
        let current = self.current();
        Ok(Sealed {
            key_id: current.id.clone(),
            wrapped_dek: wrap_dek(current, ctx, &dek, wrap_nonce)?,
            nonce: sealed.nonce.clone(),
            ciphertext: sealed.ciphertext.clone(),
        })
    }

    fn unwrap_dek(
        &self,
        ctx: &SecretContext,
        sealed: &Sealed,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, SecretsError> {
        let mk = self
            .get(&sealed.key_id)
            .ok_or_else(|| SecretsError::UnknownKey(sealed.key_id.clone()))?;
        let (wrap_nonce, wrapped) = sealed.wrapped_dek.split_at(NONCE_LEN);
        let wrap_nonce = nonce_from(wrap_nonce)?;
        let aad = ctx.wrap_aad(&mk.id);
        let dek = Zeroizing::new(
            mk.cipher()
                .decrypt(
                    &wrap_nonce,
                    Payload {
                        msg: wrapped,
                        aad: &aad,
                    },
                )
                .map_err(|_| SecretsError::Decrypt)?,
        );
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        if dek.len() != KEY_LEN {
            return Err(SecretsError::Decrypt);
        }
        out.copy_from_slice(&dek);
        Ok(out)
    }

    /// Loads the key file, creating it with one fresh key (mode 0600) if it does not exist.
    /// A missing parent directory is created with mode 0700.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, SecretsError> {
        keyfile::load_or_create(path)
    }

    /// Loads the key file.
    ///
    /// Format: a UTF-8 text file, one key per line as `mk-<n> <base64 of 32 bytes>`
    /// (standard alphabet, padded), key ids strictly increasing from line to line (oldest
    /// first), the last key line is the current key. Blank lines and lines starting with `#`
    /// are ignored. Errors name the line number and never echo the line. On unix the file is
    /// refused if group or others have any permission on it (`mode & 0o077 != 0`).
    pub fn load(path: &std::path::Path) -> Result<Self, SecretsError> {
        keyfile::load(path)
    }

    /// Adds a fresh key, makes it current, writes the file atomically (temp file + rename,
    /// 0600). Returns the new id (`mk-<max+1>`). Comments and existing lines are kept.
    ///
    /// Rotations and retirements take an exclusive lock on `<path>.lock` so two concurrent
    /// admin commands can't lose a key. Running processes keep sealing with the key they
    /// loaded until they reload the file.
    pub fn rotate_file(path: &std::path::Path) -> Result<String, SecretsError> {
        keyfile::rotate(path)
    }

    /// Removes a non-current key from the file (after every record was re-wrapped).
    /// Refuses the current key ([`SecretsError::RetireCurrentKey`]); an id not in the file is
    /// [`SecretsError::UnknownKey`].
    pub fn retire_file(path: &std::path::Path, key_id: &str) -> Result<(), SecretsError> {
        keyfile::retire(path, key_id)
    }
}

fn check_shape(sealed: &Sealed) -> Result<(), SecretsError> {
    if sealed.nonce.len() != NONCE_LEN {
        return Err(SecretsError::Malformed(format!(
            "nonce must be {NONCE_LEN} bytes, got {}",
            sealed.nonce.len()
        )));
    }
    if sealed.wrapped_dek.len() != WRAPPED_DEK_LEN {
        return Err(SecretsError::Malformed(format!(
            "wrapped data key must be {WRAPPED_DEK_LEN} bytes, got {}",
            sealed.wrapped_dek.len()
        )));
    }
    if sealed.ciphertext.len() < TAG_LEN {
        return Err(SecretsError::Malformed(format!(
            "ciphertext must be at least {TAG_LEN} bytes, got {}",
            sealed.ciphertext.len()
        )));
    }
    Ok(())
}

fn nonce_from(bytes: &[u8]) -> Result<Nonce<aes_gcm::aead::consts::U12>, SecretsError> {
    let arr: [u8; NONCE_LEN] = bytes
        .try_into()
        .map_err(|_| SecretsError::Malformed(format!("nonce must be {NONCE_LEN} bytes")))?;
    Ok(Nonce::from(arr))
}

fn decrypt_data(
    dek: &[u8; KEY_LEN],
    ctx: &SecretContext,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let nonce = nonce_from(&sealed.nonce)?;
    let aad = ctx.data_aad();
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&dek[..]));
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| SecretsError::Decrypt)
}

fn wrap_dek(
    mk: &MasterKey,
    ctx: &SecretContext,
    dek: &[u8; KEY_LEN],
    wrap_nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, SecretsError> {
    let aad = ctx.wrap_aad(&mk.id);
    let wrapped = mk
        .cipher()
        .encrypt(
            &Nonce::from(wrap_nonce),
            Payload {
                msg: &dek[..],
                aad: &aad,
            },
        )
        .map_err(|_| SecretsError::Malformed("data key could not be wrapped".into()))?;
    let mut out = Vec::with_capacity(WRAPPED_DEK_LEN);
    out.extend_from_slice(&wrap_nonce);
    out.extend_from_slice(&wrapped);
    Ok(out)
}

/// The deterministic core of [`Keyring::seal`] (randomness passed in), so the persisted
/// format can be pinned by a known-answer test.
fn seal_with(
    mk: &MasterKey,
    ctx: &SecretContext,
    plaintext: &[u8],
    dek: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    wrap_nonce: [u8; NONCE_LEN],
) -> Result<Sealed, SecretsError> {
    let aad = ctx.data_aad();
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&dek[..]));
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| SecretsError::Malformed("plaintext is too long to seal".into()))?;
    Ok(Sealed {
        key_id: mk.id.clone(),
        wrapped_dek: wrap_dek(mk, ctx, dek, wrap_nonce)?,
        nonce: nonce.to_vec(),
        ciphertext,
    })
}

/// 256-bit random secret as lowercase hex (64 chars) for webhook signing secrets.
///
/// # Panics
/// If the operating system's random number generator fails.
pub fn generate_signing_secret() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    fill_random(&mut bytes[..]).expect("the operating system's random number generator failed");
    hex::encode(&bytes[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SecretContext<'static> {
        SecretContext {
            app_id: "app_1",
            provider: "stripe",
            purpose: "api_token",
            record_id: "rec_1",
            version: 3,
        }
    }

    #[test]
    fn data_aad_layout_is_pinned() {
        let aad = ctx().data_aad();
        let mut want = vec![1u8];
        for s in ["app_1", "stripe", "api_token", "rec_1"] {
            want.extend_from_slice(&(s.len() as u64).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        want.extend_from_slice(&3i64.to_be_bytes());
        assert_eq!(aad, want);

        let wrap = ctx().wrap_aad("mk-1");
        let mut want_wrap = want.clone();
        want_wrap.extend_from_slice(&4u64.to_be_bytes());
        want_wrap.extend_from_slice(b"mk-1");
        assert_eq!(wrap, want_wrap);
    }

    #[test]
    fn length_prefix_separates_fields() {
        // Without length prefixes these two would encode the same concatenation.
        let a = SecretContext {
            app_id: "ab",
            provider: "c",
            ..ctx()
        };
        let b = SecretContext {
            app_id: "a",
            provider: "bc",
            ..ctx()
        };
        assert_ne!(a.data_aad(), b.data_aad());
    }

    /// Pins the persisted format: a record produced by this version must keep opening.
    #[test]
    fn known_answer_vector() {
        let mk = MasterKey::from_bytes("mk-1", [0x11; 32]);
        let dek = [0x22; 32];
        let sealed = seal_with(&mk, &ctx(), b"sk_test_123", &dek, [0x33; 12], [0x44; 12]).unwrap();
        assert_eq!(hex::encode(&sealed.nonce), "333333333333333333333333");
        assert_eq!(hex::encode(&sealed.wrapped_dek), KAT_WRAPPED_DEK);
        assert_eq!(hex::encode(&sealed.ciphertext), KAT_CIPHERTEXT);

        let ring = Keyring::new(MasterKey::from_bytes("mk-1", [0x11; 32]), vec![]);
        let stored = Sealed {
            key_id: "mk-1".into(),
            wrapped_dek: hex::decode(KAT_WRAPPED_DEK).unwrap(),
            nonce: vec![0x33; 12],
            ciphertext: hex::decode(KAT_CIPHERTEXT).unwrap(),
        };
        assert_eq!(&ring.open(&ctx(), &stored).unwrap()[..], b"sk_test_123");
    }

    // Computed independently from the documented layout with Python `cryptography` (OpenSSL):
    //   aad  = 01 ‖ lp("app_1") ‖ lp("stripe") ‖ lp("api_token") ‖ lp("rec_1") ‖ be64(3)
    //   ct   = AESGCM(22*32).encrypt(33*12, b"sk_test_123", aad)
    //   wdek = 44*12 ‖ AESGCM(11*32).encrypt(44*12, 22*32, aad ‖ lp("mk-1"))
    const KAT_WRAPPED_DEK: &str = "444444444444444444444444ee676a4c681a0615cbb2bdbf0ac855ce\
                                   bae8ee199a2f1df5f571c3411ee908fe869fadb17e62964449ea52a8112e676a";
    const KAT_CIPHERTEXT: &str = "05a8999e105f023739dfa89e1ae4be0d50294243f999b678bc2ceb";

    #[test]
    fn debug_never_shows_key_bytes() {
        let mk = MasterKey::from_bytes("mk-7", [0xAB; 32]);
        let s = format!("{mk:?}");
        assert_eq!(s, r#"MasterKey { id: "mk-7", .. }"#);
        let ring = Keyring::new(mk, vec![MasterKey::from_bytes("mk-6", [0xCD; 32])]);
        let s = format!("{ring:?}");
        assert_eq!(s, r#"Keyring { current: "mk-7", ids: ["mk-6", "mk-7"] }"#);
        for needle in ["171", "205", "abab", "ABAB", "cdcd", "q6ur", "zc3N"] {
            assert!(!s.contains(needle), "{s}");
        }
    }

    #[test]
    #[should_panic(expected = "duplicate master key id")]
    fn duplicate_ids_in_new_panic() {
        let _ = Keyring::new(
            MasterKey::from_bytes("mk-1", [1; 32]),
            vec![MasterKey::from_bytes("mk-1", [2; 32])],
        );
    }

    #[test]
    fn wrapped_dek_layout() {
        let ring = Keyring::new(MasterKey::generate("mk-1"), vec![]);
        let sealed = ring.seal(&ctx(), b"x").unwrap();
        assert_eq!(sealed.wrapped_dek.len(), 60);
        assert_eq!(sealed.nonce.len(), 12);
        assert_eq!(sealed.ciphertext.len(), 1 + 16);
        assert_eq!(sealed.key_id, "mk-1");
    }
}

//! Envelope encryption and key-file behaviour through the public API only.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use support_secrets::{
    Keyring, MasterKey, Sealed, SecretContext, SecretsError, generate_signing_secret,
};

const SECRET: &[u8] = b"sk_live_51H-very-secret-token-value";

fn ctx(record_id: &str) -> SecretContext<'_> {
    SecretContext {
        app_id: "app_01J8Z",
        provider: "stripe",
        purpose: "api_token",
        record_id,
        version: 1,
    }
}

fn ring() -> Keyring {
    Keyring::new(MasterKey::generate("mk-1"), vec![])
}

fn assert_decrypt(r: Result<zeroize::Zeroizing<Vec<u8>>, SecretsError>) {
    match r {
        Err(SecretsError::Decrypt) => {}
        Err(other) => panic!("expected Decrypt, got {other:?}"),
        Ok(_) => panic!("expected Decrypt, but it opened"),
    }
}

// ---------------------------------------------------------------- envelope

#[test]
fn round_trip() {
    let ring = ring();
    for pt in [&b""[..], b"x", SECRET, &[0xA5; 100_000][..]] {
        let sealed = ring.seal(&ctx("rec_1"), pt).unwrap();
        assert_eq!(sealed.key_id, "mk-1");
        assert_eq!(sealed.nonce.len(), 12);
        assert_eq!(sealed.wrapped_dek.len(), 60);
        assert_eq!(sealed.ciphertext.len(), pt.len() + 16);
        if pt.len() >= 8 {
            assert!(!sealed.ciphertext.windows(8).any(|w| w == &pt[..w.len()]));
        }
        assert_eq!(&ring.open(&ctx("rec_1"), &sealed).unwrap()[..], pt);
    }
}

#[test]
fn same_plaintext_seals_differently_each_time() {
    let ring = ring();
    let a = ring.seal(&ctx("rec_1"), SECRET).unwrap();
    let b = ring.seal(&ctx("rec_1"), SECRET).unwrap();
    assert_ne!(a.ciphertext, b.ciphertext);
    assert_ne!(a.wrapped_dek, b.wrapped_dek);
    assert_ne!(a.nonce, b.nonce);
}

#[test]
fn changing_any_aad_field_fails_with_decrypt() {
    let ring = ring();
    let good = ctx("rec_1");
    let sealed = ring.seal(&good, SECRET).unwrap();
    let variants = [
        SecretContext {
            app_id: "app_01J8Y",
            ..good
        },
        SecretContext {
            app_id: "APP_01J8Z",
            ..good
        }, // case-sensitive
        SecretContext { app_id: "", ..good },
        SecretContext {
            provider: "front",
            ..good
        },
        SecretContext {
            purpose: "webhook_signing",
            ..good
        },
        SecretContext {
            record_id: "rec_2",
            ..good
        },
        SecretContext {
            record_id: "rec_1 ",
            ..good
        },
        SecretContext { version: 2, ..good },
        SecretContext { version: 0, ..good },
        SecretContext {
            version: -1,
            ..good
        },
        // Moving bytes between adjacent fields must not produce the same AAD.
        SecretContext {
            app_id: "app_01J8Zs",
            provider: "tripe",
            ..good
        },
    ];
    for bad in variants {
        assert_decrypt(ring.open(&bad, &sealed));
        assert!(
            matches!(ring.rewrap(&bad, &sealed), Err(SecretsError::Decrypt)),
            "{bad:?}"
        );
    }
    assert_eq!(&ring.open(&good, &sealed).unwrap()[..], SECRET);
}

#[test]
fn swapping_parts_between_records_fails() {
    let ring = ring();
    let (c1, c2) = (ctx("rec_1"), ctx("rec_2"));
    let s1 = ring.seal(&c1, b"secret-one").unwrap();
    let s2 = ring.seal(&c2, b"secret-two").unwrap();

    // Whole record moved to another row.
    assert_decrypt(ring.open(&c2, &s1));
    // Ciphertext swapped.
    assert_decrypt(ring.open(
        &c1,
        &Sealed {
            ciphertext: s2.ciphertext.clone(),
            ..s1.clone()
        },
    ));
    // Ciphertext and nonce swapped together (the data part of another record).
    assert_decrypt(ring.open(
        &c1,
        &Sealed {
            ciphertext: s2.ciphertext.clone(),
            nonce: s2.nonce.clone(),
            ..s1.clone()
        },
    ));
    // Wrapped DEK swapped.
    assert_decrypt(ring.open(
        &c1,
        &Sealed {
            wrapped_dek: s2.wrapped_dek.clone(),
            ..s1.clone()
        },
    ));
    // Nonce swapped.
    assert_decrypt(ring.open(
        &c1,
        &Sealed {
            nonce: s2.nonce.clone(),
            ..s1.clone()
        },
    ));
    // Wrapped DEK moved to a record with the same plaintext length, other app.
    let other_app = SecretContext {
        app_id: "app_other",
        ..c1
    };
    let s3 = ring.seal(&other_app, b"secret-one").unwrap();
    assert_decrypt(ring.open(
        &c1,
        &Sealed {
            wrapped_dek: s3.wrapped_dek.clone(),
            ..s1.clone()
        },
    ));

    // The originals are untouched.
    assert_eq!(&ring.open(&c1, &s1).unwrap()[..], b"secret-one");
    assert_eq!(&ring.open(&c2, &s2).unwrap()[..], b"secret-two");
}

#[test]
fn tampering_fails_cleanly() {
    let ring = ring();
    let c = ctx("rec_1");
    let sealed = ring.seal(&c, SECRET).unwrap();

    // Truncated tag.
    let mut t = sealed.clone();
    t.ciphertext.pop();
    assert_decrypt(ring.open(&c, &t));
    // Extra byte.
    let mut t = sealed.clone();
    t.ciphertext.push(0);
    assert_decrypt(ring.open(&c, &t));
    // Every single-bit flip in every part.
    for part in 0..3 {
        let len = match part {
            0 => sealed.ciphertext.len(),
            1 => sealed.wrapped_dek.len(),
            _ => sealed.nonce.len(),
        };
        for i in 0..len {
            let mut t = sealed.clone();
            let buf = match part {
                0 => &mut t.ciphertext,
                1 => &mut t.wrapped_dek,
                _ => &mut t.nonce,
            };
            buf[i] ^= 0x01;
            assert_decrypt(ring.open(&c, &t));
        }
    }
}

#[test]
fn bad_lengths_are_malformed_or_decrypt_never_panic() {
    let ring = ring();
    let c = ctx("rec_1");
    let sealed = ring.seal(&c, SECRET).unwrap();

    let empty_dek = Sealed {
        wrapped_dek: vec![],
        ..sealed.clone()
    };
    assert!(matches!(
        ring.open(&c, &empty_dek),
        Err(SecretsError::Malformed(_))
    ));
    let empty_nonce = Sealed {
        nonce: vec![],
        ..sealed.clone()
    };
    assert!(matches!(
        ring.open(&c, &empty_nonce),
        Err(SecretsError::Malformed(_))
    ));
    let empty_ct = Sealed {
        ciphertext: vec![],
        ..sealed.clone()
    };
    assert!(matches!(
        ring.open(&c, &empty_ct),
        Err(SecretsError::Malformed(_))
    ));

    for n in 0..=80 {
        for part in 0..3 {
            let mut t = sealed.clone();
            let buf = match part {
                0 => &mut t.ciphertext,
                1 => &mut t.wrapped_dek,
                _ => &mut t.nonce,
            };
            buf.resize(n, 0x5A);
            let is_original = *buf
                == match part {
                    0 => &sealed.ciphertext,
                    1 => &sealed.wrapped_dek,
                    _ => &sealed.nonce,
                }[..];
            let r = ring.open(&c, &t);
            match r {
                Err(SecretsError::Malformed(_) | SecretsError::Decrypt) => {}
                Ok(_) if is_original => {}
                other => panic!("part {part} len {n}: {:?}", other.map(|v| v.len())),
            }
            assert!(
                matches!(
                    ring.rewrap(&c, &t),
                    Err(SecretsError::Malformed(_) | SecretsError::Decrypt)
                ) || is_original
            );
        }
    }
}

#[test]
fn unknown_key_id() {
    let ring = ring();
    let c = ctx("rec_1");
    let mut sealed = ring.seal(&c, SECRET).unwrap();
    sealed.key_id = "mk-9".into();
    assert_eq!(
        ring.open(&c, &sealed).unwrap_err(),
        SecretsError::UnknownKey("mk-9".into())
    );
    assert_eq!(
        ring.rewrap(&c, &sealed).unwrap_err(),
        SecretsError::UnknownKey("mk-9".into())
    );
    sealed.key_id = String::new();
    assert_eq!(
        ring.open(&c, &sealed).unwrap_err(),
        SecretsError::UnknownKey(String::new())
    );
}

#[test]
fn relabelling_key_id_fails() {
    let ring = Keyring::new(
        MasterKey::generate("mk-2"),
        vec![MasterKey::generate("mk-1")],
    );
    let c = ctx("rec_1");
    let mut sealed = ring.seal(&c, SECRET).unwrap();
    assert_eq!(sealed.key_id, "mk-2");
    sealed.key_id = "mk-1".into();
    assert_decrypt(ring.open(&c, &sealed));

    // Even when both ids hold the same key bytes: the id itself is authenticated.
    let ring = Keyring::new(
        MasterKey::from_bytes("mk-2", [7; 32]),
        vec![MasterKey::from_bytes("mk-1", [7; 32])],
    );
    let mut sealed = ring.seal(&c, SECRET).unwrap();
    assert_eq!(&ring.open(&c, &sealed).unwrap()[..], SECRET);
    sealed.key_id = "mk-1".into();
    assert_decrypt(ring.open(&c, &sealed));
}

#[test]
fn wrong_master_key_with_same_id_fails() {
    let c = ctx("rec_1");
    let sealed = ring().seal(&c, SECRET).unwrap();
    assert_decrypt(ring().open(&c, &sealed));
}

#[test]
fn rewrap_in_memory() {
    let old = [1u8; 32];
    let before = Keyring::new(MasterKey::from_bytes("mk-1", old), vec![]);
    let c = ctx("rec_1");
    let sealed = before.seal(&c, SECRET).unwrap();

    let after = Keyring::new(
        MasterKey::generate("mk-2"),
        vec![MasterKey::from_bytes("mk-1", old)],
    );
    let moved = after.rewrap(&c, &sealed).unwrap();
    assert_eq!(moved.key_id, "mk-2");
    assert_eq!(moved.nonce, sealed.nonce);
    assert_eq!(moved.ciphertext, sealed.ciphertext);
    assert_ne!(moved.wrapped_dek, sealed.wrapped_dek);
    assert_eq!(&after.open(&c, &moved).unwrap()[..], SECRET);

    // Re-wrapping a record that is already current gives a fresh wrap under the same key.
    let again = after.rewrap(&c, &moved).unwrap();
    assert_eq!(again.key_id, "mk-2");
    assert_ne!(again.wrapped_dek, moved.wrapped_dek);
    assert_eq!(&after.open(&c, &again).unwrap()[..], SECRET);

    // Rewrap doesn't launder a damaged record.
    let mut broken = sealed.clone();
    *broken.ciphertext.last_mut().unwrap() ^= 1;
    assert_eq!(
        after.rewrap(&c, &broken).unwrap_err(),
        SecretsError::Decrypt
    );
}

#[test]
fn ten_thousand_seals_never_repeat_a_nonce() {
    let ring = ring();
    let c = ctx("rec_1");
    let mut nonces = HashSet::new();
    let mut wrap_nonces = HashSet::new();
    let mut wrapped = HashSet::new();
    for _ in 0..10_000 {
        let s = ring.seal(&c, b"k").unwrap();
        assert!(nonces.insert(s.nonce.clone()), "repeated data nonce");
        assert!(
            wrap_nonces.insert(s.wrapped_dek[..12].to_vec()),
            "repeated DEK-wrap nonce"
        );
        assert!(
            wrapped.insert(s.wrapped_dek[12..].to_vec()),
            "repeated wrapped DEK"
        );
    }
    assert_eq!(nonces.len(), 10_000);
    assert_eq!(wrap_nonces.len(), 10_000);
}

#[test]
fn errors_and_debug_never_show_secrets() {
    let ring = ring();
    let c = ctx("rec_1");
    let sealed = ring.seal(&c, SECRET).unwrap();
    let secret = std::str::from_utf8(SECRET).unwrap();
    let mut texts = vec![format!("{ring:?}"), format!("{sealed:?}"), format!("{c:?}")];
    let mut bad = sealed.clone();
    bad.ciphertext[0] ^= 1;
    for e in [
        ring.open(&c, &bad).unwrap_err(),
        ring.open(&ctx("rec_2"), &sealed).unwrap_err(),
        ring.open(
            &c,
            &Sealed {
                nonce: vec![1],
                ..sealed.clone()
            },
        )
        .unwrap_err(),
    ] {
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
    }
    for t in texts {
        assert!(!t.contains(secret) && !t.contains("very-secret"), "{t}");
    }
    assert_eq!(
        SecretsError::Decrypt.to_string(),
        "secret could not be decrypted"
    );
}

#[test]
fn signing_secret_is_64_lowercase_hex_and_fresh() {
    let a = generate_signing_secret();
    let b = generate_signing_secret();
    for s in [&a, &b] {
        assert_eq!(s.len(), 64);
        assert!(
            s.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{s}"
        );
    }
    assert_ne!(a, b);
}

// ---------------------------------------------------------------- key file

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(m)).unwrap();
}

fn key_file_reason(e: SecretsError) -> String {
    match e {
        SecretsError::KeyFile { reason, .. } => reason,
        other => panic!("expected KeyFile, got {other:?}"),
    }
}

#[test]
fn load_or_create_creates_a_private_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets").join("master.keys");

    let ring = Keyring::load_or_create(&path).unwrap();
    assert_eq!(ring.current_id(), "mk-1");
    assert_eq!(ring.ids(), ["mk-1"]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    let text = fs::read_to_string(&path).unwrap();
    let key_lines: Vec<_> = text.lines().filter(|l| l.starts_with("mk-")).collect();
    assert_eq!(key_lines.len(), 1);

    // Second call loads the same key (records sealed before still open) and changes nothing.
    let c = ctx("rec_1");
    let sealed = ring.seal(&c, SECRET).unwrap();
    let again = Keyring::load_or_create(&path).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    assert_eq!(&again.open(&c, &sealed).unwrap()[..], SECRET);
    assert_eq!(
        &Keyring::load(&path).unwrap().open(&c, &sealed).unwrap()[..],
        SECRET
    );
}

#[test]
fn load_missing_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.keys");
    assert!(key_file_reason(Keyring::load(&path).unwrap_err()).contains("does not exist"));
    assert!(matches!(
        Keyring::rotate_file(&path),
        Err(SecretsError::KeyFile { .. })
    ));
    assert!(!path.exists());
}

#[cfg(unix)]
#[test]
fn group_or_world_accessible_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.keys");
    Keyring::load_or_create(&path).unwrap();
    for m in [0o640, 0o604, 0o620, 0o660, 0o644, 0o601] {
        chmod(&path, m);
        let err = Keyring::load(&path).unwrap_err();
        let shown = err.to_string();
        let reason = key_file_reason(err);
        assert!(reason.contains("chmod 600"), "{reason}");
        assert!(reason.contains(&format!("{m:04o}")), "{reason}");
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        // Every entry point refuses, including create (the file exists) and the admin commands.
        assert!(Keyring::load_or_create(&path).is_err());
        assert!(Keyring::rotate_file(&path).is_err());
    }
    chmod(&path, 0o400);
    assert_eq!(Keyring::load(&path).unwrap().current_id(), "mk-1");
    chmod(&path, 0o600);
    assert_eq!(Keyring::load(&path).unwrap().current_id(), "mk-1");
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    chmod(path, 0o600);
}

#[cfg(unix)]
#[test]
fn malformed_line_is_reported_by_number_without_key_bytes() {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.keys");
    let good = b64(&[0x11; 32]);
    let short = b64(&[0x22; 20]);
    write_private(&path, &format!("# keys\nmk-1 {good}\n\nmk-2 {short}\n"));
    let err = Keyring::load(&path).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("line 4"), "{shown}");
    assert!(shown.contains("32 bytes, got 20"), "{shown}");
    assert!(
        !shown.contains(&good[..10]) && !shown.contains(&short[..10]),
        "{shown}"
    );

    // Key pasted without an id.
    write_private(&path, &format!("mk-1 {good}\n{short}\n"));
    let shown = Keyring::load(&path).unwrap_err().to_string();
    assert!(shown.contains("line 2"), "{shown}");
    assert!(
        !shown.contains(&short[..10]) && !shown.contains(&good[..10]),
        "{shown}"
    );

    // A well-formed file with comments loads; the last line is current.
    write_private(
        &path,
        &format!("# a\nmk-1 {good}\n# b\nmk-4 {}\n", b64(&[0x33; 32])),
    );
    let ring = Keyring::load(&path).unwrap();
    assert_eq!(ring.ids(), ["mk-1", "mk-4"]);
    assert_eq!(ring.current_id(), "mk-4");
    assert_eq!(Keyring::rotate_file(&path).unwrap(), "mk-5");
}

#[test]
fn rotate_rewrap_retire_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.keys");
    let ring1 = Keyring::load_or_create(&path).unwrap();

    let contexts: Vec<String> = (0..5).map(|i| format!("rec_{i}")).collect();
    let old: Vec<Sealed> = contexts
        .iter()
        .map(|r| {
            ring1
                .seal(&ctx(r), format!("token-{r}").as_bytes())
                .unwrap()
        })
        .collect();
    assert!(old.iter().all(|s| s.key_id == "mk-1"));

    assert_eq!(Keyring::rotate_file(&path).unwrap(), "mk-2");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let ring2 = Keyring::load(&path).unwrap();
    assert_eq!(ring2.current_id(), "mk-2");
    assert_eq!(ring2.ids(), ["mk-1", "mk-2"]);

    // Old records still open; new seals use mk-2.
    for (r, s) in contexts.iter().zip(&old) {
        assert_eq!(
            &ring2.open(&ctx(r), s).unwrap()[..],
            format!("token-{r}").as_bytes()
        );
    }
    assert_eq!(ring2.seal(&ctx("new"), b"n").unwrap().key_id, "mk-2");

    // Re-wrap all but the last record.
    let mut rewrapped = Vec::new();
    for (r, s) in contexts.iter().zip(&old).take(4) {
        let m = ring2.rewrap(&ctx(r), s).unwrap();
        assert_eq!(m.key_id, "mk-2");
        assert_eq!(m.ciphertext, s.ciphertext);
        assert_eq!(m.nonce, s.nonce);
        assert_ne!(m.wrapped_dek, s.wrapped_dek);
        assert_eq!(
            &ring2.open(&ctx(r), &m).unwrap()[..],
            format!("token-{r}").as_bytes()
        );
        rewrapped.push(m);
    }

    // Retiring the current key is refused and leaves the file alone.
    let before = fs::read_to_string(&path).unwrap();
    assert_eq!(
        Keyring::retire_file(&path, "mk-2").unwrap_err(),
        SecretsError::RetireCurrentKey("mk-2".into())
    );
    assert_eq!(
        Keyring::retire_file(&path, "mk-7").unwrap_err(),
        SecretsError::UnknownKey("mk-7".into())
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), before);

    Keyring::retire_file(&path, "mk-1").unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let ring3 = Keyring::load(&path).unwrap();
    assert_eq!(ring3.ids(), ["mk-2"]);
    for (r, m) in contexts.iter().zip(&rewrapped) {
        assert_eq!(
            &ring3.open(&ctx(r), m).unwrap()[..],
            format!("token-{r}").as_bytes()
        );
    }
    // The record that was never re-wrapped is now unreadable, reported as UnknownKey.
    assert_eq!(
        ring3.open(&ctx(&contexts[4]), &old[4]).unwrap_err(),
        SecretsError::UnknownKey("mk-1".into())
    );
    // Retiring it again: it's gone.
    assert_eq!(
        Keyring::retire_file(&path, "mk-1").unwrap_err(),
        SecretsError::UnknownKey("mk-1".into())
    );

    // The next rotation continues the sequence.
    assert_eq!(Keyring::rotate_file(&path).unwrap(), "mk-3");
    assert_eq!(Keyring::load(&path).unwrap().ids(), ["mk-2", "mk-3"]);
}

#[test]
fn concurrent_rotations_do_not_lose_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.keys");
    Keyring::load_or_create(&path).unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Keyring::rotate_file(&path).unwrap())
        })
        .collect();
    let mut ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ids.sort_by_key(|id| id[3..].parse::<u32>().unwrap());
    let want: Vec<String> = (2..=9).map(|n| format!("mk-{n}")).collect();
    assert_eq!(ids, want);
    let ring = Keyring::load(&path).unwrap();
    assert_eq!(ring.ids().len(), 9);
    assert_eq!(ring.current_id(), "mk-9");
}

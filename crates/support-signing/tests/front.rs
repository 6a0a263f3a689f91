//! Front has no third-party client library to generate vectors with, so these are round
//! trips plus known answers computed independently with Python's `hmac`/`hashlib`/`base64`.

use support_signing::{SignatureError, TOLERANCE_SECS, front};

const SECRET: &[u8] = b"front-app-secret";
const BODY: &[u8] = br#"{"type":"inbound","payload":{"id":"msg_1"}}"#;
/// 2026-01-01T00:00:00.123Z in milliseconds.
const NOW_MS: i64 = 1_767_225_600_123;

fn verify_at(
    sig: &str,
    ts_ms: i64,
    body: &[u8],
    secrets: &[&[u8]],
    now_ms: i64,
) -> Result<(), SignatureError> {
    front::verify(Some(sig), Some(&ts_ms.to_string()), body, secrets, now_ms)
}

#[test]
fn known_answer_from_python() {
    // python3: base64.b64encode(hmac.new(b"front-app-secret",
    //   b"1767225600123:" + BODY, hashlib.sha256).digest())
    let expected = "GZF3isU7mSiMOYUjK0hP1+w73EfWccvR8d3/LA4ruGg=";
    assert_eq!(front::sign(SECRET, NOW_MS, BODY), expected);
    assert_eq!(verify_at(expected, NOW_MS, BODY, &[SECRET], NOW_MS), Ok(()));
}

#[test]
fn timestamp_is_milliseconds() {
    // A sender that put seconds in the header is ~56 years in the past in milliseconds.
    let ts_s = NOW_MS / 1000;
    let sig = front::sign(SECRET, ts_s, BODY);
    assert_eq!(
        verify_at(&sig, ts_s, BODY, &[SECRET], NOW_MS),
        Err(SignatureError::TimestampTooOld)
    );
}

#[test]
fn window_is_five_minutes_both_ways() {
    let min = 60_000;
    let sig = front::sign(SECRET, NOW_MS, BODY);
    assert_eq!(TOLERANCE_SECS, 300);
    // 4m59s old passes, 6 minutes old fails.
    assert_eq!(
        verify_at(&sig, NOW_MS, BODY, &[SECRET], NOW_MS + 4 * min + 59_000),
        Ok(())
    );
    assert_eq!(
        verify_at(&sig, NOW_MS, BODY, &[SECRET], NOW_MS + 6 * min),
        Err(SignatureError::TimestampTooOld)
    );
    // Sent 6 minutes in our future (their clock ahead, or a pre-dated replay) fails.
    let future = NOW_MS + 6 * min;
    let sig = front::sign(SECRET, future, BODY);
    assert_eq!(
        verify_at(&sig, future, BODY, &[SECRET], NOW_MS),
        Err(SignatureError::TimestampTooNew)
    );
    // 4m59s in the future passes.
    let near = NOW_MS + 4 * min + 59_000;
    let sig = front::sign(SECRET, near, BODY);
    assert_eq!(verify_at(&sig, near, BODY, &[SECRET], NOW_MS), Ok(()));
}

#[test]
fn rotation_accepts_either_secret() {
    let old = front::sign(b"old-secret", NOW_MS, BODY);
    let new = front::sign(b"new-secret", NOW_MS, BODY);
    let secrets: &[&[u8]] = &[b"new-secret", b"old-secret"];
    assert_eq!(verify_at(&old, NOW_MS, BODY, secrets, NOW_MS), Ok(()));
    assert_eq!(verify_at(&new, NOW_MS, BODY, secrets, NOW_MS), Ok(()));
    let other = front::sign(b"retired-secret", NOW_MS, BODY);
    assert_eq!(
        verify_at(&other, NOW_MS, BODY, secrets, NOW_MS),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn tampered_body_or_timestamp_fails() {
    let sig = front::sign(SECRET, NOW_MS, BODY);
    let tampered = br#"{"type":"inbound","payload":{"id":"msg_2"}}"#;
    assert_eq!(
        verify_at(&sig, NOW_MS, tampered, &[SECRET], NOW_MS),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_at(&sig, NOW_MS + 1, BODY, &[SECRET], NOW_MS),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn garbage_fails_cleanly() {
    let ts = NOW_MS.to_string();
    for sig in [
        "!!",
        "not base64 at all",
        "====",
        "Zm9v",
        "\u{1F600}",
        "a,b=c",
    ] {
        let got = front::verify(Some(sig), Some(&ts), BODY, &[SECRET], NOW_MS);
        assert!(
            matches!(
                got,
                Err(SignatureError::MalformedHeader | SignatureError::Mismatch)
            ),
            "{sig:?}: {got:?}"
        );
    }
    let sig = front::sign(SECRET, NOW_MS, BODY);
    for ts in [
        "-1",
        "1e12",
        " 1767225600123",
        "99999999999999999999",
        "0x10",
    ] {
        assert_eq!(
            front::verify(Some(&sig), Some(ts), BODY, &[SECRET], NOW_MS),
            Err(SignatureError::MalformedHeader),
            "{ts:?}"
        );
    }
    assert_eq!(
        front::verify(None, Some(&ts), BODY, &[SECRET], NOW_MS),
        Err(SignatureError::MissingHeader)
    );
    assert_eq!(
        front::verify(Some(&sig), None, BODY, &[SECRET], NOW_MS),
        Err(SignatureError::MissingHeader)
    );
    assert_eq!(
        front::verify(Some(""), Some(&ts), BODY, &[SECRET], NOW_MS),
        Err(SignatureError::MissingHeader)
    );
}

#[test]
fn rule_webhook_known_answer_and_round_trip() {
    const API_SECRET: &[u8] = b"front-api-secret";
    // python3: base64.b64encode(hmac.new(b"front-api-secret", BODY, hashlib.sha1).digest())
    let expected = "VDP+ErHYVPuVbCT6jVDdRc3VSrg=";
    assert_eq!(front::sign_rule(API_SECRET, BODY), expected);
    assert_eq!(
        front::verify_rule(Some(expected), BODY, &[API_SECRET]),
        Ok(())
    );
    assert_eq!(
        front::verify_rule(Some(expected), BODY, &[b"other", API_SECRET]),
        Ok(())
    );
    assert_eq!(
        front::verify_rule(Some(expected), b"{}", &[API_SECRET]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        front::verify_rule(Some(expected), BODY, &[b"wrong-secret"]),
        Err(SignatureError::Mismatch)
    );
    // The SHA-256 application signature is not a rule signature, and vice versa.
    let app_sig = front::sign(API_SECRET, NOW_MS, BODY);
    assert_eq!(
        front::verify_rule(Some(&app_sig), BODY, &[API_SECRET]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_at(expected, NOW_MS, BODY, &[API_SECRET], NOW_MS),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        front::verify_rule(Some("%%%"), BODY, &[API_SECRET]),
        Err(SignatureError::MalformedHeader)
    );
    assert_eq!(
        front::verify_rule(None, BODY, &[API_SECRET]),
        Err(SignatureError::MissingHeader)
    );
}

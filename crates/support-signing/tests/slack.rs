//! Slack `v0` beyond the vector file: a known answer computed independently with Python,
//! the version rules and the window edges.

use support_signing::{SignatureError, slack};

const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
const BODY: &[u8] = b"payload=%7B%22type%22%3A%22block_actions%22%7D";
const NOW: i64 = 1_767_225_600;

fn verify(sig: &str, ts: &str, secrets: &[&[u8]], now: i64) -> Result<(), SignatureError> {
    slack::verify(Some(sig), Some(ts), BODY, secrets, now, 300)
}

#[test]
fn known_answer_from_python() {
    // python3: "v0=" + hmac.new(SECRET, b"v0:1767225600:" + BODY, hashlib.sha256).hexdigest()
    let expected = "v0=456cd95526f7dc63d86058d682fecde70ba9748924ceb232d035c1b81bbafa36";
    assert_eq!(slack::sign(SECRET, NOW, BODY), expected);
    assert_eq!(verify(expected, "1767225600", &[SECRET], NOW), Ok(()));
}

#[test]
fn window_edges_and_rotation() {
    let sig = slack::sign(SECRET, NOW, BODY);
    assert_eq!(
        verify(&sig, "1767225600", &[b"new", SECRET], NOW + 300),
        Ok(())
    );
    assert_eq!(
        verify(&sig, "1767225600", &[SECRET], NOW + 301),
        Err(SignatureError::TimestampTooOld)
    );
    assert_eq!(
        verify(&sig, "1767225600", &[SECRET], NOW - 301),
        Err(SignatureError::TimestampTooNew)
    );
    assert_eq!(
        verify(&sig, "1767225600", &[b"new"], NOW),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn versions_and_malformed_values() {
    let hex = slack::sign(SECRET, NOW, BODY)[3..].to_owned();
    let ts = "1767225600";
    assert_eq!(
        verify(&format!("v1={hex}"), ts, &[SECRET], NOW),
        Err(SignatureError::UnsupportedVersion)
    );
    assert_eq!(
        verify(&format!("V0={hex}"), ts, &[SECRET], NOW),
        Err(SignatureError::MalformedHeader)
    );
    assert_eq!(
        verify(&hex, ts, &[SECRET], NOW),
        Err(SignatureError::MalformedHeader)
    );
    assert_eq!(
        verify("v0=", ts, &[SECRET], NOW),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify("v0=zz", ts, &[SECRET], NOW),
        Err(SignatureError::Mismatch)
    );
    let sig = format!("v0={hex}");
    for bad_ts in ["soon", "-1", "1.5", "99999999999999999999", " 1767225600"] {
        assert_eq!(
            verify(&sig, bad_ts, &[SECRET], NOW),
            Err(SignatureError::MalformedHeader),
            "{bad_ts:?}"
        );
    }
    assert_eq!(
        slack::verify(None, Some(ts), BODY, &[SECRET], NOW, 300),
        Err(SignatureError::MissingHeader)
    );
    assert_eq!(
        slack::verify(Some(&sig), Some(""), BODY, &[SECRET], NOW, 300),
        Err(SignatureError::MissingHeader)
    );
}

#[test]
fn reason_codes_are_stable() {
    use SignatureError::*;
    let codes: Vec<_> = [
        MissingHeader,
        MalformedHeader,
        NoV1Signature,
        TimestampTooOld,
        TimestampTooNew,
        Mismatch,
        UnsupportedVersion,
    ]
    .iter()
    .map(SignatureError::reason_code)
    .collect();
    assert_eq!(
        codes,
        [
            "missing_header",
            "malformed_header",
            "no_v1_signature",
            "timestamp_too_old",
            "timestamp_too_new",
            "signature_mismatch",
            "unsupported_version",
        ]
    );
}

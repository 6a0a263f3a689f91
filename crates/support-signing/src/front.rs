//! Front webhooks. Application webhooks: `X-Front-Signature` is base64 HMAC-SHA256 over
//! `X-Front-Request-Timestamp + ":" + body`, and the timestamp is in **milliseconds**.
//! Rule webhooks: see [`verify_rule`].

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub const SIGNATURE_HEADER: &str = "x-front-signature";
pub const TIMESTAMP_HEADER: &str = "x-front-request-timestamp";
pub const CHALLENGE_HEADER: &str = "x-front-challenge";

pub fn sign(secret: &[u8], ts_ms: i64, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(ts_ms.to_string().as_bytes());
    m.update(b":");
    m.update(body);
    STANDARD.encode(m.finalize().into_bytes())
}

/// Verify an application webhook. `now_ms` is the receiver's clock in milliseconds;
/// the window is [`TOLERANCE_SECS`] either way, so a seconds-valued timestamp fails as
/// too old rather than slipping through.
pub fn verify(
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    secrets: &[&[u8]],
    now_ms: i64,
) -> Result<(), SignatureError> {
    let sig = present(signature)?;
    let ts_raw = present(timestamp)?;
    let ts = parse_ts(ts_raw)?;
    check_window(ts, now_ms, TOLERANCE_SECS * 1000)?;
    let raw = STANDARD
        .decode(sig.trim())
        .map_err(|_| SignatureError::MalformedHeader)?;
    for secret in secrets {
        let mut m = mac(secret);
        m.update(ts_raw.as_bytes());
        m.update(b":");
        m.update(body);
        if m.verify_slice(&raw).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

fn rule_mac(secret: &[u8], body: &[u8]) -> HmacSha1 {
    let mut m: HmacSha1 = keyed(secret);
    m.update(body);
    m
}

/// The `X-Front-Signature` of a rule webhook: base64 HMAC-SHA1 of the raw body, keyed
/// with the company API secret.
pub fn sign_rule(secret: &[u8], body: &[u8]) -> String {
    STANDARD.encode(rule_mac(secret, body).finalize().into_bytes())
}

/// Verify a (legacy) rule webhook. The scheme signs no timestamp, so a captured request
/// replays forever: callers must treat these events as lower trust (re-fetch the
/// conversation before acting) and dedupe them by event id. Prefer application
/// webhooks ([`verify`]).
pub fn verify_rule(
    signature: Option<&str>,
    body: &[u8],
    secrets: &[&[u8]],
) -> Result<(), SignatureError> {
    let sig = present(signature)?;
    let raw = STANDARD
        .decode(sig.trim())
        .map_err(|_| SignatureError::MalformedHeader)?;
    for secret in secrets {
        if rule_mac(secret, body).verify_slice(&raw).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

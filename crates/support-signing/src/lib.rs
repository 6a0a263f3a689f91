//! The signing schemes the platform speaks, in one place so every sender and receiver uses
//! the same grammar.
//!
//! - [`support`]: our `x-support-signature: t=<unix s>,v1=<hex>[,v1=…]` (Stripe's grammar),
//!   HMAC-SHA256 over `t + "." + raw body`, used between the platform and product apps.
//! - [`stripe`]: Stripe's `Stripe-Signature`, the same grammar, parsed by the same code.
//! - [`slack`]: Slack `v0` request signing, hex HMAC-SHA256 over `v0:<ts>:<body>`.
//! - [`front`]: Front application webhooks, base64 HMAC-SHA256 over `ts_ms + ":" + body`,
//!   and the older rule webhooks, base64 HMAC-SHA1 over the body alone.
//!
//! Every verifier takes the receiver's secrets as a list (current first, then previous) so
//! a secret can be rotated without a window of rejected requests, and every timestamped
//! scheme rejects timestamps too far in the past *and* the future: a future-dated signature
//! would otherwise stay replayable for longer than the window.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub mod front;
pub mod slack;
pub mod stripe;
pub mod support;

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// The default replay window, in seconds, in both directions.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused. Logged to the security log; clients only ever see a
/// generic 401 so the reason cannot be used as an oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header missing")]
    MissingHeader,
    #[error("signature header malformed")]
    MalformedHeader,
    #[error("no v1 signature in header")]
    NoV1Signature,
    #[error("timestamp too old")]
    TimestampTooOld,
    #[error("timestamp too far in the future")]
    TimestampTooNew,
    #[error("signature does not match")]
    Mismatch,
    /// A well-formed signature in a scheme version we do not speak (e.g. Slack `v1=`).
    #[error("unsupported signature version")]
    UnsupportedVersion,
}

impl SignatureError {
    /// A stable snake_case code for the security log and metrics. Dashboards and alerts
    /// key on these strings, so never change an existing one; add new ones instead.
    pub fn reason_code(&self) -> &'static str {
        match self {
            Self::MissingHeader => "missing_header",
            Self::MalformedHeader => "malformed_header",
            Self::NoV1Signature => "no_v1_signature",
            Self::TimestampTooOld => "timestamp_too_old",
            Self::TimestampTooNew => "timestamp_too_new",
            Self::Mismatch => "signature_mismatch",
            Self::UnsupportedVersion => "unsupported_version",
        }
    }
}

fn keyed<M: Mac + KeyInit>(secret: &[u8]) -> M {
    // HMAC accepts keys of any length, so this cannot fail.
    match <M as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn mac(secret: &[u8]) -> HmacSha256 {
    keyed(secret)
}

/// A header that is absent or blank counts as missing: proxies and frameworks differ on
/// which of the two they hand us.
fn present(value: Option<&str>) -> Result<&str, SignatureError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(SignatureError::MissingHeader),
    }
}

/// Timestamps must be plain decimal digits (no sign, spaces or exponent), and we MAC the
/// exact string, so `01` and `1` never verify against each other's signature.
fn parse_ts(raw: &str) -> Result<i64, SignatureError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedHeader);
    }
    raw.parse().map_err(|_| SignatureError::MalformedHeader)
}

/// Lower-case hex only, as the signers emit; anything else cannot match.
fn lower_hex(s: &str) -> Option<Vec<u8>> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(s).ok()
}

fn check_window(t: i64, now: i64, tolerance: i64) -> Result<(), SignatureError> {
    // i128 so that huge header values or odd clocks cannot overflow.
    let age = i128::from(now) - i128::from(t);
    let tolerance = i128::from(tolerance);
    if age > tolerance {
        Err(SignatureError::TimestampTooOld)
    } else if -age > tolerance {
        Err(SignatureError::TimestampTooNew)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_round_trip_and_window() {
        let body = br#"{"action":"lookupUser"}"#;
        let h = support::header(b"s1", 1_000, body);
        assert_eq!(
            support::verify(Some(&h), body, &[b"s1"], 1_000, 300),
            Ok(())
        );
        assert_eq!(
            support::verify(Some(&h), body, &[b"old", b"s1"], 1_300, 300),
            Ok(())
        );
        assert_eq!(
            support::verify(Some(&h), body, &[b"s1"], 1_301, 300),
            Err(SignatureError::TimestampTooOld)
        );
        assert_eq!(
            support::verify(Some(&h), body, &[b"s1"], 699, 300),
            Err(SignatureError::TimestampTooNew)
        );
        assert_eq!(
            support::verify(Some(&h), b"{}", &[b"s1"], 1_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            support::verify(None, body, &[b"s1"], 1_000, 300),
            Err(SignatureError::MissingHeader)
        );
    }

    #[test]
    fn front_round_trip_uses_milliseconds() {
        let body = br#"{"type":"inbound"}"#;
        let now_ms = 1_767_225_600_000;
        let sig = front::sign(b"front-secret", now_ms, body);
        let ts = now_ms.to_string();
        assert_eq!(
            front::verify(
                Some(&sig),
                Some(&ts),
                body,
                &[b"front-secret"],
                now_ms + 299_000
            ),
            Ok(())
        );
        assert_eq!(
            front::verify(
                Some(&sig),
                Some(&ts),
                body,
                &[b"front-secret"],
                now_ms + 301_000
            ),
            Err(SignatureError::TimestampTooOld)
        );
        assert_eq!(
            front::verify(Some(&sig), Some(&ts), body, &[b"other"], now_ms),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            front::verify(Some("!!"), Some(&ts), body, &[b"front-secret"], now_ms),
            Err(SignatureError::MalformedHeader)
        );
        assert_eq!(
            front::verify(Some(&sig), Some("12a"), body, &[b"front-secret"], now_ms),
            Err(SignatureError::MalformedHeader)
        );
    }
}

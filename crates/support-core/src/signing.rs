//! The signing schemes the platform speaks, in one place so every sender and receiver uses
//! the same grammar.
//!
//! - [`support`]: our `x-support-signature: t=<unix s>,v1=<hex>[,v1=…]` (Stripe's grammar),
//!   HMAC-SHA256 over `t + "." + raw body`, used between the platform and product apps.
//! - [`front`]: Front application webhooks, base64 HMAC-SHA256 over `ts_ms + ":" + body`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

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
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn check_window(t: i64, now: i64, tolerance: i64) -> Result<(), SignatureError> {
    if now - t > tolerance {
        Err(SignatureError::TimestampTooOld)
    } else if t - now > tolerance {
        Err(SignatureError::TimestampTooNew)
    } else {
        Ok(())
    }
}

/// Our own scheme, also Stripe's `Stripe-Signature` grammar.
pub mod support {
    use super::*;

    pub const HEADER: &str = "x-support-signature";

    /// Lower-case hex HMAC-SHA256 of `t.body`.
    pub fn compute(secret: &[u8], t: i64, body: &[u8]) -> String {
        let mut m = mac(secret);
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        hex::encode(m.finalize().into_bytes())
    }

    /// The full header value for `body` signed at `t` with `secret`.
    pub fn header(secret: &[u8], t: i64, body: &[u8]) -> String {
        format!("t={t},v1={}", compute(secret, t, body))
    }

    /// Verify a header against the receiver's secrets (current first, then previous).
    pub fn verify(
        header: Option<&str>,
        body: &[u8],
        secrets: &[&[u8]],
        now: i64,
        tolerance: i64,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::MissingHeader)?;
        let mut t_raw: Option<&str> = None;
        let mut sigs: Vec<&str> = Vec::new();
        for item in header.split(',') {
            let Some((k, v)) = item.split_once('=') else {
                continue;
            };
            match k {
                "t" => t_raw = Some(v),
                "v1" => sigs.push(v),
                _ => {}
            }
        }
        let t_raw = t_raw.ok_or(SignatureError::MalformedHeader)?;
        if t_raw.is_empty() || !t_raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SignatureError::MalformedHeader);
        }
        let t: i64 = t_raw.parse().map_err(|_| SignatureError::MalformedHeader)?;
        if sigs.is_empty() {
            return Err(SignatureError::NoV1Signature);
        }
        check_window(t, now, tolerance)?;
        for secret in secrets {
            for sig in &sigs {
                // Upper-case or non-hex input decodes to nothing that can match.
                if sig.bytes().any(|b| b.is_ascii_uppercase()) {
                    continue;
                }
                let Ok(raw) = hex::decode(sig) else { continue };
                let mut m = mac(secret);
                m.update(t_raw.as_bytes());
                m.update(b".");
                m.update(body);
                if m.verify_slice(&raw).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(SignatureError::Mismatch)
    }
}

/// Front application webhooks: `X-Front-Signature` is base64 HMAC-SHA256 over
/// `X-Front-Request-Timestamp + ":" + body`, and the timestamp is in **milliseconds**.
pub mod front {
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

    /// Verify an application webhook. `now_ms` is the receiver's clock in milliseconds.
    pub fn verify(
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        secrets: &[&[u8]],
        now_ms: i64,
    ) -> Result<(), SignatureError> {
        let sig = signature.ok_or(SignatureError::MissingHeader)?;
        let ts_raw = timestamp.ok_or(SignatureError::MissingHeader)?;
        if ts_raw.is_empty() || !ts_raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SignatureError::MalformedHeader);
        }
        let ts: i64 = ts_raw
            .parse()
            .map_err(|_| SignatureError::MalformedHeader)?;
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

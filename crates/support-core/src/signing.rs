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

/// Our own scheme, also Stripe's `Stripe-Signature` grammar (see [`stripe`]).
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
    ///
    /// Grammar as Stripe's SDKs parse it: items split on `,`, then on the first `=`; the
    /// first `t` and every `v1` count, other keys are ignored. Accepts if any `v1` matches
    /// any secret.
    pub fn verify(
        header: Option<&str>,
        body: &[u8],
        secrets: &[&[u8]],
        now: i64,
        tolerance: i64,
    ) -> Result<(), SignatureError> {
        let header = present(header)?;
        let mut t_raw: Option<&str> = None;
        let mut sigs: Vec<&str> = Vec::new();
        for item in header.split(',') {
            let Some((k, v)) = item.split_once('=') else {
                continue;
            };
            match k {
                "t" if t_raw.is_none() => t_raw = Some(v),
                "v1" => sigs.push(v),
                _ => {}
            }
        }
        let t_raw = t_raw.ok_or(SignatureError::MalformedHeader)?;
        let t = parse_ts(t_raw)?;
        if sigs.is_empty() {
            return Err(SignatureError::NoV1Signature);
        }
        check_window(t, now, tolerance)?;
        let candidates: Vec<Vec<u8>> = sigs.iter().filter_map(|s| lower_hex(s)).collect();
        for secret in secrets {
            let mut m = mac(secret);
            m.update(t_raw.as_bytes());
            m.update(b".");
            m.update(body);
            for raw in &candidates {
                // `verify_slice` compares in constant time and rejects wrong lengths.
                if m.clone().verify_slice(raw).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(SignatureError::Mismatch)
    }
}

/// Stripe webhooks: `Stripe-Signature` has exactly our [`support`] grammar, so this module
/// only renames it and shares the one parser. The key is the UTF-8 bytes of the whole
/// `whsec_…` string (not base64-decoded). Unlike Stripe's SDKs we also reject timestamps
/// more than `tolerance` in the future.
pub mod stripe {
    use super::*;

    pub const HEADER: &str = "stripe-signature";

    /// A `Stripe-Signature` value, for fakes and tests that play Stripe.
    pub fn header(secret: &[u8], t: i64, body: &[u8]) -> String {
        support::header(secret, t, body)
    }

    /// Verify a `Stripe-Signature` value; same rules as [`support::verify`].
    pub fn verify(
        header: Option<&str>,
        body: &[u8],
        secrets: &[&[u8]],
        now: i64,
        tolerance: i64,
    ) -> Result<(), SignatureError> {
        support::verify(header, body, secrets, now, tolerance)
    }
}

/// Slack request signing, version `v0`: `X-Slack-Signature: v0=<hex>` over
/// `v0:<X-Slack-Request-Timestamp>:<raw body>`, timestamp in seconds. Verify the raw bytes:
/// decoding and re-encoding a form body breaks the signature.
pub mod slack {
    use super::*;

    pub const SIGNATURE_HEADER: &str = "x-slack-signature";
    pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
    pub const VERSION: &str = "v0";

    fn keyed_message(secret: &[u8], ts_raw: &str, body: &[u8]) -> HmacSha256 {
        let mut m = mac(secret);
        m.update(VERSION.as_bytes());
        m.update(b":");
        m.update(ts_raw.as_bytes());
        m.update(b":");
        m.update(body);
        m
    }

    /// The full `X-Slack-Signature` value (`v0=<hex>`) for `body` sent at `ts` seconds.
    pub fn sign(secret: &[u8], ts: i64, body: &[u8]) -> String {
        let m = keyed_message(secret, &ts.to_string(), body);
        format!("{VERSION}={}", hex::encode(m.finalize().into_bytes()))
    }

    /// Verify a Slack request against the app's signing secrets (current first, then the
    /// one being replaced). Unlike slack_sdk, a non-numeric timestamp is a clean
    /// [`SignatureError::MalformedHeader`], never a panic.
    pub fn verify(
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        secrets: &[&[u8]],
        now: i64,
        tolerance: i64,
    ) -> Result<(), SignatureError> {
        let sig = present(signature)?;
        let ts_raw = present(timestamp)?;
        let ts = parse_ts(ts_raw)?;
        let (version, hex_sig) = sig.split_once('=').ok_or(SignatureError::MalformedHeader)?;
        if version != VERSION {
            // `v<digits>` is a scheme we don't speak; anything else is just garbage.
            let looks_versioned = version.len() > 1
                && version.starts_with('v')
                && version[1..].bytes().all(|b| b.is_ascii_digit());
            return Err(if looks_versioned {
                SignatureError::UnsupportedVersion
            } else {
                SignatureError::MalformedHeader
            });
        }
        check_window(ts, now, tolerance)?;
        let raw = lower_hex(hex_sig).ok_or(SignatureError::Mismatch)?;
        for secret in secrets {
            if keyed_message(secret, ts_raw, body)
                .verify_slice(&raw)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }
}

/// Front webhooks. Application webhooks: `X-Front-Signature` is base64 HMAC-SHA256 over
/// `X-Front-Request-Timestamp + ":" + body`, and the timestamp is in **milliseconds**.
/// Rule webhooks: see [`front::verify_rule`].
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

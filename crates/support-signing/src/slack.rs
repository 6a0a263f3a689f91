//! Slack request signing, version `v0`: `X-Slack-Signature: v0=<hex>` over
//! `v0:<X-Slack-Request-Timestamp>:<raw body>`, timestamp in seconds. Verify the raw bytes:
//! decoding and re-encoding a form body breaks the signature.

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

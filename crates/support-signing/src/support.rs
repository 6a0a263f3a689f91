//! Our own scheme, also Stripe's `Stripe-Signature` grammar (see [`stripe`]).

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

//! Stripe webhooks: `Stripe-Signature` has exactly our [`support`] grammar, so this module
//! only renames it and shares the one parser. The key is the UTF-8 bytes of the whole
//! `whsec_…` string (not base64-decoded). Unlike Stripe's SDKs we also reject timestamps
//! more than `tolerance` in the future.

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

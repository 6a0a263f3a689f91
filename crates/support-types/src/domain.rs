//! Typed domain values, parsed once at the edge so the rest of the code can trust them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a raw value was refused. Each variant names the offending input so that a client
/// or CLI user sees exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(
        "invalid app slug {0:?}: use 2-40 lowercase letters, digits or '-', starting with a letter"
    )]
    InvalidSlug(String),
    #[error("invalid email address {0:?}")]
    InvalidEmail(String),
    #[error("invalid currency {0:?}: use a three-letter ISO code")]
    InvalidCurrency(String),
}

/// An app (tenant) identifier as used in URLs and config: `first-app`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AppSlug(String);

impl AppSlug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = (2..=40).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.ends_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::InvalidSlug(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AppSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for AppSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, trimmed and lower-cased so lookups match however the customer typed it.
/// Deliberately conservative: one `@`, a non-empty local part, a dotted domain, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let norm = raw.trim().to_ascii_lowercase();
        let bad = || DomainError::InvalidEmail(raw.to_owned());
        if norm.len() > 254 || norm.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = norm.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        Ok(Self(norm))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in the currency's minor unit (cents). Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents for USD/EUR).
    pub amount: i64,
    /// Lower-case ISO 4217 code, as Stripe writes it (`usd`).
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: &str) -> Result<Self, DomainError> {
        let cur = currency.to_ascii_lowercase();
        if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(DomainError::InvalidCurrency(currency.to_owned()));
        }
        Ok(Self {
            amount,
            currency: cur,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:02} {}",
            abs / 100,
            abs % 100,
            self.currency.to_ascii_uppercase()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(AppSlug::parse("first-app").is_ok());
        for bad in ["", "a", "First", "1app", "app-", "a b", "ap_p"] {
            assert!(AppSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.to_string()),
            Ok("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "@x.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        let err = serde_json::from_str::<Email>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("invalid email"));
    }

    #[test]
    fn money_formats_in_major_units() {
        assert_eq!(Money::new(12345, "USD").unwrap().to_string(), "123.45 USD");
        assert_eq!(Money::new(-5, "eur").unwrap().to_string(), "-0.05 EUR");
        assert!(Money::new(1, "dollars").is_err());
    }
}

//! Entity extraction: emails, Stripe ids, order and purchase ids, amounts with a currency.

use serde::{Deserialize, Serialize};
use support_types::Money;

use super::*;

// ---------------------------------------------------------------------------------------------
// Entities.
// ---------------------------------------------------------------------------------------------

/// Structured values found in free text. Each list is deduplicated and in order of first
/// appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// Email addresses, lower-cased.
    pub emails: Vec<String>,
    /// Stripe charge (`ch_…`) and payment (`py_…`) ids, as written.
    pub charge_ids: Vec<String>,
    /// Stripe payment intent ids (`pi_…`), as written.
    pub payment_intents: Vec<String>,
    /// Order numbers from `#1234`, `order 1234`, `order number: A-1234` (without the `#`).
    pub order_ids: Vec<String>,
    /// Purchase ids from `purchase id abc123`, `purchase #1234`, or `pur_…`/`purchase_…` tokens.
    pub purchase_ids: Vec<String>,
    /// Amounts with an explicit currency: `$49`, `49.00 USD`, `€30`, `£1,299.99`, `350 dollars`.
    pub amounts: Vec<Money>,
}

/// Structured values in `text` (subject, body, or both). Never panics; reads at most
/// [`MAX_SCAN_CHARS`] characters.
pub fn extract_entities(text: &str) -> Entities {
    let text = clip(text, MAX_SCAN_CHARS);
    let mut e = Entities {
        emails: extract_emails(text),
        ..Entities::default()
    };
    e.charge_ids = stripe_ids(text, "ch_");
    e.charge_ids.extend(stripe_ids(text, "py_"));
    // Charge ids are listed in order of appearance, whichever prefix they carry.
    e.charge_ids.sort_by_key(|id| text.find(id.as_str()));
    e.payment_intents = stripe_ids(text, "pi_");
    e.order_ids = order_ids(text);
    e.purchase_ids = purchase_ids(text);
    e.amounts = amounts(text);
    e
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Email addresses, lower-cased, deduplicated, in order.
pub(crate) fn extract_emails(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        // Left: up to 64 local-part characters.
        let mut start = at;
        for (i, c) in text[..at].char_indices().rev().take(64) {
            if !is_local_char(c) {
                break;
            }
            start = i;
        }
        // Right: up to 253 domain characters.
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices().take(253) {
            if !is_domain_char(c) {
                break;
            }
            end = at + 1 + i + c.len_utf8();
        }
        let local = text[start..at].trim_start_matches('.');
        let domain = text[at + 1..end].trim_end_matches(['.', '-']);
        if local.is_empty() || domain.is_empty() || domain.contains("..") {
            continue;
        }
        let Some((_, tld)) = domain.rsplit_once('.') else {
            continue;
        };
        if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) || domain.starts_with('.')
        {
            continue;
        }
        push_unique(&mut out, format!("{local}@{domain}").to_ascii_lowercase());
    }
    out
}

/// Stripe-style ids: `prefix` at a word start, then at least 8 ASCII alphanumerics.
fn stripe_ids(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (pos, _) in text.match_indices(prefix) {
        let boundary = text[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if !boundary {
            continue;
        }
        let rest = &text[pos + prefix.len()..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
            .map_or(rest.len(), |(i, _)| i);
        if (8..=64).contains(&len) {
            push_unique(&mut out, format!("{prefix}{}", &rest[..len]));
        }
    }
    out
}

/// Whitespace-separated words with surrounding punctuation trimmed (keeping `#`, `-`, `_`
/// inside), paired with their lower-cased form.
pub(super) fn words(text: &str) -> Vec<(String, String)> {
    text.split_whitespace()
        .map(|t| {
            let w = t
                .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '#')
                .trim_end_matches(|c: char| !c.is_alphanumeric());
            (w.to_owned(), w.to_lowercase())
        })
        .filter(|(w, _)| !w.is_empty())
        .collect()
}

/// An identifier-looking word: 3 to 40 characters of ASCII letters, digits, `-` or `_`, with
/// at least one digit.
fn id_like(word: &str) -> Option<String> {
    let w = word.trim_start_matches('#');
    let ok = (3..=40).contains(&w.len())
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| w.to_owned())
}

/// The id following a keyword: `order 1234`, `order #1234`, `order number: 1234`,
/// `order no. 1234`, `order id A-1234`.
fn ids_after(text: &str, keywords: &[&str]) -> Vec<String> {
    const FILLERS: &[&str] = &[
        "number",
        "no",
        "nr",
        "num",
        "id",
        "ref",
        "reference",
        "#",
        "is",
        "was",
    ];
    let ws = words(text);
    let mut out = Vec::new();
    for (i, (_, lower)) in ws.iter().enumerate() {
        if !keywords.contains(&lower.as_str()) {
            continue;
        }
        let mut j = i + 1;
        while j < ws.len() && j <= i + 3 && FILLERS.contains(&ws[j].1.as_str()) {
            j += 1;
        }
        if let Some(id) = ws.get(j).and_then(|(w, _)| id_like(w)) {
            push_unique(&mut out, id);
        }
    }
    out
}

fn order_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // "#1234": a hash at a word start followed by an id with a digit.
    for (w, _) in words(text) {
        if w.starts_with('#')
            && let Some(id) = id_like(&w)
        {
            push_unique(&mut out, id);
        }
    }
    for id in ids_after(text, &["order", "orders"]) {
        push_unique(&mut out, id);
    }
    // A hash id that is really a purchase id ("purchase #1234") is reported there instead.
    let purchases = ids_after(text, &["purchase"]);
    out.retain(|id| !purchases.contains(id) || ids_after(text, &["order"]).contains(id));
    out
}

fn purchase_ids(text: &str) -> Vec<String> {
    let mut out = ids_after(text, &["purchase"]);
    out.retain(|id| id.len() >= 4);
    for (w, lower) in words(text) {
        if (lower.starts_with("pur_") || lower.starts_with("purchase_"))
            && w.len() > 6
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            push_unique(&mut out, w);
        }
    }
    out
}

/// Currency symbols and codes we recognise, with the ISO code they mean.
const SYMBOLS: &[(&str, &str)] = &[
    ("US$", "usd"),
    ("CA$", "cad"),
    ("C$", "cad"),
    ("A$", "aud"),
    ("AU$", "aud"),
    ("$", "usd"),
    ("\u{20AC}", "eur"),
    ("\u{00A3}", "gbp"),
    ("\u{20B9}", "inr"),
];

const CODES: &[(&str, &str)] = &[
    ("usd", "usd"),
    ("dollars", "usd"),
    ("dollar", "usd"),
    ("bucks", "usd"),
    ("eur", "eur"),
    ("euro", "eur"),
    ("euros", "eur"),
    ("gbp", "gbp"),
    ("pounds", "gbp"),
    ("cad", "cad"),
    ("aud", "aud"),
    ("inr", "inr"),
    ("rupees", "inr"),
];

/// Amounts with an explicit currency, in minor units (all supported currencies have two
/// decimals).
pub(super) fn amounts(text: &str) -> Vec<Money> {
    let mut out: Vec<Money> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts_number {
            i += 1;
            continue;
        }
        let (minor, end) = parse_number(text, i);
        let before = text[..i].trim_end_matches(' ');
        let after = text[end..].trim_start_matches(' ');
        let symbol_before = SYMBOLS
            .iter()
            .find(|(s, _)| before.ends_with(s))
            .map(|(_, c)| *c);
        let symbol_after = SYMBOLS
            .iter()
            .filter(|(s, _)| *s != "$")
            .find(|(s, _)| after.starts_with(s))
            .map(|(_, c)| *c);
        let code = |s: &str, at_end: bool| -> Option<&'static str> {
            let word: String = if at_end {
                s.chars()
                    .rev()
                    .take_while(char::is_ascii_alphabetic)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect()
            } else {
                s.chars().take_while(char::is_ascii_alphabetic).collect()
            };
            let word = word.to_ascii_lowercase();
            CODES.iter().find(|(w, _)| *w == word).map(|(_, c)| *c)
        };
        let currency = symbol_before
            .or(symbol_after)
            .or_else(|| code(after, false))
            .or_else(|| {
                // "USD 49" but not "usd49abc": a code right before, separated by a space.
                (before.len() < text[..i].len())
                    .then(|| code(before, true))
                    .flatten()
            });
        if let (Some(minor), Some(cur)) = (minor, currency)
            && let Ok(m) = Money::new(minor, cur)
            && !out.contains(&m)
        {
            out.push(m);
        }
        i = end.max(i + 1);
    }
    out
}

/// Parses `1,299.99`, `49`, `49.5`, `49,00` at byte `start` into minor units. Returns the
/// amount (None when absurdly long) and the byte index after the number.
fn parse_number(text: &str, start: usize) -> (Option<i64>, usize) {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut int_digits = String::new();
    let mut frac_digits = String::new();
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            int_digits.push(b as char);
            i += 1;
        } else if b == b','
            && bytes
                .get(i + 1..i + 4)
                .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
            && !bytes.get(i + 4).is_some_and(u8::is_ascii_digit)
        {
            // Thousands separator: exactly three digits follow.
            i += 1;
        } else {
            break;
        }
    }
    if i < bytes.len()
        && (bytes[i] == b'.' || bytes[i] == b',')
        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
    {
        let mut j = i + 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            frac_digits.push(bytes[j] as char);
            j += 1;
        }
        if frac_digits.len() <= 2 {
            i = j;
        } else {
            frac_digits.clear();
        }
    }
    if int_digits.len() > 13 {
        return (None, i);
    }
    let whole: i64 = int_digits.parse().unwrap_or(0);
    let cents: i64 = match frac_digits.len() {
        0 => 0,
        1 => frac_digits.parse::<i64>().unwrap_or(0) * 10,
        _ => frac_digits.parse().unwrap_or(0),
    };
    (whole.checked_mul(100).and_then(|w| w.checked_add(cents)), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_found_and_lowercased() {
        let e = extract_entities("Move it to Jo.Smith+work@Example.co.uk. Old: a@b.io, a@b.io");
        assert_eq!(e.emails, vec!["jo.smith+work@example.co.uk", "a@b.io"]);
        assert!(
            extract_entities("@@@ a@b @x.com user@.com u@d.c")
                .emails
                .is_empty()
        );
    }

    #[test]
    fn stripe_ids() {
        let e = extract_entities(
            "charge ch_3MmlLrLkdIwHu7ix0snN0B15 and py_1AbCdEfGhIjK, intent pi_3Nabcdefgh12. \
             not xch_12345678 nor ch_short",
        );
        assert_eq!(
            e.charge_ids,
            vec!["ch_3MmlLrLkdIwHu7ix0snN0B15", "py_1AbCdEfGhIjK"]
        );
        assert_eq!(e.payment_intents, vec!["pi_3Nabcdefgh12"]);
    }

    #[test]
    fn order_and_purchase_ids() {
        let e = extract_entities("Where is order #85632? Also order number: A-1234 and order 77");
        assert_eq!(e.order_ids, vec!["85632", "A-1234"]);
        let e = extract_entities("My purchase id is pur_abc123 (purchase #98765).");
        assert_eq!(e.purchase_ids, vec!["pur_abc123", "98765"]);
        assert!(e.order_ids.is_empty());
        assert!(
            extract_entities("# Heading and #hashtag")
                .order_ids
                .is_empty()
        );
    }

    #[test]
    fn amounts_with_currency() {
        let e = extract_entities(
            "I paid $49, then 49.00 USD, €30, £1,299.99, 30 EUR, USD 12.5 and refunding 350 dollars",
        );
        let got: Vec<String> = e.amounts.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            vec![
                "49.00 USD",
                "30.00 EUR",
                "1299.99 GBP",
                "12.50 USD",
                "350.00 USD"
            ]
        );
        assert!(
            extract_entities("I have 3 questions about module 12")
                .amounts
                .is_empty()
        );
        assert!(
            extract_entities("$99999999999999999999999")
                .amounts
                .is_empty()
        );
    }
}

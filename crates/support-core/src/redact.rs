//! PII redaction for exports: email addresses become `[EMAIL]`, card numbers `[CARD]` and
//! phone numbers `[PHONE]`. Emails go first (their digits must not look like a phone), and
//! card numbers are recognised before phone numbers so a 16-digit card is never partly a
//! phone (peer checks 55–57). Deliberately eager: a long run of digits that is neither is
//! redacted as a phone rather than leaked.

/// Characters of an email's local part.
fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// Characters of an email's domain.
fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Replaces every email address with `[EMAIL]`.
pub fn redact_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // Everything before `emitted` has been copied or replaced.
    let mut emitted = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > emitted && local_char(chars[start - 1]) {
            start -= 1;
        }
        // A local part does not start with a dot.
        while start < i && chars[start] == '.' {
            start += 1;
        }
        let mut end = i + 1;
        while end < chars.len() && domain_char(chars[end]) {
            end += 1;
        }
        // Trailing dots and hyphens end the sentence, not the domain.
        while end > i + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[i + 1..end].iter().collect();
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
        if start < i && tld_ok {
            out.extend(&chars[emitted..start]);
            out.push_str("[EMAIL]");
            emitted = end;
            i = end;
        } else {
            i += 1;
        }
    }
    out.extend(&chars[emitted.min(chars.len())..]);
    out
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces card numbers (13-19 digits, optionally grouped by single spaces or dashes) with
/// `[CARD]`, then phone numbers (10-15 digits with the usual separators `( ) - . +` and
/// spaces) with `[PHONE]`. Digits glued to letters (`ch_3Nx…`, `v2`) are left alone.
pub fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < n {
        let c = chars[i];
        let boundary = i == 0 || !word_char(chars[i - 1]);
        let opens = c.is_ascii_digit()
            || (matches!(c, '+' | '(') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()));
        if !(boundary && opens) {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        let mut digits = 0usize;
        let mut last_digit_end = i;
        let mut card_separators = true;
        let mut run_of_separators = 0;
        // Separators count against a card only once a digit follows them.
        let mut pending_non_card = false;
        while j < n {
            let ch = chars[j];
            if ch.is_ascii_digit() {
                if pending_non_card {
                    card_separators = false;
                }
                pending_non_card = false;
                digits += 1;
                j += 1;
                last_digit_end = j;
                run_of_separators = 0;
            } else if matches!(ch, ' ' | '-' | '.' | '(' | ')') || (ch == '+' && j == i) {
                run_of_separators += 1;
                if run_of_separators > 2 {
                    break;
                }
                if !matches!(ch, ' ' | '-') || run_of_separators > 1 {
                    pending_non_card = true;
                }
                j += 1;
            } else {
                break;
            }
        }
        let end = last_digit_end;
        // A number glued to a following word (`12345abc`) is an identifier, not PII.
        let glued = chars.get(end).is_some_and(|&c| word_char(c));
        if !glued && (13..=19).contains(&digits) && card_separators && c != '(' && c != '+' {
            out.push_str("[CARD]");
        } else if !glued && (10..=15).contains(&digits) {
            out.push_str("[PHONE]");
        } else {
            out.extend(&chars[i..end.max(i + 1)]);
            i = end.max(i + 1);
            continue;
        }
        i = end;
    }
    out
}

/// Emails, then cards, then phone numbers.
pub fn redact(text: &str) -> String {
    redact_numbers(&redact_emails(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(redact("Contact me at jo@x.com"), "Contact me at [EMAIL]");
        assert_eq!(
            redact("mail first.last+tag@mail.example.co.uk."),
            "mail [EMAIL]."
        );
        assert_eq!(redact("a@b and c@d.io"), "a@b and [EMAIL]");
        assert_eq!(redact("@handle says hi"), "@handle says hi");
        assert_eq!(redact("x@y.com,z@w.org"), "[EMAIL],[EMAIL]");
        assert_eq!(redact("Ünïcode ok jo@x.com é"), "Ünïcode ok [EMAIL] é");
    }

    #[test]
    fn phones() {
        for p in [
            "(555) 123-4567",
            "555-123-4567",
            "+1 555 123 4567",
            "5551234567",
            "555.123.4567",
        ] {
            assert_eq!(redact(&format!("call {p} now")), "call [PHONE] now", "{p}");
        }
        assert_eq!(redact("Call me: 555-123-4567."), "Call me: [PHONE].");
    }

    #[test]
    fn cards_before_phones() {
        for c in [
            "4532-1234-5678-9012",
            "4532 1234 5678 9012",
            "4532123456789012",
            "378282246310005",
        ] {
            assert_eq!(
                redact(&format!("card {c} please")),
                "card [CARD] please",
                "{c}"
            );
        }
    }

    #[test]
    fn other_numbers_and_ids_stay() {
        for s in [
            "I paid 49.99 on 2024-01-15",
            "order 12345",
            "charge ch_3NxAbc1234567890123 refunded",
            "version v1234567890",
            "pur_123456789012",
            "2 + 2 = 4",
            "(see page 4)",
        ] {
            assert_eq!(redact(s), s, "{s}");
        }
    }

    #[test]
    fn everything_together() {
        assert_eq!(
            redact("Jo (jo@x.com, +1 555 123 4567) paid with 4532 1234 5678 9012."),
            "Jo ([EMAIL], [PHONE]) paid with [CARD]."
        );
    }
}

//! Peer study, checks 55-59: PII redaction (`support_core::redact`), the one function behind
//! every export.

use proptest::prelude::*;
use support_core::redact::{Redactor, redact};

#[test]
fn check_55_an_email_becomes_email() {
    assert_eq!(redact("Contact me at jo@x.com"), "Contact me at [EMAIL]");
    assert_eq!(
        Redactor::new(["Jo"]).redact("Contact me at jo@x.com"),
        "Contact me at [EMAIL]",
        "a known name inside the address does not split it"
    );
}

#[test]
fn check_56_phone_numbers_become_phone() {
    for p in [
        "(555) 123-4567",
        "555-123-4567",
        "+1 555 123 4567",
        "5551234567",
    ] {
        assert_eq!(redact(p), "[PHONE]", "{p}");
        assert_eq!(redact(&format!("call {p} now")), "call [PHONE] now", "{p}");
    }
}

#[test]
fn check_57_cards_become_card_never_partly_phone() {
    for c in [
        "4532-1234-5678-9012",
        "4532 1234 5678 9012",
        "4532123456789012",
    ] {
        assert_eq!(redact(c), "[CARD]", "{c}");
        let out = redact(&format!("my card is {c}, call 555-123-4567"));
        assert_eq!(out, "my card is [CARD], call [PHONE]", "{c}");
    }
}

#[test]
fn check_58_known_names_case_insensitive_and_safe() {
    let r = Redactor::new(["J.R.", "O'Neil(l)", "Zoë", "María José", "Jane Doe"]);
    for (text, want) in [
        ("Thanks J.R., and j.r. too", "Thanks [NAME], and [NAME] too"),
        // The dots are dots, not "any character".
        ("JxRx and J-R- stay", "JxRx and J-R- stay"),
        ("o'neil(l) wrote; O'NEIL(L) too", "[NAME] wrote; [NAME] too"),
        ("ZOË, zoë and Zoë", "[NAME], [NAME] and [NAME]"),
        ("Zoëlle is someone else", "Zoëlle is someone else"),
        ("MARÍA JOSÉ here, José's", "[NAME] here, [NAME]'s"),
        ("Jane Doe, jane, DOE", "[NAME], [NAME], [NAME]"),
        ("Jane\n  Doe", "[NAME]"),
        ("Janet doesn't know Doeville", "Janet doesn't know Doeville"),
    ] {
        assert_eq!(r.redact(text), want, "{text}");
    }
    // The local part of a known address names the customer too.
    let r = Redactor::new(["jane.doe@example.com"]);
    assert_eq!(
        r.redact("Regards, jane.doe (Jane) <jane.doe@example.com>"),
        "Regards, [NAME] ([NAME]) <[EMAIL]>"
    );
    // No names: the same as `redact`.
    let empty: [&str; 0] = [];
    let text = "Jane paid 4532123456789012";
    assert_eq!(Redactor::new(empty).redact(text), redact(text));
}

const FILLER: &[&str] = &[
    "hi", "the", "refund", "please", "order", "thanks", "call", "me", "at", "my", "is", "and",
    "or", "charged", "twice", "help", "über", "café", "—", "!", "?", "(", ")", "-", ":", ",", ".",
];

/// Lowercase as the redactor compares, char by char.
fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `needle` stands in `hay` as a word of its own (case-insensitive).
fn contains_word(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (lower(hay), lower(needle));
    let starts_word = needle.chars().next().is_some_and(word_char);
    let ends_word = needle.chars().last().is_some_and(word_char);
    hay.match_indices(&needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        let glued_before = starts_word && before.is_some_and(word_char);
        let glued_after = ends_word && after.is_some_and(word_char);
        !glued_before && !glued_after
    })
}

fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n).prop_map(|d| d.iter().map(u8::to_string).collect())
}

fn email() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,8}([._+-][a-z0-9]{1,8})?@[a-z0-9]{1,8}(\\.[a-z0-9]{1,8})?\\.[a-z]{2,6}"
}

fn card() -> impl Strategy<Value = String> {
    (digits(16), 0..4usize, digits(15)).prop_map(|(d, style, amex)| match style {
        0 => d,
        1 => format!("{} {} {} {}", &d[..4], &d[4..8], &d[8..12], &d[12..]),
        2 => format!("{}-{}-{}-{}", &d[..4], &d[4..8], &d[8..12], &d[12..]),
        _ => format!("{} {} {}", &amex[..4], &amex[4..10], &amex[10..]),
    })
}

fn phone() -> impl Strategy<Value = String> {
    (digits(10), 0..6usize).prop_map(|(d, style)| {
        let (a, b, c) = (&d[..3], &d[3..6], &d[6..]);
        match style {
            0 => format!("({a}) {b}-{c}"),
            1 => format!("{a}-{b}-{c}"),
            2 => format!("+1 {a} {b} {c}"),
            3 => d.clone(),
            4 => format!("{a}.{b}.{c}"),
            _ => format!("+44 {} {} {}", &d[..2], &d[2..6], &d[6..]),
        }
    })
}

/// A known name: one with characters a regex would read, or a random one or two words.
fn name() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "J.R.",
        "O'Neil(l)",
        "Zoë",
        "María José",
        "Jean-Luc Picard",
        "d'Artagnan",
        "A+ Student",
        "Ng [Bo]",
    ])
    .prop_map(str::to_owned);
    let random = "[A-ZÉÖ][a-zéëöñç]{1,7}( [A-Z][a-zéëöñç]{1,7})?".prop_filter(
        "not a placeholder word",
        |n| {
            n.split(' ')
                .all(|w| !["email", "card", "phone", "name"].contains(&lower(w).as_str()))
        },
    );
    prop_oneof![tricky, random]
}

/// What is planted: the value as written in the text.
#[derive(Debug, Clone)]
enum Plant {
    Filler(String),
    Email(String),
    Card(String),
    Phone(String),
    /// Index into the known names, which part (0 = all of it), case style, trailing text.
    Name(usize, usize, u8, &'static str),
    /// The local part of the known email, as a signature.
    Local,
}

fn plant() -> impl Strategy<Value = Plant> {
    prop_oneof![
        4 => prop::sample::select(FILLER).prop_map(|w| Plant::Filler(w.to_owned())),
        1 => email().prop_map(Plant::Email),
        1 => card().prop_map(Plant::Card),
        1 => phone().prop_map(Plant::Phone),
        2 => (0..3usize, 0..3usize, 0..3u8, prop::sample::select(vec!["", ",", ".", "'s", "!"]))
            .prop_map(|(n, part, case, tail)| Plant::Name(n, part, case, tail)),
        1 => Just(Plant::Local),
    ]
}

fn cased(s: &str, style: u8) -> String {
    match style {
        0 => s.to_owned(),
        1 => s.to_uppercase(),
        _ => s.to_lowercase(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Check 59: random texts with emails, cards, phones and the customer's names among filler
    /// words; none of the planted values survives.
    #[test]
    fn check_59_nothing_planted_survives(
        names in proptest::collection::vec(name(), 3),
        known_email in email(),
        plants in proptest::collection::vec(plant(), 1..40),
    ) {
        let mut known: Vec<String> = names.clone();
        known.push(known_email.clone());
        let local = known_email.split('@').next().unwrap_or_default().to_owned();

        let mut text = Vec::new();
        let mut emails = vec![known_email.clone()];
        for p in &plants {
            match p {
                Plant::Filler(w) => text.push(w.clone()),
                Plant::Email(e) => {
                    emails.push(e.clone());
                    text.push(e.clone());
                }
                Plant::Card(v) | Plant::Phone(v) => text.push(v.clone()),
                Plant::Name(n, part, case, tail) => {
                    let name = &names[*n];
                    let parts: Vec<&str> =
                        name.split(' ').filter(|w| letters(w) >= 2).collect();
                    let chosen = match part {
                        0 => name.as_str(),
                        k => parts.get(k - 1).copied().unwrap_or(name),
                    };
                    text.push(format!("{}{tail}", cased(chosen, *case)));
                }
                // A local part with fewer than two letters ("a1") is not a name.
                Plant::Local if letters(&local) >= 2 => text.push(local.clone()),
                Plant::Local => text.push(known_email.clone()),
            }
        }
        let text = text.join(" ");
        let out = Redactor::new(&known).redact(&text);

        prop_assert!(!out.chars().any(|c| c.is_ascii_digit()), "digits left in {out:?} from {text:?}");
        prop_assert!(!out.contains('@'), "an address left in {out:?} from {text:?}");
        for e in &emails {
            prop_assert!(!lower(&out).contains(&lower(e)), "{e} left in {out:?}");
        }
        for name in &names {
            prop_assert!(!contains_word(&out, name), "{name} left in {out:?} from {text:?}");
            for part in name.split(' ').filter(|w| letters(w) >= 2) {
                prop_assert!(!contains_word(&out, part), "{part} left in {out:?} from {text:?}");
            }
        }
        if letters(&local) >= 2 {
            prop_assert!(!contains_word(&out, &local), "{local} left in {out:?} from {text:?}");
        }
    }

    /// Check 59: ordinary text with no PII, even with numbers next to each other, comes back
    /// unchanged, with known names that it does not contain.
    #[test]
    fn check_59_text_without_pii_is_unchanged(
        words in proptest::collection::vec(
            prop_oneof![
                prop::sample::select(FILLER).prop_map(str::to_owned),
                "ch_3Nx[A-Za-z0-9]{3,16}",
                "pur_[0-9]{6,14}",
                "#[0-9]{1,6}",
                "\\$[0-9]{1,4}\\.[0-9]{2}",
                "[0-9]{1,3}\\.[0-9]{2} EUR",
                "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
                "page [0-9]{1,3}",
                "[0-9]{1,2}x",
                "v[0-9]{1,2}\\.[0-9]{1,2}",
            ],
            0..30,
        ),
    ) {
        let text = words.join(" ");
        prop_assert_eq!(redact(&text), text.clone());
        let known = ["Jane Doe", "jane.doe@example.com"];
        prop_assert_eq!(Redactor::new(known).redact(&text), text);
    }
}

#[test]
fn check_59_the_listed_ordinary_values_stay() {
    let text = "Charge ch_3Nx123 for order #1234 of $49.00 on 2026-12-07, see page 4.";
    assert_eq!(redact(text), text);
    assert_eq!(Redactor::new(["Jane Doe"]).redact(text), text);
}

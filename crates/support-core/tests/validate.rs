//! The draft validator: the peer's acceptance checks 40–44 (notes/peer-skillrecordings-support.md
//! §17) exactly, ordinary replies that must pass clean, claims against knowledge and ground
//! truth, quoted text, and multibyte text.

use support_core::validate::{
    FindingKind, GroundTruth, MAX_CHARS, MAX_CHECKED_CHARS, MIN_CHARS, Severity, Validation, rules,
    score, validate,
};

const NONE: &[&str] = &[];

fn check(draft: &str) -> Validation {
    validate(draft, NONE, &GroundTruth::default())
}

fn rules_of(v: &Validation) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.rule).collect()
}

/// Exactly one finding, of this kind, rule and severity.
fn only(v: &Validation, kind: FindingKind, rule: &str, severity: Severity) {
    assert_eq!(v.findings.len(), 1, "{:#?}", v.findings);
    let f = &v.findings[0];
    assert_eq!(
        (f.kind, f.rule, f.severity),
        (kind, rule, severity),
        "{f:?}"
    );
}

// --- Check 40: banned phrases are flagged, not auto-sendable -------------------------------

#[test]
fn check_40_banned_phrases() {
    let cases = [
        (
            "I reset your access—you can log in again now.",
            rules::BANNED_EM_DASH,
            "access—you",
        ),
        (
            "Great! Your access has been restored.",
            rules::BANNED_GREAT_OPENER,
            "Great!",
        ),
        (
            "Your new login link is below. I hope this helps.",
            rules::BANNED_PHRASE,
            "hope this helps",
        ),
        (
            "Happy to help with this. Your new login link is below.",
            rules::BANNED_PHRASE,
            "Happy to help",
        ),
        (
            "Thanks for reaching out. Your new login link is below.",
            rules::BANNED_PHRASE,
            "Thanks for reaching out",
        ),
        (
            "I apologize for any inconvenience. Your course access is restored.",
            rules::BANNED_PHRASE,
            "I apologize for any inconvenience",
        ),
    ];
    for (draft, rule, excerpt) in cases {
        let v = check(draft);
        only(&v, FindingKind::BannedPhrase, rule, Severity::Warning);
        assert!(
            v.findings[0].matched.contains(excerpt),
            "{draft}: {:?}",
            v.findings[0]
        );
        assert!(v.valid, "{draft}");
        assert!(!v.auto_sendable, "{draft}");
        assert_eq!(v.score, 0.9, "{draft}");
    }
}

#[test]
fn the_rest_of_the_banned_list() {
    for phrase in [
        "I'd recommend starting over.",
        "I’d suggest clearing your cache.",
        "I would recommend the second course.",
        "I understand this is frustrating.",
        "I hear you, that is annoying.",
        "Thank you for sharing the screenshot.",
        "Let me know if you have any other questions.",
        "Don't hesitate to write back.",
        "Please feel free to reach out again.",
    ] {
        let v = check(&format!("Your access is restored. {phrase}"));
        assert_eq!(
            v.of_kind(FindingKind::BannedPhrase).count(),
            1,
            "{phrase}: {:#?}",
            v.findings
        );
        assert!(v.valid && !v.auto_sendable, "{phrase}");
    }
    let v = check("Great question! The course is self-paced.");
    only(
        &v,
        FindingKind::BannedPhrase,
        rules::BANNED_GREAT_OPENER,
        Severity::Warning,
    );
    assert_eq!(v.findings[0].matched, "Great question");
    // "Great" elsewhere, and an en dash in a range, are fine.
    let v = check("That sounds great! Lessons 1–3 are free to preview.");
    assert!(
        v.of_kind(FindingKind::BannedPhrase).next().is_none(),
        "{:#?}",
        v.findings
    );
}

// --- Check 41: internal leaks are blocked --------------------------------------------------

#[test]
fn check_41_internal_leaks() {
    for (draft, excerpt) in [
        (
            "No instructor configured for this app",
            "No instructor configured",
        ),
        (
            "We hit an API error while looking up your purchase, sorry about that.",
            "API error",
        ),
    ] {
        let v = check(draft);
        only(
            &v,
            FindingKind::InternalLeak,
            rules::LEAK_PHRASE,
            Severity::Error,
        );
        assert_eq!(v.findings[0].matched, excerpt);
        assert!(!v.valid && !v.auto_sendable, "{draft}");
        assert_eq!(v.score, 0.7);
    }
}

#[test]
fn other_leaks() {
    let cases = [
        ("The lookup tool failed. App not found.", rules::LEAK_PHRASE),
        (
            "That request is outside the scope of what I can do.",
            rules::LEAK_PHRASE,
        ),
        (
            "I couldn't find that email in our system.",
            rules::LEAK_PHRASE,
        ),
        (
            "I've routed to the business development team.",
            rules::LEAK_PHRASE,
        ),
        (
            "According to the knowledge base, refunds are automatic.",
            rules::LEAK_PHRASE,
        ),
        ("The classifier put this under billing.", rules::LEAK_JARGON),
        (
            "My confidence score for this answer is 0.4.",
            rules::LEAK_JARGON,
        ),
        (
            "Per the policy engine, this refund is automatic.",
            rules::LEAK_JARGON,
        ),
        (
            "Category: support_refund, so here is your refund.",
            rules::LEAK_JARGON,
        ),
        ("Route escalate_human applies here.", rules::LEAK_JARGON),
        ("Your refund went to gift_card_7245904.", rules::LEAK_ID),
        (
            "Your charge ch_3MmlLrLkdIwHu7ix0snN0B15 was refunded.",
            rules::LEAK_ID,
        ),
        (
            "Reference 9b2f4c1e-8d3a-4f6b-a1c2-3e4d5f6a7b8c for your case.",
            rules::LEAK_ID,
        ),
        (
            "Result: {\"status\": \"refunded\", \"amount\": 4900}",
            rules::LEAK_JSON,
        ),
        (
            "Error at handler (src/index.js:42:13) while processing.",
            rules::LEAK_STACK_TRACE,
        ),
        (
            "Traceback (most recent call last): something broke",
            rules::LEAK_STACK_TRACE,
        ),
        (
            "thread 'main' panicked at src/main.rs:10:5",
            rules::LEAK_STACK_TRACE,
        ),
        (
            "Hi {{first_name}}, your access is back.",
            rules::LEAK_PLACEHOLDER,
        ),
        (
            "Hi [Customer Name], your access is back.",
            rules::LEAK_PLACEHOLDER,
        ),
        (
            "Hi undefined, your access is back.",
            rules::LEAK_PLACEHOLDER,
        ),
    ];
    for (draft, rule) in cases {
        let v = check(draft);
        assert!(!v.valid, "{draft}: {:#?}", v.findings);
        assert!(v.has(rule), "{draft}: {:#?}", v.findings);
        assert!(
            v.of_kind(FindingKind::InternalLeak)
                .all(|f| f.severity == Severity::Error),
            "{draft}"
        );
    }
}

#[test]
fn code_samples_and_links_are_not_leaks() {
    let draft = "You can turn on strict mode in tsconfig.json:\n\n```\n{\"compilerOptions\": {\"strict\": true}}\n```\n\nThe lesson is at https://example.com/lessons/strict_mode_2024_v2 if you want to rewatch it.";
    let v = check(draft);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
}

#[test]
fn an_address_with_underscores_is_not_an_identifier() {
    let draft = "Hi,\n\nI've moved your Portrait Drawing purchase to valentina_petrakis565@example.org. They can sign in with that address now.\n";
    let v = check(draft);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    // An identifier beside an address is still one.
    let v = check("Sent to ann@example.org, see cus_NffrFeUfNV2Hib.");
    assert!(!v.valid, "{:#?}", v.findings);
}

// --- Check 42: meta-commentary is blocked --------------------------------------------------

#[test]
fn check_42_meta_commentary() {
    let v = check("This is a vendor email pitching SEO services.");
    only(
        &v,
        FindingKind::MetaCommentary,
        rules::META_OPENING,
        Severity::Error,
    );
    assert_eq!(v.findings[0].matched, "This is a vendor");
    assert!(!v.valid);

    let v = check("I won't respond to this one since it is a pitch.");
    only(
        &v,
        FindingKind::MetaCommentary,
        rules::META_PHRASE,
        Severity::Error,
    );
    assert_eq!(v.findings[0].matched, "I won't respond");
    assert!(!v.valid);
}

#[test]
fn other_meta_commentary() {
    for draft in [
        "No response needed, this is an out-of-office reply.",
        "Here's a draft response for the customer:\n\nHi Sam, your link is below.",
        "The customer is asking for a refund on an old purchase.",
        "Flagging this to the team since it mentions a lawyer.",
        "Hi there,\n\nThis appears to be spam from a link builder.",
        "This looks like an automated notification, not a person.",
        "Internal note: check the Stripe dashboard first.",
    ] {
        let v = check(draft);
        assert!(
            v.of_kind(FindingKind::MetaCommentary).next().is_some(),
            "{draft}: {:#?}",
            v.findings
        );
        assert!(!v.valid, "{draft}");
    }
}

// --- Check 43: fabricated course structure is blocked --------------------------------------

#[test]
fn check_43_fabricated_modules() {
    let draft = "Start with Module 3, it covers generics in depth.";
    let v = check(draft);
    only(
        &v,
        FindingKind::Fabrication,
        rules::FABRICATED_REFERENCE,
        Severity::Error,
    );
    assert_eq!(v.findings[0].matched, "Module 3");
    assert!(!v.valid);

    // Allowed when a retrieved snippet mentions Module 3.
    let v = validate(
        draft,
        &["Module 3: Generics in depth. Covers constraints and inference."],
        &GroundTruth::default(),
    );
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    assert!(v.valid && v.auto_sendable);

    // Snippets that mention other modules do not vouch for this one.
    let v = validate(draft, &["Module 2 covers unions."], &GroundTruth::default());
    assert!(v.has(rules::FABRICATED_REFERENCE));
}

#[test]
fn other_fabrications() {
    for draft in [
        "Lesson 12 walks through the setup.",
        "Chapter three has the exercises.",
        "I'd start with the fundamentals section.",
        "Start with the basics module before anything else.",
    ] {
        let v = check(draft);
        assert!(
            v.has(rules::FABRICATED_REFERENCE),
            "{draft}: {:#?}",
            v.findings
        );
        assert!(!v.valid);
    }
    // Number words and digits are the same number.
    let v = validate(
        "Chapter three has the exercises.",
        &["Chapter 3 - Exercises"],
        &GroundTruth::default(),
    );
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    let v = validate(
        "Start with the fundamentals section, it is short.",
        &["The Fundamentals section introduces the type system."],
        &GroundTruth::default(),
    );
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
}

// --- Check 44: length and the score --------------------------------------------------------

#[test]
fn check_44_length_and_score() {
    let nine = "Thank you";
    assert_eq!(nine.chars().count(), 9);
    let v = check(nine);
    only(&v, FindingKind::Length, rules::TOO_SHORT, Severity::Warning);
    assert!(v.valid && !v.auto_sendable);
    assert_eq!(v.score, 0.9);

    let ten = "Thank you!";
    assert_eq!(ten.chars().count(), MIN_CHARS);
    assert!(check(ten).findings.is_empty());

    let long = "a".repeat(2001);
    let v = check(&long);
    only(&v, FindingKind::Length, rules::TOO_LONG, Severity::Warning);
    assert_eq!(v.findings[0].matched, "2001 characters");
    assert_eq!(v.score, 0.9);
    assert!(check(&"a".repeat(MAX_CHARS)).findings.is_empty());

    // The formula: 1 − 0.3 × errors − 0.1 × warnings − 0.02 × info, floored at 0.
    assert_eq!(score(0, 0, 0), 1.0);
    assert_eq!(score(1, 0, 0), 0.7);
    assert_eq!(score(0, 1, 0), 0.9);
    assert_eq!(score(0, 0, 1), 0.98);
    assert_eq!(score(2, 1, 0), 0.3);
    assert_eq!(score(1, 2, 3), 0.44);
    assert_eq!(score(3, 1, 0), 0.0);
    assert_eq!(score(4, 0, 0), 0.0);
    assert_eq!(score(usize::MAX, usize::MAX, usize::MAX), 0.0);

    // From a draft: one leak (error) and one banned phrase (warning).
    let v = check("Happy to help. The API error is fixed now.");
    assert_eq!(rules_of(&v), [rules::LEAK_PHRASE, rules::BANNED_PHRASE]);
    assert_eq!(v.score, 0.6);
    // Two leaks, a meta phrase and an em dash.
    let v = check("No response needed — tool failed and app not found.");
    assert_eq!(
        v.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        3,
        "{:#?}",
        v.findings
    );
    assert_eq!(v.score, 0.0);
}

#[test]
fn empty_drafts_are_errors() {
    for draft in ["", "   \n\t ", "> only a quote\n> of the customer"] {
        let v = check(draft);
        only(&v, FindingKind::Empty, rules::EMPTY, Severity::Error);
        assert!(!v.valid);
        assert_eq!(v.score, 0.7);
    }
}

#[test]
fn a_repeated_phrase_counts_once() {
    let v = check("Happy to help! Really, happy to help. HAPPY TO HELP.");
    assert_eq!(v.findings.len(), 1, "{:#?}", v.findings);
}

// --- Ordinary replies pass clean -----------------------------------------------------------

#[test]
fn good_replies_pass_clean() {
    let truth = GroundTruth {
        refund_window_days: Some(30),
        amounts_cents: vec![24_900],
    };
    let kb = [
        "Refunds: full refund within 30 days of purchase, no questions asked. Refunds reach the card in 5-10 business days.",
        "Pricing: Pro is $249 once; team licenses are 20% off for 5 seats or more.",
        "Module 4: Advanced generics.",
    ];
    let replies = [
        "Hi Sam,\n\nI've sent a fresh login link to sam@example.com. It works once, so open it on the device you want to use.\n\nJoel",
        "Hi Priya,\n\nYour refund for Total TypeScript is done. It reaches your card in 5-10 business days.\n\nMatt",
        "Hey Chris,\n\nYou're covered: we refund any purchase within 30 days of buying it, and you bought it last week. I've started the refund now.\n\nAlex",
        "Hi Dana,\n\nPro is $249, paid once. For five or more seats there's 20% off the team license.\n\nKent",
        "Hello,\n\nI moved your license to the new address, so you can log in with jo@work.com from now on. Your progress came with it.\n\nBest,\nSupport",
        "Hi Lee,\n\nThis is a known issue with Safari 17. Switching to Chrome or Firefox fixes the video player until Apple ships the patch.\n\nTaylor",
        "Hi Mo,\n\nModule 4 covers advanced generics, including conditional types. It's the right next step after what you've finished.\n\nMatt",
        "Hi Ana,\n\nOur refund policy covers this, and I've escalated the invoice question to our billing team. They'll reply on this thread.\n\nSam",
        "Hi Jo,\n\nYes, the course works offline: download the lessons from the player menu and they play without a connection.\n\nThanks,\nJoel",
        "Hi Ben,\n\nSorry about the double charge. I refunded the second one just now; you'll see it on your statement in 5-10 business days.\n\nKent",
        "Hi Kim,\n\nI can say with confidence that the exercises work on Windows too. If the install step fails, send me the output and I'll take a look.\n\nAlex",
        "Hi,\n\nYour invoice is attached, with the company name and VAT number you gave. If you need a different address on it, just reply with it.\n\nSupport",
        "Hi Ola,\n\nThank you! It's great to hear the course helped you land the job.\n\nMatt",
    ];
    for reply in replies {
        let v = validate(reply, &kb, &truth);
        assert!(v.findings.is_empty(), "{reply}\n{:#?}", v.findings);
        assert!(v.valid && v.auto_sendable);
        assert_eq!(v.score, 1.0);
    }
}

// --- Unsourced claims and ground truth -----------------------------------------------------

#[test]
fn prices_need_a_source() {
    let no_truth = GroundTruth::default();
    for draft in [
        "Pro costs $49.",
        "Pro costs $ 49.00 a year.",
        "Pro costs 49 USD.",
        "Pro costs 49 dollars.",
    ] {
        let v = validate(draft, NONE, &no_truth);
        only(
            &v,
            FindingKind::UnsourcedClaim,
            rules::UNSOURCED_PRICE,
            Severity::Error,
        );
        assert!(!v.valid, "{draft}");
        // The same amount in a snippet, written another way, is a source.
        let v = validate(draft, &["The Pro plan: $49"], &no_truth);
        assert!(v.findings.is_empty(), "{draft}: {:#?}", v.findings);
    }
    let v = validate("Pro costs $49.", &["The Pro plan: $59"], &no_truth);
    assert!(v.has(rules::UNSOURCED_PRICE));
    let truth = GroundTruth {
        amounts_cents: vec![4_900],
        ..GroundTruth::default()
    };
    assert!(
        validate("You paid $49.00 on March 3.", NONE, &truth)
            .findings
            .is_empty()
    );
    assert_eq!(
        validate("Pro costs $1,299.99 for teams.", NONE, &no_truth).findings[0].matched,
        "$1,299.99"
    );
}

#[test]
fn timelines_percentages_and_guarantees_are_warnings() {
    let none = GroundTruth::default();
    let cases = [
        (
            "You'll get it within 5 days.",
            rules::UNSOURCED_TIMELINE,
            "within 5 days",
        ),
        (
            "It takes 3-5 business days to arrive.",
            rules::UNSOURCED_TIMELINE,
            "takes 3-5 business days",
        ),
        (
            "We'll reply in 24 hours.",
            rules::UNSOURCED_TIMELINE,
            "in 24 hours",
        ),
        ("Teams get 20% off.", rules::UNSOURCED_PERCENTAGE, "20"),
        (
            "Teams get 12.5 percent off.",
            rules::UNSOURCED_PERCENTAGE,
            "12.5 percent",
        ),
        (
            "Every course comes with a guarantee.",
            rules::UNSOURCED_GUARANTEE,
            "guarantee",
        ),
        (
            "You keep lifetime access to the videos.",
            rules::UNSOURCED_GUARANTEE,
            "lifetime access",
        ),
    ];
    for (draft, rule, excerpt) in cases {
        let v = validate(draft, NONE, &none);
        only(&v, FindingKind::UnsourcedClaim, rule, Severity::Warning);
        assert!(
            v.findings[0].matched.contains(excerpt),
            "{draft}: {:?}",
            v.findings[0]
        );
        assert!(v.valid && !v.auto_sendable, "{draft}");
    }
    let kb = [
        "Shipping takes 3 to 5 business days; support replies within 24 hours. Teams save 20% and 12.5 percent on renewals. Every course has a 30-day guarantee and lifetime access.",
    ];
    for (draft, _, _) in cases {
        let v = validate(draft, &kb, &none);
        assert!(v.findings.is_empty(), "{draft}: {:#?}", v.findings);
    }
}

#[test]
fn refund_windows_must_match_the_ground_truth() {
    let truth = GroundTruth {
        refund_window_days: Some(30),
        ..GroundTruth::default()
    };
    for draft in [
        "You can get a full refund within 14 days of purchase.",
        "We have a 14-day refund window.",
        "Our refund window is 60 days, so you're fine.",
        "Refunds are available for two weeks after purchase.",
    ] {
        let v = validate(draft, NONE, &truth);
        only(
            &v,
            FindingKind::GroundTruth,
            rules::REFUND_WINDOW_MISMATCH,
            Severity::Error,
        );
        assert!(!v.valid, "{draft}");
    }
    for draft in [
        "You can get a full refund within 30 days of purchase.",
        "We have a 30-day refund window.",
        "Refunds reach your card in 5-7 business days.",
    ] {
        let v = validate(draft, NONE, &truth);
        assert!(
            v.of_kind(FindingKind::GroundTruth).next().is_none(),
            "{draft}: {:#?}",
            v.findings
        );
    }
    // A matching window is sourced by the truth; a processing time still needs a source.
    assert!(
        validate(
            "A full refund is possible within 30 days of purchase.",
            NONE,
            &truth
        )
        .findings
        .is_empty()
    );
    let v = validate("Refunds reach your card within 7 days.", NONE, &truth);
    assert_eq!(rules_of(&v), [rules::UNSOURCED_TIMELINE]);
    // Without a truth, a window is only an unsourced timeline.
    let v = validate(
        "You can get a full refund within 14 days of purchase.",
        NONE,
        &GroundTruth::default(),
    );
    assert_eq!(rules_of(&v), [rules::UNSOURCED_TIMELINE]);
}

// --- Quoted text, multibyte text -----------------------------------------------------------

#[test]
fn quoted_text_is_ignored() {
    let draft = "Hi Sam,\n\nYour access is back, the login link is in your inbox.\n\nJoel\n\n> On Monday Sam wrote:\n> I got an API error and the app said No instructor configured.\n> This is a vendor email? It said $49 within 5 days — 50% off, guaranteed!\n>> Module 7 is broken";
    let v = check(draft);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    assert!(v.auto_sendable);
    // Indented quotes too.
    assert!(
        check("Your access is back now.\n   > tool failed")
            .findings
            .is_empty()
    );
}

#[test]
fn multibyte_text_is_safe() {
    // Clean replies in other scripts, with emoji.
    for reply in [
        "こんにちは、ログインリンクを再送しました。よろしくお願いします。",
        "Hallo Jürgen, dein Zugang ist wieder freigeschaltet. Viele Grüße 🙂",
        "Olá! 👋 O seu acesso já está ativo de novo.",
        "Привет! Доступ к курсу восстановлен.",
    ] {
        let v = check(reply);
        assert!(v.findings.is_empty(), "{reply}: {:#?}", v.findings);
    }
    // Findings among multibyte text, with excerpts cut on character boundaries.
    let v = check("Désolé 😅 — API error pendant la vérification. Ça marche maintenant, ünd so.");
    assert!(
        v.has(rules::BANNED_EM_DASH) && v.has(rules::LEAK_PHRASE),
        "{:#?}",
        v.findings
    );
    let dash = v
        .findings
        .iter()
        .find(|f| f.rule == rules::BANNED_EM_DASH)
        .unwrap();
    assert!(
        dash.matched.contains('—') && dash.matched.contains('😅'),
        "{dash:?}"
    );

    // Lengths count characters, not bytes: 2,000 two-byte characters are not too long.
    let accents = "é".repeat(MAX_CHARS);
    assert_eq!(accents.len(), 2 * MAX_CHARS);
    assert!(check(&accents).findings.is_empty());
    let v = check(&"😀".repeat(MAX_CHARS + 1));
    assert_eq!(rules_of(&v), [rules::TOO_LONG]);
    assert_eq!(rules_of(&check("ünïcödé")), [rules::TOO_SHORT]);

    // A long multibyte line around a finding: the excerpt is cut, never split mid-character.
    let long = format!("{} tool failed {}", "日本語".repeat(100), "🙂".repeat(100));
    let v = check(&long);
    let leak = v
        .findings
        .iter()
        .find(|f| f.rule == rules::LEAK_PHRASE)
        .unwrap();
    assert_eq!(leak.matched, "tool failed");
    let json = format!("{} {{\"k\": 1}} {}", "é".repeat(60), "ü".repeat(60));
    let v = check(&json);
    let found = v
        .findings
        .iter()
        .find(|f| f.rule == rules::LEAK_JSON)
        .unwrap();
    assert!(found.matched.chars().count() <= 81, "{found:?}");
}

#[test]
fn odd_input_does_not_panic() {
    let odd = [
        "$",
        "$$$ 999999999999999999999999999",
        "%%%",
        "{\"",
        "{{",
        "```",
        "—",
        "> ",
        "\u{0}\u{FEFF}\u{202E}",
        "within 99999999999999999999 days",
        "_ __ ___ a_1 _123456",
        "module",
        "1.",
        "İstanbul İİİ", // lower-casing changes the byte length
    ];
    for draft in odd {
        let v = check(draft);
        assert!((0.0..=1.0).contains(&v.score), "{draft:?}");
    }
    // Hostile sizes cost linear time, not quadratic: one long sentence of refund windows,
    // prices, modules and ids, at the checked limit.
    for unit in [
        "refund 1 day of purchase ",
        "$1 ",
        "module 7 ",
        "cus_NffrFeUfNV2Hib ",
        "within 3 days ",
        "5% ",
    ] {
        let hostile = unit.repeat(MAX_CHECKED_CHARS / unit.len());
        let truth = GroundTruth {
            refund_window_days: Some(30),
            ..GroundTruth::default()
        };
        let v = validate(&hostile, &[hostile.as_str()], &truth);
        assert!(v.findings.len() <= 50, "{unit}");
    }
    let huge = "ok ".repeat(50_000);
    let v = check(&huge);
    assert!(v.has(rules::TOO_LONG_TO_CHECK));
    assert!(!v.valid);
}

#[test]
fn findings_serialise_as_names() {
    let v = check("Thank you");
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["valid"], true);
    assert_eq!(j["auto_sendable"], false);
    assert_eq!(j["score"], 0.9);
    assert_eq!(j["findings"][0]["kind"], "length");
    assert_eq!(j["findings"][0]["severity"], "warning");
    assert_eq!(j["findings"][0]["rule"], "too_short");
    assert_eq!(j["findings"][0]["matched"], "9 characters");
}

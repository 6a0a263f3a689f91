//! Signals and entities through the public API.

use support_core::signals::{Signal, detect, extract_entities};

const CUSTOMER: &str = "customer@example.com";

fn signals(body: &str) -> Vec<Signal> {
    detect("", body, CUSTOMER)
}

fn has(body: &str, s: Signal) -> bool {
    signals(body).contains(&s)
}

#[test]
fn signal_serde_names() {
    for (s, name) in [
        (Signal::Angry, "angry"),
        (Signal::LegalThreat, "legal_threat"),
        (Signal::OutsidePolicyWindow, "outside_policy_window"),
        (Signal::AutomatedSender, "automated_sender"),
        (Signal::VendorOutreach, "vendor_outreach"),
        (Signal::TeamEnterprise, "team_enterprise"),
        (Signal::PersonalToInstructor, "personal_to_instructor"),
    ] {
        assert_eq!(s.as_str(), name);
        assert_eq!(serde_json::to_value(s).unwrap(), name);
        let back: Signal = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(back, s);
    }
}

#[test]
fn detect_reports_each_signal_once_in_a_fixed_order() {
    let s = detect(
        "Out of office",
        "THIS IS RIDICULOUS!!! My lawyer says I bought it 2 months ago. Worst service. Scam.",
        "noreply@example.com",
    );
    assert_eq!(
        s,
        vec![
            Signal::Angry,
            Signal::LegalThreat,
            Signal::OutsidePolicyWindow,
            Signal::AutomatedSender
        ]
    );
}

#[test]
fn angry() {
    for body in [
        "THIS IS RIDICULOUS",
        "I WANT MY MONEY BACK NOW",
        "Where is my refund???!!!",
        "This is the worst customer service I have ever had",
        "Your course is a scam",
        "Totally unacceptable.",
        "wtf, I paid and got nothing",
        "I'm sick and tired of waiting",
        "What a rip off",
        "Complete waste of money",
    ] {
        assert!(has(body, Signal::Angry), "{body}");
    }
    for body in [
        "Hi! Thanks for the great course!",
        "I can't log in, could you help?",
        "I use the AWS SDK and the API",
        "RE: Invoice",
        "I hate to bother you, but where is my invoice?",
        "",
    ] {
        assert!(!has(body, Signal::Angry), "{body}");
    }
}

#[test]
fn legal_threat() {
    for body in [
        "I will contact my lawyer",
        "My attorney will be in touch",
        "I'm going to take legal action",
        "I will sue you",
        "Expect a lawsuit",
        "I'll file a chargeback",
        "See you in small claims court",
        "I'm reporting this to consumer protection",
        "I've filed a complaint with the Better Business Bureau",
    ] {
        assert!(has(body, Signal::LegalThreat), "{body}");
    }
    for body in [
        "I'm a lawyer, will this course help me automate contracts?",
        "As an attorney I need an invoice",
        "Hi, this is Sue",
        "There is an issue with my login",
        "I'd like a refund please",
    ] {
        assert!(!has(body, Signal::LegalThreat), "{body}");
    }
}

#[test]
fn outside_policy_window() {
    for body in [
        "I bought it 6 weeks ago",
        "I purchased 45 days ago",
        "bought 2 months ago",
        "over a month ago",
        "I got it last year",
        "I bought it last March",
        "a couple of months ago",
        "a few months ago",
        "more than 30 days ago",
        "I bought this 3 months back",
        "two months ago",
        "about 5 weeks ago",
    ] {
        assert!(has(body, Signal::OutsidePolicyWindow), "{body}");
    }
    for body in [
        "I bought it last week",
        "yesterday",
        "3 days ago",
        "2 weeks ago",
        "a month ago",
        "30 days ago",
        "a few weeks ago",
        "I want my money back",
        "the 6 weeks course",
    ] {
        assert!(!has(body, Signal::OutsidePolicyWindow), "{body}");
    }
}

#[test]
fn automated_sender() {
    for from in [
        "noreply@x.com",
        "no-reply@x.com",
        "mailer-daemon@x.com",
        "MAILER-DAEMON@x.com",
        "postmaster@x.com",
        "Shop <noreply@shop.io>",
        "billing-noreply@x.com",
    ] {
        assert!(
            detect("Hi", "Hello", from).contains(&Signal::AutomatedSender),
            "{from}"
        );
    }
    for (subject, body) in [
        ("Auto-reply: Out of office", ""),
        ("Automatic reply: hello", ""),
        ("Hello", "I am out of the office until Monday."),
        ("Hello", "I'm out of the office."),
    ] {
        assert!(
            detect(subject, body, CUSTOMER).contains(&Signal::AutomatedSender),
            "{subject} / {body}"
        );
    }
    // A customer complaining about an auto-reply is not a machine.
    let body = "Hi, I wrote three times and only ever got an auto-reply. Where is my refund? \
                I really need an answer, this is the fourth time I write. Nobody gets back to \
                me and it is frustrating, I am out of the office next week myself.";
    assert!(!detect("Where is my refund", body, CUSTOMER).contains(&Signal::AutomatedSender));
    assert!(!detect("Hello", "Hi", "reply@x.com").contains(&Signal::AutomatedSender));
}

#[test]
fn vendor_outreach_only_without_an_email_address() {
    let pitch = "Partnership opportunity: we help creators grow your audience 10x.";
    assert!(has(pitch, Signal::VendorOutreach));
    assert!(!has(
        &format!("{pitch} Write to me at jo@agency.io"),
        Signal::VendorOutreach
    ));
    assert!(has(
        "Would you accept a guest post with a backlink?",
        Signal::VendorOutreach
    ));
    // A customer asking about SEO content is not a pitch.
    assert!(!has(
        "Does the course cover SEO for Next.js?",
        Signal::VendorOutreach
    ));
}

#[test]
fn team_enterprise() {
    for body in [
        "We're a team of 12",
        "We need 15 seats",
        "Can we pay with a purchase order?",
        "I need an invoice for my company",
        "Do you offer bulk pricing?",
        "Do you sell 10 licenses at a discount?",
        "a 10-person team",
        "Is there an enterprise plan?",
    ] {
        assert!(has(body, Signal::TeamEnterprise), "{body}");
    }
    for body in [
        "I want a refund",
        "Can I get an invoice for my purchase?",
        "I have 2 questions",
    ] {
        assert!(!has(body, Signal::TeamEnterprise), "{body}");
    }
}

#[test]
fn personal_to_instructor() {
    for body in [
        "Just wanted to say thank you, your course changed my life",
        "Big fan of your work!",
        "Please pass this on to Kent: thanks for everything",
        "Loved your talk at the conference",
    ] {
        assert!(has(body, Signal::PersonalToInstructor), "{body}");
    }
    for body in [
        "Big fan! But I can't log in to my account",
        "Love your work. How much is the team license?",
        "Thanks for the reply, I still need a refund",
    ] {
        assert!(!has(body, Signal::PersonalToInstructor), "{body}");
    }
}

#[test]
fn quoted_lines_are_not_the_customers_words() {
    let body = "Thanks, that worked.\n\n> On Monday you wrote:\n> THIS IS RIDICULOUS, my lawyer…";
    assert!(signals(body).is_empty(), "{:?}", signals(body));
}

#[test]
fn entities_emails() {
    let e = extract_entities("Please move it from Old.Me@Gmail.com to new.me+work@company.co.uk.");
    assert_eq!(
        e.emails,
        vec!["old.me@gmail.com", "new.me+work@company.co.uk"]
    );
    assert!(
        extract_entities("email me @ home, or at foo@bar")
            .emails
            .is_empty()
    );
}

#[test]
fn entities_stripe_ids() {
    let e = extract_entities(
        "Charge ch_3OaBcDeFgHiJkLmN, payment py_1XyZ12345678, intent pi_3QwErTy12345678.",
    );
    assert_eq!(e.charge_ids, vec!["ch_3OaBcDeFgHiJkLmN", "py_1XyZ12345678"]);
    assert_eq!(e.payment_intents, vec!["pi_3QwErTy12345678"]);
    assert!(
        extract_entities("rich_text and pi_ alone")
            .charge_ids
            .is_empty()
    );
}

#[test]
fn entities_order_ids() {
    let e =
        extract_entities("where do I download bill #85632? It's for order 4521, not order #4521");
    assert_eq!(e.order_ids, vec!["85632", "4521"]);
    let e = extract_entities("Order number: AB-99812 please");
    assert_eq!(e.order_ids, vec!["AB-99812"]);
    assert!(extract_entities("I ordered 2 things").order_ids.is_empty());
}

#[test]
fn entities_purchase_ids() {
    let e = extract_entities("purchase id: cl9x8y7z6000 and purchase_abc123456");
    assert_eq!(e.purchase_ids, vec!["cl9x8y7z6000", "purchase_abc123456"]);
    assert!(
        extract_entities("I want to purchase 3 licenses")
            .purchase_ids
            .is_empty()
    );
}

#[test]
fn entities_amounts() {
    let e = extract_entities("Charged $49 and then 49.00 USD again, plus €30 and £12.50");
    let got: Vec<String> = e.amounts.iter().map(ToString::to_string).collect();
    assert_eq!(got, vec!["49.00 USD", "30.00 EUR", "12.50 GBP"]);
    let m = &extract_entities("refund of $1,299.99 please").amounts[0];
    assert_eq!((m.amount, m.currency.as_str()), (129_999, "usd"));
    let e = extract_entities("I paid 30€ and 15 euros");
    let got: Vec<i64> = e.amounts.iter().map(|m| m.amount).collect();
    assert_eq!(got, vec![3_000, 1_500]);
    assert!(
        extract_entities("lesson 3, module 12, 2024")
            .amounts
            .is_empty()
    );
}

#[test]
fn entities_on_garbage_do_not_panic() {
    for text in [
        "",
        "@",
        "@@@@",
        "$",
        "$$$,,,...",
        "ch_",
        "#",
        "order",
        "order #",
        "€",
        "1,",
        "1,00",
        "\u{FFFD}@\u{FFFD}.com",
        "日本@例え.jp",
    ] {
        let _ = extract_entities(text);
    }
}

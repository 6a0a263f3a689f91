//! Every write names its object: one test per grounding outcome, through the pure `decide`
//! (rules brain, default policy), checking the proposal's verdict and what the decision
//! record says about how the object was resolved.
//!
//! Written after the grounding code was frozen, to measure it rather than shape it.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support_agent::decide::{Facts, ModelOpinion, Plan, decide};
use support_agent::request::RequestKind;
use support_core::classify::Category;
use support_core::policy::PolicyConfig;
use support_types::Email;
use support_types::Money;
use support_types::sdk::{SdkPurchase, SdkUser};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const ACCOUNT: &str = "acct_test";

fn purchase(id: &str, product: &str, days: i64, cents: i64, status: &str) -> SdkPurchase {
    SdkPurchase {
        id: id.into(),
        product_id: format!("prod_{id}"),
        product_name: product.into(),
        amount: Money::new(cents, "usd").expect("money"),
        purchased_at: NOW - days * DAY,
        status: status.into(),
        stripe_charge_id: Some(format!("ch_{id}_00000000")),
    }
}

fn facts(body: &str, purchases: Vec<SdkPurchase>) -> Facts {
    Facts {
        subject: "Help".into(),
        body: body.into(),
        from: "ann@example.com".into(),
        user: Some(SdkUser {
            id: "usr_ann".into(),
            email: Email::parse("ann@example.com").expect("email"),
            name: "Ann".into(),
        }),
        purchases,
        charges: BTreeMap::new(),
        knowledge: vec![],
        similar: vec![],
        responses: vec![],
        thread: Default::default(),
        learned: None,
        now: NOW,
    }
}

fn two() -> Vec<SdkPurchase> {
    vec![
        purchase("pur_sql", "Advanced SQL", 5, 14_900, "active"),
        purchase("pur_rust", "Rust Fundamentals", 8, 9_900, "active"),
    ]
}

fn plan(body: &str, purchases: Vec<SdkPurchase>) -> Plan {
    decide(
        &facts(body, purchases),
        &PolicyConfig::default(),
        Some(ACCOUNT),
        None,
    )
}

/// The decision record's proposals, as stored.
fn record(p: &Plan) -> Vec<Value> {
    serde_json::to_value(&p.proposals)
        .expect("json")
        .as_array()
        .cloned()
        .expect("array")
}

fn no_automatic_write(p: &Plan) -> bool {
    p.proposals.iter().all(|x| !x.verdict.is_auto())
}

#[test]
fn matched_by_name_refunds_that_purchase() {
    let p = plan(
        "Please refund the Rust Fundamentals course, it isn't for me.",
        two(),
    );
    let r = &record(&p)[0];
    assert_eq!(r["kind"], "refund");
    assert_eq!(r["verdict"]["verdict"], "auto", "{r}");
    assert_eq!(r["params"]["purchase_id"], "pur_rust");
    assert_eq!(
        r["grounding"],
        json!({"how": "by_name", "purchase_id": "pur_rust", "named": "Rust Fundamentals"})
    );
}

#[test]
fn matched_by_id_refunds_that_purchase() {
    let p = plan("Refund purchase pur_sql please.", two());
    let r = &record(&p)[0];
    assert_eq!(r["verdict"]["verdict"], "auto", "{r}");
    assert_eq!(r["params"]["purchase_id"], "pur_sql");
    assert_eq!(r["grounding"]["how"], "by_id");
}

#[test]
fn inferred_single_refunds_the_only_purchase() {
    let p = plan(
        "I'd like a refund please, it wasn't what I expected.",
        vec![purchase("pur_one", "Advanced SQL", 3, 14_900, "active")],
    );
    let r = &record(&p)[0];
    assert_eq!(r["verdict"]["verdict"], "auto", "{r}");
    assert_eq!(
        r["grounding"],
        json!({"how": "inferred_single", "purchase_id": "pur_one"})
    );
    assert!(p.draft.as_deref().unwrap_or("").contains("refunded"));
}

#[test]
fn named_not_owned_never_refunds_what_the_customer_does_own() {
    for body in [
        "Please refund my Kubernetes Masterclass purchase.",
        "Refund purchase pur_notmine99 please.",
        "I want a refund of the $250 I paid.",
    ] {
        let p = plan(body, two());
        assert!(no_automatic_write(&p), "{body}: {:?}", p.proposals);
        let r = &record(&p)[0];
        assert_eq!(r["grounding"]["how"], "named_not_owned", "{body}: {r}");
        assert_eq!(r["verdict"]["verdict"], "escalate", "{body}: {r}");
        assert_eq!(r["rule"], "object_not_grounded");
        assert!(p.escalates() || !p.proposals.is_empty());
    }
}

#[test]
fn third_party_is_never_acted_on_automatically() {
    for body in [
        "Please refund my husband's purchase, he didn't like it.",
        "Can you refund the course for my colleague? Her email is bo@corp.example",
    ] {
        let p = plan(
            body,
            vec![purchase("pur_tp", "Advanced SQL", 3, 14_900, "active")],
        );
        assert!(no_automatic_write(&p), "{body}: {:?}", p.proposals);
        assert_eq!(record(&p)[0]["grounding"]["how"], "third_party", "{body}");
    }
    // A sign-in link for someone else's account needs a person (magic links do not require
    // grounding by default, so the policy asks for an approval instead of escalating).
    let p = plan(
        "My colleague can't log in, please send her a login link.",
        two(),
    );
    let link = p
        .proposals
        .iter()
        .find(|x| x.request.kind() == RequestKind::MagicLink);
    if let Some(link) = link {
        assert!(!link.verdict.is_auto(), "{link:?}");
        assert_eq!(
            record(&p)[0]["grounding"]["how"],
            "third_party",
            "{:?}",
            p.proposals
        );
    }
}

#[test]
fn ambiguous_asks_which_purchase() {
    let p = plan("I want a refund please.", two());
    assert!(p.proposals.is_empty(), "{:?}", p.proposals);
    let draft = p.draft.expect("a reply that asks");
    assert!(draft.contains("Advanced SQL") && draft.contains("Rust Fundamentals"));
    assert_eq!(
        serde_json::to_value(&p.grounding).expect("json")["how"],
        "ambiguous"
    );
}

#[test]
fn a_second_refund_is_denied_not_moved_to_another_purchase() {
    let purchases = vec![
        purchase("pur_done", "Advanced SQL", 5, 14_900, "refunded"),
        purchase("pur_live", "Rust Fundamentals", 8, 9_900, "active"),
    ];
    let p = plan("Please refund Advanced SQL again.", purchases.clone());
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
    assert_eq!(record(&p)[0]["params"]["purchase_id"], "pur_done");
    assert_eq!(record(&p)[0]["verdict"]["verdict"], "deny");
    // Naming nothing next to an earlier refund is ambiguous, not the other purchase.
    let p = plan("Refund it please.", purchases);
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
}

#[test]
fn a_question_about_a_refund_is_not_a_refund() {
    for body in [
        "When will I see the refund on my card?",
        "What is your refund policy for courses?",
    ] {
        let p = plan(
            body,
            vec![purchase("pur_q", "Advanced SQL", 3, 14_900, "active")],
        );
        assert!(p.proposals.is_empty(), "{body}: {:?}", p.proposals);
    }
}

#[test]
fn a_model_cannot_pick_another_purchase_than_the_message_names() {
    let f = facts("Please refund the Rust Fundamentals course.", two());
    let opinion = ModelOpinion {
        category: Category::SupportRefund,
        confidence: 0.95,
        reasoning: "refund".into(),
        action: Some(RequestKind::Refund),
        purchase_id: Some("pur_sql".into()),
        transfer_to: None,
        draft: None,
        model: "fake/model".into(),
    };
    let p = decide(&f, &PolicyConfig::default(), Some(ACCOUNT), Some(&opinion));
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
}

#[test]
fn email_changes_are_grounded_and_approval_gated() {
    let p = plan("Please change my email to ann.new@mail.example", two());
    let r = &record(&p)[0];
    assert_eq!(r["kind"], "update_email", "{r}");
    assert_eq!(r["params"]["newEmail"], "ann.new@mail.example");
    assert_eq!(r["verdict"]["verdict"], "approval", "{r}");
    assert_eq!(r["grounding"]["how"], "sender_account");
    let p = plan(
        "Please change my wife's email to her.new@mail.example",
        two(),
    );
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
}

#[test]
fn name_changes_and_magic_links_follow_the_spec() {
    let p = plan("Could you change my name to Ann Lee? Thanks!", two());
    let r = &record(&p)[0];
    assert_eq!(r["kind"], "update_name", "{r}");
    assert_eq!(r["params"]["name"], "Ann Lee");
    assert_eq!(r["verdict"]["verdict"], "auto");
    let p = plan("I can't log in, please send me a login link.", two());
    let r = &record(&p)[0];
    assert_eq!(r["kind"], "magic_link", "{r}");
    assert_eq!(r["params"]["expires_in"], 300);
    assert_eq!(r["grounding"]["how"], "sender_account");
}

// --- The learned classifier's opinion joins only towards a human -------------------------------

fn with_learned(body: &str, category: &str, fired: &[&str]) -> Plan {
    let mut f = facts(
        body,
        vec![purchase("pur_l", "Advanced SQL", 3, 14_900, "active")],
    );
    f.learned = Some(support_core::learned::LearnedOpinion {
        category: category.into(),
        category_p: 0.9,
        scores: Default::default(),
        fired: fired.iter().map(|s| (*s).to_owned()).collect(),
    });
    decide(&f, &PolicyConfig::default(), Some(ACCOUNT), None)
}

#[test]
fn a_learned_legal_threat_goes_urgent_and_nothing_runs() {
    let p = with_learned(
        "Refund my Advanced SQL purchase or this goes further.",
        "support_refund",
        &["legal"],
    );
    assert_eq!(p.routing.as_str(), "escalate_urgent");
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
}

#[test]
fn a_learned_question_holds_the_refund_for_a_person() {
    let p = with_learned(
        "I'd like a refund for Advanced SQL please.",
        "support_refund",
        &["question"],
    );
    let r = &record(&p)[0];
    assert_eq!(r["verdict"]["verdict"], "approval", "{r}");
    assert_eq!(r["rule"], "learned_question");
    assert!(p.draft.as_deref().unwrap_or("").contains("asked the team"));
}

#[test]
fn a_learned_injection_caps_confidence_and_a_disagreement_lowers_it() {
    let p = with_learned(
        "Please refund Advanced SQL.",
        "support_refund",
        &["injection"],
    );
    assert!(no_automatic_write(&p), "{:?}", p.proposals);
    let agree = with_learned("Please refund Advanced SQL.", "support_refund", &[]);
    let disagree = with_learned("Please refund Advanced SQL.", "support_billing", &[]);
    assert!(disagree.confidence < agree.confidence);
    // Agreement changes nothing against the rules alone.
    let alone = plan(
        "Please refund Advanced SQL.",
        vec![purchase("pur_l", "Advanced SQL", 3, 14_900, "active")],
    );
    assert_eq!(agree.confidence, alone.confidence);
    assert_eq!(record(&agree)[0]["verdict"], record(&alone)[0]["verdict"]);
}

fn proposes_a_transfer(p: &Plan) -> bool {
    p.proposals.iter().any(|x| {
        matches!(
            x.request,
            support_agent::request::ActionRequest::TransferPurchase(_)
        )
    })
}

/// Written after a held-out case moved a purchase to the person who was named as holding it.
#[test]
fn a_transfer_moves_only_to_an_address_written_as_the_destination() {
    let p = plan(
        "Our former employee x.y@example.com still holds the course we paid for. Please transfer it to this account.",
        vec![purchase("pur_sql", "Advanced SQL", 5, 14_900, "active")],
    );
    assert!(no_automatic_write(&p), "{:?}", record(&p));
    assert!(!proposes_a_transfer(&p), "{:?}", record(&p));
    let p = plan(
        "Please move my Advanced SQL purchase to x.y@example.com, my work address.",
        vec![purchase("pur_sql", "Advanced SQL", 5, 14_900, "active")],
    );
    assert!(
        p.proposals.iter().any(|x| matches!(
            x.request,
            support_agent::request::ActionRequest::TransferPurchase(_)
        ) && x.verdict.is_auto()),
        "{:?}",
        (p.category, p.routing, &p.route_rule, record(&p))
    );
}

/// A `respond` route with nothing to send leaves the teammate a note saying why, instead of
/// nothing at all.
#[test]
fn a_question_nothing_answers_gets_a_note_for_the_teammate() {
    let p = plan(
        "When will I see the refund on my card?",
        vec![purchase("pur_q", "Advanced SQL", 3, 14_900, "active")],
    );
    assert!(p.proposals.is_empty() && p.draft.is_none(), "{p:?}");
    let note = p.comment.expect("a note for the teammate");
    assert!(
        note.starts_with("No reply drafted") && note.contains("asks about a refund"),
        "{note}"
    );
    // A plan that drafts a reply leaves no such note.
    let p = plan(
        "Please refund my Advanced SQL purchase, I bought the wrong course.",
        vec![purchase("pur_q", "Advanced SQL", 3, 14_900, "active")],
    );
    assert!(p.draft.is_some() && p.comment.is_none(), "{p:?}");
}

/// Moving the account to another address is an email change (a teammate approves it), never
/// an automatic transfer of the purchase to that address.
#[test]
fn moving_the_account_elsewhere_is_an_approved_email_change() {
    let p = plan(
        "URGENT: move my account to ann.new@other-domain.example right now, I bought Advanced SQL yesterday.",
        vec![purchase("pur_sql", "Advanced SQL", 1, 14_900, "active")],
    );
    assert!(no_automatic_write(&p), "{:?}", record(&p));
    assert!(!proposes_a_transfer(&p), "{:?}", record(&p));
}

//! Grounding: which of the customer's things a message is about, and whether it asks for an
//! action at all.
//!
//! A write must act on the object the customer named *and owns*. [`resolve_purchase`] reads
//! what the message names (purchase, order and charge ids, product names, amounts, other
//! people's accounts) and matches it against the customer's purchases:
//!
//! - everything named matches one purchase → that purchase, by id, by name or by amount;
//! - the message names nothing and exactly one purchase fits → that one, inferred;
//! - it names something the customer does not own, someone else's account, or several
//!   purchases → no object ([`Resolution::is_grounded`] is false): the policy sees
//!   [`Grounding::Unresolved`] and nothing runs on its own.
//!
//! [`asks_about_refund`] separates a question about a refund (its status, its timing, the
//! policy, a hypothetical) from a request for one. Everything here is pure and reads only the
//! customer's own lines (quoted history is ignored, as everywhere in the rules brain).

use serde::{Deserialize, Serialize};

use crate::policy::Grounding;
use crate::signals::{Entities, Norm, own_words};

/// One of the customer's purchases, as grounding needs it.
#[derive(Debug, Clone, Copy)]
pub struct Owned<'a> {
    pub id: &'a str,
    pub product: &'a str,
    pub charge: Option<&'a str>,
    pub amount_cents: i64,
    pub currency: &'a str,
    /// `active`, `refunded`, `transferred`.
    pub status: &'a str,
    /// Unix seconds.
    pub purchased_at: i64,
}

/// What a purchase action (refund, transfer) wants to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseAction {
    Refund,
    Transfer,
}

/// How the object of an action was resolved from the message. Recorded with the proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Resolution {
    /// The message names the purchase's id, order number or charge id.
    ById { purchase_id: String, named: String },
    /// The message names the purchase's product.
    ByName { purchase_id: String, named: String },
    /// The message names the purchase by its place in time ("my latest purchase").
    ByRecency { purchase_id: String, named: String },
    /// The message names the purchase's amount (and nothing else).
    ByAmount { purchase_id: String, named: String },
    /// The message names nothing and this is the customer's only purchase that fits.
    InferredSingle { purchase_id: String },
    /// The object is the sender's own account.
    SenderAccount,
    /// The message names something that is none of the customer's purchases.
    NamedNotOwned { named: String },
    /// The message is about someone else's account or purchase.
    ThirdParty { named: String },
    /// Several of the customer's purchases fit, or the message names several.
    Ambiguous { candidates: Vec<String> },
    /// The customer has no purchase that fits.
    NothingFits,
}

impl Resolution {
    /// The purchase acted on, when one was resolved.
    pub fn purchase_id(&self) -> Option<&str> {
        match self {
            Resolution::ById { purchase_id, .. }
            | Resolution::ByName { purchase_id, .. }
            | Resolution::ByAmount { purchase_id, .. }
            | Resolution::ByRecency { purchase_id, .. }
            | Resolution::InferredSingle { purchase_id } => Some(purchase_id),
            _ => None,
        }
    }

    pub fn is_grounded(&self) -> bool {
        self.grounding() != Grounding::Unresolved
    }

    /// What the policy sees.
    pub fn grounding(&self) -> Grounding {
        match self {
            Resolution::ById { .. }
            | Resolution::ByName { .. }
            | Resolution::ByAmount { .. }
            | Resolution::ByRecency { .. } => Grounding::Named,
            Resolution::InferredSingle { .. } => Grounding::Inferred,
            Resolution::SenderAccount => Grounding::Sender,
            Resolution::NamedNotOwned { .. }
            | Resolution::ThirdParty { .. }
            | Resolution::Ambiguous { .. }
            | Resolution::NothingFits => Grounding::Unresolved,
        }
    }

    /// One line for a decision's reasoning.
    pub fn describe(&self) -> String {
        match self {
            Resolution::ById { purchase_id, named } => {
                format!("object {purchase_id}: named by id {named:?}")
            }
            Resolution::ByName { purchase_id, named } => {
                format!("object {purchase_id}: named by product {named:?}")
            }
            Resolution::ByAmount { purchase_id, named } => {
                format!("object {purchase_id}: named by amount {named}")
            }
            Resolution::ByRecency { purchase_id, named } => {
                format!("object {purchase_id}: named by recency ({named:?})")
            }
            Resolution::InferredSingle { purchase_id } => {
                format!("object {purchase_id}: inferred, the only purchase that fits")
            }
            Resolution::SenderAccount => "object: the sender's own account".into(),
            Resolution::NamedNotOwned { named } => {
                format!("no object: {named:?} is not one of the customer's purchases")
            }
            Resolution::ThirdParty { named } => {
                format!("no object: the request is about someone else ({named:?})")
            }
            Resolution::Ambiguous { candidates } => format!(
                "no object: several purchases fit ({})",
                candidates.join(", ")
            ),
            Resolution::NothingFits => "no object: the customer has no purchase that fits".into(),
        }
    }
}

/// The customer's own lines of a message (subject and body, quoted history left out).
pub fn own_text(subject: &str, body: &str) -> String {
    format!("{subject}\n{}", own_words(body))
}

/// Resolves the purchase a refund or transfer is about. `text` is [`own_text`]; `entities`
/// were extracted from it; `account_email` is the customer's address in the app; `owned` the
/// customer's purchases.
pub fn resolve_purchase(
    text: &str,
    entities: &Entities,
    action: PurchaseAction,
    account: (&str, &str),
    owned: &[Owned<'_>],
) -> Resolution {
    let (account_email, customer_name) = account;
    let norm = Norm::new(text);
    // "All my purchases", "everything": not one object.
    if bulk(&norm) && !owned.is_empty() {
        return Resolution::Ambiguous {
            candidates: owned.iter().map(|p| p.id.to_owned()).collect(),
        };
    }
    if let Some(who) = third_party(&norm, action) {
        return Resolution::ThirdParty { named: who };
    }
    // An address that is not the customer's, in a refund request, is someone else's account.
    // (A transfer names its new owner's address; that is the point of it.)
    if action == PurchaseAction::Refund
        && let Some(other) = entities
            .emails
            .iter()
            .find(|e| !e.eq_ignore_ascii_case(account_email) && !is_contact_address(text, e))
    {
        return Resolution::ThirdParty {
            named: other.clone(),
        };
    }

    // Everything the message names must match, and together pick one purchase.
    let mut candidates: Vec<&Owned<'_>> = owned.iter().collect();
    let mut evidence: Option<Resolution> = None;

    let ids: Vec<&String> = entities
        .purchase_ids
        .iter()
        .chain(&entities.charge_ids)
        .chain(&entities.payment_intents)
        .chain(&entities.order_ids)
        .collect();
    if !ids.is_empty() {
        let mut by_id = Vec::new();
        for id in &ids {
            let hit = owned.iter().find(|p| {
                p.id.eq_ignore_ascii_case(id)
                    || p.charge.is_some_and(|c| c.eq_ignore_ascii_case(id))
            });
            match hit {
                Some(p) => by_id.push(p.id),
                None => {
                    return Resolution::NamedNotOwned {
                        named: (*id).clone(),
                    };
                }
            }
        }
        candidates.retain(|p| by_id.contains(&p.id));
        if let [p] = candidates.as_slice() {
            evidence = Some(Resolution::ById {
                purchase_id: p.id.to_owned(),
                named: ids[0].clone(),
            });
        }
    }

    let mut names = product_phrases(text);
    for name in proper_names(text, customer_name) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if !names.is_empty() {
        let mut by_name: Vec<&str> = Vec::new();
        for name in &names {
            let hits: Vec<&str> = owned
                .iter()
                .filter(|p| phrase_matches(name, p.product))
                .map(|p| p.id)
                .collect();
            if hits.is_empty() {
                return Resolution::NamedNotOwned {
                    named: name.join(" "),
                };
            }
            by_name.extend(hits);
        }
        candidates.retain(|p| by_name.contains(&p.id));
        if evidence.is_none()
            && let [p] = candidates.as_slice()
        {
            evidence = Some(Resolution::ByName {
                purchase_id: p.id.to_owned(),
                named: p.product.to_owned(),
            });
        }
    }
    // A product named in full counts even outside a pattern ("… the Advanced SQL, …").
    let full_names: Vec<&str> = owned
        .iter()
        .filter(|p| product_named_in_full(&norm, p.product))
        .map(|p| p.id)
        .collect();
    if names.is_empty() && !full_names.is_empty() {
        candidates.retain(|p| full_names.contains(&p.id));
        if evidence.is_none()
            && let [p] = candidates.as_slice()
        {
            evidence = Some(Resolution::ByName {
                purchase_id: p.id.to_owned(),
                named: p.product.to_owned(),
            });
        }
    }

    if !entities.amounts.is_empty() {
        for m in &entities.amounts {
            let fits = |p: &Owned<'_>| {
                p.amount_cents == m.amount && p.currency.eq_ignore_ascii_case(&m.currency)
            };
            if !owned.iter().any(fits) {
                return Resolution::NamedNotOwned {
                    named: format!("{} {}", m.amount as f64 / 100.0, m.currency),
                };
            }
            candidates.retain(|p| fits(p));
        }
        if evidence.is_none()
            && let [p] = candidates.as_slice()
        {
            evidence = Some(Resolution::ByAmount {
                purchase_id: p.id.to_owned(),
                named: format!("{} {}", p.amount_cents as f64 / 100.0, p.currency),
            });
        }
    }

    // "My latest purchase", "the first one": a place in time picks among what is left.
    let recency = recency(&Norm::new(&without_emails(text)));
    if let Some((newest, words)) = recency {
        let pick = if newest {
            candidates.iter().max_by_key(|p| p.purchased_at)
        } else {
            candidates.iter().min_by_key(|p| p.purchased_at)
        };
        if let Some(p) = pick {
            let p = *p;
            candidates = vec![p];
            if evidence.is_none() {
                evidence = Some(Resolution::ByRecency {
                    purchase_id: p.id.to_owned(),
                    named: words.to_owned(),
                });
            }
        }
    }

    let named_anything = recency.is_some()
        || !ids.is_empty()
        || !names.is_empty()
        || !full_names.is_empty()
        || !entities.amounts.is_empty();
    if named_anything {
        return match candidates.as_slice() {
            [] => Resolution::NamedNotOwned {
                named: "a purchase matching everything the message names".into(),
            },
            [_] => evidence.unwrap_or_else(|| Resolution::Ambiguous {
                candidates: candidates.iter().map(|p| p.id.to_owned()).collect(),
            }),
            many => Resolution::Ambiguous {
                candidates: many.iter().map(|p| p.id.to_owned()).collect(),
            },
        };
    }
    // Nothing named: only the customer's one purchase may be inferred. A purchase that was
    // moved to someone else is no longer theirs; a refunded one still counts, so that "refund
    // it" next to an earlier refund is not read as the other purchase.
    let fit: Vec<&Owned<'_>> = owned.iter().filter(|p| p.status != "transferred").collect();
    match fit.as_slice() {
        [] => Resolution::NothingFits,
        [p] => Resolution::InferredSingle {
            purchase_id: p.id.to_owned(),
        },
        many => Resolution::Ambiguous {
            candidates: many.iter().map(|p| p.id.to_owned()).collect(),
        },
    }
}

/// A request about every purchase at once ("move all my purchases", "refund everything").
fn bulk(norm: &Norm) -> bool {
    const ALL: &[&str] = &["all", "every", "each"];
    const WHAT: &[&str] = &[
        "purchases",
        "purchase",
        "courses",
        "orders",
        "products",
        "of",
        "my",
        "the",
        "items",
    ];
    let t: Vec<&str> = norm.tokens().collect();
    t.windows(3).any(|w| {
        ALL.contains(&w[0])
            && WHAT.contains(&w[1])
            && (w[1] != "my" && w[1] != "of" && w[1] != "the" || WHAT[..5].contains(&w[2]))
    }) || norm.has("everything i bought")
        || norm.has("everything i purchased")
        // "Move everything…", "put everything on this account onto…": everything as the object.
        || t.windows(2).any(|w| {
            (MOVE_VERBS.contains(&w[0]) || matches!(w[0], "refund" | "cancel"))
                && w[1] == "everything"
        })
}

/// Words that place a purchase in time, and whether they mean the newest.
const RECENCY: &[(&str, bool)] = &[
    ("latest", true),
    ("newest", true),
    ("most recent", true),
    ("last", true),
    ("recent", true),
    ("first", false),
    ("oldest", false),
    ("earliest", false),
];

/// A purchase named by its place in time: "my latest purchase", "the most recent order",
/// "the first one I bought". `Some((newest, words))`.
fn recency(norm: &Norm) -> Option<(bool, &'static str)> {
    const HEADS: &[&str] = &[
        "purchase", "order", "one", "course", "thing", "item", "product", "payment", "charge",
    ];
    let t: Vec<&str> = norm.tokens().collect();
    for (words, newest) in RECENCY {
        let n = words.split(' ').count();
        for i in 0..t.len().saturating_sub(n) {
            if t[i..i + n].join(" ") == *words
                && (t.get(i + n).is_some_and(|h| HEADS.contains(h))
                    || t.get(i + n + 1).is_some_and(|h| HEADS.contains(h)))
            {
                return Some((*newest, words));
            }
        }
    }
    None
}

/// Whether a sign-in link (or a change to the account) asked for in `text` is for someone
/// other than the sender: another person's account, or an address that is not the account's.
pub fn resolve_account(text: &str, entities: &Entities, account_email: &str) -> Resolution {
    let norm = Norm::new(text);
    if let Some(who) = third_party(&norm, PurchaseAction::Refund) {
        return Resolution::ThirdParty { named: who };
    }
    if let Some(other) = entities
        .emails
        .iter()
        .find(|e| !e.eq_ignore_ascii_case(account_email))
    {
        return Resolution::ThirdParty {
            named: other.clone(),
        };
    }
    Resolution::SenderAccount
}

/// Words that offer an address as a way to reach the sender ("mail me at …", "or reach me
/// on …"), which makes it contact information, not the object of the request.
const CONTACT: &[&str] = &[
    "me", "mail", "reach", "contact", "reply", "write", "call", "text",
];

/// Whether `email` is offered as the sender's contact address: one of [`CONTACT`] in the
/// three words before it.
fn is_contact_address(text: &str, email: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '.')
                .to_lowercase()
        })
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        w.trim_end_matches('.') == email
            && words[i.saturating_sub(3)..i]
                .iter()
                .any(|p| CONTACT.contains(&p.as_str()))
    })
}

/// Words that, among the four before an address, write it as where something goes ("move
/// it to …", "to my other email …", "my new email is …").
const DESTINATION: &[&str] = &["to", "into", "onto", "is", "be", "use", "new"];

/// Words that, among the three before an address, write it as where something is now or
/// comes from ("registered to …", "from …", "… still holds it").
const SOURCE: &[&str] = &[
    "from",
    "belongs",
    "belonging",
    "registered",
    "owned",
    "holds",
    "bought",
    "under",
];

/// Whether `email` is written as the destination of a move: a [`DESTINATION`] word among the
/// four words before it and no [`SOURCE`] word among the three. An address that merely names someone
/// ("our former employee … still holds the course") is not one.
pub fn is_destination_address(text: &str, email: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '.')
                .trim_end_matches('.')
                .to_lowercase()
        })
        .collect();
    let email = email.to_lowercase();
    words.iter().enumerate().any(|(i, w)| {
        *w == email
            && words[i.saturating_sub(4)..i]
                .iter()
                .any(|b| DESTINATION.contains(&b.as_str()))
            && !words[i.saturating_sub(3)..i]
                .iter()
                .any(|b| SOURCE.contains(&b.as_str()))
    })
}

// ---------------------------------------------------------------------------------------------
// Someone else.
// ---------------------------------------------------------------------------------------------

/// People a customer acts for. A closed class: kin, partners, friends, people at work.
const RELATIONS: &[&str] = &[
    "wife",
    "husband",
    "partner",
    "spouse",
    "son",
    "daughter",
    "child",
    "kid",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "parent",
    "brother",
    "sister",
    "sibling",
    "friend",
    "colleague",
    "coworker",
    "boss",
    "manager",
    "employee",
    "employer",
    "client",
    "student",
    "roommate",
    "flatmate",
    "boyfriend",
    "girlfriend",
    "fiance",
    "fiancee",
    "cousin",
    "uncle",
    "aunt",
    "niece",
    "nephew",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "teammate",
    "assistant",
    "neighbor",
    "neighbour",
    "relative",
    "intern",
    "teacher",
    "classmate",
];

/// What an account or purchase is called.
const OBJECTS: &[&str] = &[
    "account",
    "purchase",
    "order",
    "course",
    "login",
    "password",
    "subscription",
    "email",
    "access",
    "refund",
    "money",
    "card",
    "profile",
    "license",
    "licence",
    "seat",
];

/// Verbs of someone acting on their own purchase or account.
const ACTS: &[&str] = &[
    "bought",
    "purchased",
    "paid",
    "ordered",
    "cant",
    "cannot",
    "forgot",
    "lost",
    "wants",
    "needs",
    "signed",
    "registered",
    "enrolled",
    "used",
];

fn relation(word: &str) -> Option<&'static str> {
    RELATIONS.iter().copied().find(|r| {
        word == *r || word.strip_suffix('s') == Some(r) || word.strip_suffix("es") == Some(r)
    })
}

/// Someone other than the sender whose account or purchase the message is about: "my wife's
/// purchase", "for my colleague", "her account", "he bought", "on behalf of". For a transfer,
/// the person it goes *to* is expected, so only possession counts there ("my colleague's
/// course"), not "to my colleague".
fn third_party(norm: &Norm, action: PurchaseAction) -> Option<String> {
    let t: Vec<&str> = norm.tokens().collect();
    if norm.has("on behalf of") || norm.has("for someone else") || norm.has("for another person") {
        return Some("someone else".into());
    }
    for (i, w) in t.iter().enumerate() {
        let next = t.get(i + 1).copied().unwrap_or("");
        let prev = if i > 0 { t[i - 1] } else { "" };
        // "his account", "her purchase", "her Python for Data Analysis purchase".
        if matches!(*w, "his" | "her" | "their")
            && let Some(obj) = t[i + 1..].iter().take(6).find(|x| OBJECTS.contains(x))
        {
            return Some(format!("{w} {obj}"));
        }
        // "he bought", "she can't".
        if matches!(*w, "he" | "she") && ACTS.contains(&next) {
            return Some(format!("{w} {next}"));
        }
        let Some(rel) = relation(w) else { continue };
        if !matches!(prev, "my" | "our" | "a" | "the") {
            continue;
        }
        // "my wife's account" (apostrophes are dropped: "wifes"), "my friend's Design Systems
        // Handbook"; for a transfer, not "to my friend's address" (the new owner).
        let possessive = *w != rel && (w.ends_with('s'));
        let before = if i > 1 { t[i - 2] } else { "" };
        let recipient = matches!(before, "to" | "into" | "onto");
        if possessive && (action == PurchaseAction::Refund || !recipient) {
            return Some(format!("{prev} {w}"));
        }
        // "my colleague bought", "my son can't".
        if ACTS.contains(&next) {
            return Some(format!("{prev} {w} {next}"));
        }
        // "for my colleague" (a transfer *to* a colleague is its point).
        if action == PurchaseAction::Refund && before == "for" {
            return Some(format!("for {prev} {w}"));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Product names.
// ---------------------------------------------------------------------------------------------

/// Nouns that name a kind of product: the words before one name it ("the Kubernetes course").
const PRODUCT_NOUNS: &[&str] = &[
    "purchase",
    "purchases",
    "order",
    "subscription",
    "course",
    "courses",
    "class",
    "classes",
    "bundle",
    "book",
    "ebook",
    "workshop",
    "program",
    "programme",
    "package",
    "tutorial",
    "training",
    "bootcamp",
    "masterclass",
    "series",
    "module",
    "kit",
    "template",
    "templates",
    "guide",
    "membership",
    "license",
    "licence",
    "product",
    "cohort",
    "seminar",
    "webinar",
    "certification",
    "pack",
];

/// Words that end a name, read backwards from its noun: determiners, possessives,
/// prepositions, pronouns, conjunctions, and the verbs of a request.
const NAME_STOPS: &[&str] = &[
    "the",
    "a",
    "an",
    "my",
    "your",
    "our",
    "his",
    "her",
    "their",
    "its",
    "this",
    "that",
    "these",
    "those",
    "for",
    "of",
    "on",
    "in",
    "to",
    "from",
    "with",
    "about",
    "at",
    "by",
    "i",
    "you",
    "me",
    "it",
    "we",
    "they",
    "and",
    "or",
    "but",
    "please",
    "refund",
    "refunded",
    "refunding",
    "transfer",
    "transferred",
    "move",
    "bought",
    "purchased",
    "buy",
    "paid",
    "cancel",
    "get",
    "want",
    "return",
    "is",
    "was",
    "be",
    "s",
    "and",
    "any",
    "some",
    "all",
    "which",
    "what",
    "whole",
    "entire",
];

/// Words inside a name that say nothing about which product: age, order, format, and how the
/// customer feels about it.
const NAME_FILLER: &[&str] = &[
    "recent",
    "latest",
    "last",
    "new",
    "newest",
    "old",
    "older",
    "previous",
    "first",
    "second",
    "other",
    "online",
    "video",
    "full",
    "same",
    "one",
    "only",
    "current",
    "paid",
    "digital",
    "amazing",
    "great",
    "good",
    "bad",
    "terrible",
    "awful",
    "horrible",
    "useless",
    "boring",
    "excellent",
    "wonderful",
    "fantastic",
    "awesome",
    "nice",
    "best",
    "worst",
    "favorite",
    "favourite",
    "expensive",
    "cheap",
    "free",
    "short",
    "long",
    "little",
    "whole",
    "entire",
    "annual",
    "yearly",
    "monthly",
    "lifetime",
    "above",
    "mentioned",
    "said",
    "wrong",
    "accidental",
    "duplicate",
    "extra",
    "unused",
    "unwanted",
    "damn",
    "stupid",
    "disappointing",
    "different",
    "another",
    "separate",
    "correct",
    "right",
    "intended",
    "actual",
    "most",
    "least",
    "very",
];

fn stem(w: &str) -> &str {
    if w.len() > 3 {
        w.strip_suffix('s').unwrap_or(w)
    } else {
        w
    }
}

/// The product names a message uses: the words before a product noun ("the Kubernetes Deep
/// Dive course" → `kubernetes deep dive`) and quoted titles, lower-cased, without filler.
pub fn product_phrases(text: &str) -> Vec<Vec<String>> {
    // An address is not a name ("jonas@example.org's purchase").
    let cleaned = without_emails(text);
    let text = cleaned.as_str();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut push = |words: Vec<String>| {
        // An amount is not a name ("the $166.00 course" names its price, which
        // the amount check reads).
        let words: Vec<String> = words
            .into_iter()
            .filter(|w| {
                !NAME_FILLER.contains(&w.as_str())
                    && !PRODUCT_NOUNS.contains(&w.as_str())
                    && !w.chars().all(|c| c.is_ascii_digit())
                    && !matches!(
                        w.as_str(),
                        "usd" | "eur" | "gbp" | "dollar" | "dollars" | "euro" | "euros"
                    )
            })
            .collect();
        if !words.is_empty() && !out.contains(&words) {
            out.push(words);
        }
    };
    // Quoted titles.
    for (open, close) in [
        ('"', '"'),
        ('\u{201C}', '\u{201D}'),
        ('\u{00AB}', '\u{00BB}'),
    ] {
        let mut rest = text;
        while let Some(a) = rest.find(open) {
            let after = &rest[a + open.len_utf8()..];
            let Some(b) = after.find(close) else { break };
            let inner = &after[..b];
            if (3..=80).contains(&inner.chars().count()) && !inner.contains('\n') {
                push(Norm::new(inner).tokens().map(str::to_owned).collect());
            }
            rest = &after[b + close.len_utf8()..];
        }
    }
    for title in single_quoted(text) {
        push(Norm::new(title).tokens().map(str::to_owned).collect());
    }
    let norm = Norm::new(text);
    let t: Vec<&str> = norm.tokens().collect();
    for (i, w) in t.iter().enumerate() {
        if !(is_product_noun(w) || (*w == "one" && describes_one(&t[..i]))) {
            continue;
        }
        let mut j = i;
        while j > 0 && i - j < 5 && !NAME_STOPS.contains(&t[j - 1]) {
            j -= 1;
        }
        // A noun right after a digit-free "the"/"my" has no name; "course 3" is not a name.
        push(t[j..i].iter().map(|s| (*s).to_owned()).collect());
    }
    out
}

/// Words before "one" that pick a purchase without describing it ("the other one", "the
/// first one", "the cheaper one"): not a name.
const NOT_A_DESCRIPTION: &[&str] = &[
    "other",
    "first",
    "second",
    "third",
    "last",
    "latest",
    "newest",
    "oldest",
    "earlier",
    "later",
    "new",
    "old",
    "same",
    "right",
    "wrong",
    "only",
    "cheaper",
    "cheap",
    "expensive",
    "bigger",
    "smaller",
    "previous",
    "recent",
    "next",
    "which",
    "each",
    "every",
    "any",
    "no",
    "another",
    "single",
    "little",
    "big",
    "good",
    "bad",
    "best",
];

/// "the photography one", "that sign language one": "one" standing for a purchase the words
/// before it describe (after "the", "that" or "this", up to four words).
fn describes_one(before: &[&str]) -> bool {
    let start = before.len().saturating_sub(5);
    let Some(det) = before[start..]
        .iter()
        .rposition(|w| matches!(*w, "the" | "that" | "this"))
    else {
        return false;
    };
    let words = &before[start + det + 1..];
    !words.is_empty()
        && words.iter().all(|w| {
            !NAME_STOPS.contains(w)
                && !NOT_A_DESCRIPTION.contains(w)
                && !w.chars().all(|c| c.is_ascii_digit())
        })
}

/// Titles in single quotes ('Sourdough at Home', ‘Sourdough at Home’): a quote that opens a
/// word and one that closes a later word, two to twelve words apart. An apostrophe inside a
/// word ("wasn't", "customer's") neither opens nor closes one.
fn single_quoted(text: &str) -> Vec<&str> {
    let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}');
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !quote(c) {
            continue;
        }
        let before = k.checked_sub(1).map(|j| chars[j].1);
        let after = chars.get(k + 1).map(|&(_, c)| c);
        let opens = before.is_none_or(|b| b.is_whitespace() || "([{:".contains(b))
            && after.is_some_and(char::is_alphanumeric);
        let closes = before.is_some_and(char::is_alphanumeric)
            && after.is_none_or(|a| a.is_whitespace() || ",.;:!?)]}-".contains(a));
        match open {
            Some(start) if closes => {
                let inner = &text[start..i];
                let words = inner.split_whitespace().count();
                if (2..=12).contains(&words) && !inner.contains('\n') {
                    out.push(inner);
                }
                open = None;
            }
            _ if opens => open = Some(i + c.len_utf8()),
            _ => {}
        }
    }
    out
}

/// Product nouns long and rare enough that a word one typo away is that noun misspelt.
/// Not "purchase" ("purchased" is a verb), "course" ("source") or "class" ("glass").
const TYPO_NOUNS: &[&str] = &[
    "masterclass",
    "bootcamp",
    "membership",
    "subscription",
    "certification",
    "tutorial",
    "workshop",
    "programme",
    "webinar",
    "seminar",
];

/// A product noun, or a misspelling of one of [`TYPO_NOUNS`] ("mastecrlass", "bootcmap"):
/// a misspelt noun still names a product, and the words before it its name. A verb form
/// ("-ed", "-ing") is never a misspelt noun.
fn is_product_noun(word: &str) -> bool {
    PRODUCT_NOUNS.contains(&word)
        || (!word.ends_with("ed")
            && !word.ends_with("ing")
            && TYPO_NOUNS.iter().any(|n| near(word, n)))
}

/// Words of greetings, closings and addresses, which are capitalised without naming anything.
const SALUTATIONS: &[&str] = &[
    "dear",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "regards",
    "best",
    "kind",
    "cheers",
    "sincerely",
    "team",
    "support",
    "sir",
    "madam",
    "customer",
    "service",
    "good",
    "morning",
    "afternoon",
    "evening",
    "mr",
    "mrs",
    "ms",
    "dr",
    "warm",
    "many",
    "greetings",
    "yours",
];

/// Small words that may sit inside a title ("Rust for Beginners", "iOS Development with
/// Swift").
const TITLE_JOINERS: &[&str] = &[
    "for", "with", "in", "of", "to", "and", "the", "on", "a", "&",
];

/// Titles written in the message: runs of two or more capitalised words (joined by small
/// words) inside a line of more than three words, that are not a greeting or the customer's
/// own name. "I purchased iOS Development with Swift" → `ios development with swift`.
fn proper_names(text: &str, customer_name: &str) -> Vec<Vec<String>> {
    let cleaned = without_emails(text);
    let text = cleaned.as_str();
    let own: Vec<String> = Norm::new(customer_name)
        .tokens()
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() <= 3 {
            continue;
        }
        let mut run: Vec<&str> = Vec::new();
        let mut flush = |run: &mut Vec<&str>| {
            while run
                .last()
                .is_some_and(|w| TITLE_JOINERS.contains(&w.to_lowercase().as_str()))
            {
                run.pop();
            }
            let caps = run
                .iter()
                .filter(|w| !TITLE_JOINERS.contains(&w.to_lowercase().as_str()))
                .count();
            if caps >= 2 {
                let norm = Norm::new(&run.join(" "));
                let toks: Vec<String> = norm.tokens().map(str::to_owned).collect();
                let greeting = toks.iter().any(|t| SALUTATIONS.contains(&t.as_str()));
                let theirs = toks
                    .iter()
                    .filter(|t| !TITLE_JOINERS.contains(&t.as_str()))
                    .all(|t| own.contains(t));
                if !greeting && !theirs && !toks.is_empty() {
                    out.push(toks);
                }
            }
            run.clear();
        };
        for raw in &words {
            let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '&');
            let capital = w.chars().any(char::is_uppercase)
                && w.chars().next().is_some_and(char::is_alphabetic)
                && w.chars().count() > 1
                && w.chars().all(|c| c.is_alphanumeric() || c == '-');
            let joiner = !run.is_empty() && TITLE_JOINERS.contains(&w.to_lowercase().as_str());
            if capital || joiner {
                run.push(w);
            } else {
                flush(&mut run);
            }
            // Punctuation after a word ends a title.
            if w.len() != raw.len() && raw.ends_with([',', '.', '!', '?', ';', ':', ')']) {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    out
}

/// `text` with every word that holds an `@` replaced by a comma (a boundary for names).
fn without_emails(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| if w.contains('@') { ", " } else { w })
        .collect()
}

/// Whether a name the customer used fits a product: every word of the shorter is in the
/// longer (plural `s` ignored), so "the SQL course" fits "Advanced SQL" and "the complete
/// Advanced SQL bootcamp" fits it too.
fn phrase_matches(name: &[String], product: &str) -> bool {
    let norm = Norm::new(product);
    let keep = |w: &&str| {
        !PRODUCT_NOUNS.contains(w) && !NAME_FILLER.contains(w) && !TITLE_JOINERS.contains(w)
    };
    let product: Vec<&str> = norm.tokens().filter(keep).map(stem).collect();
    if product.is_empty() {
        return false;
    }
    let name: Vec<&str> = name
        .iter()
        .map(String::as_str)
        .filter(keep)
        .map(stem)
        .collect();
    if name.is_empty() {
        return false;
    }
    // A word of five letters or more may also be the start of the product's word
    // ("leather" for "Leathercraft", "photo…" for "Photography").
    let fits = |w: &str, x: &str| near(w, x) || (w.len() >= 5 && x.starts_with(w));
    let subset = |a: &[&str], b: &[&str]| a.iter().all(|w| b.iter().any(|x| fits(w, x)));
    subset(&name, &product) || subset(&product, &name)
}

/// The same word, or a typo of it: for words of five letters or more, one letter inserted,
/// dropped, replaced, or two neighbours swapped ("Desgin" is "design").
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len().min(b.len()) >= 5 && crate::signals::one_edit_apart(&a, &b)
}

fn product_named_in_full(norm: &Norm, product: &str) -> bool {
    let p = Norm::new(product);
    let words: Vec<&str> = p.tokens().collect();
    !words.is_empty() && norm.has(&words.join(" "))
}

// ---------------------------------------------------------------------------------------------
// Questions about refunds.
// ---------------------------------------------------------------------------------------------

/// A refund that already exists: its status, its timing.
const REFUND_STATUS: &[&str] = &[
    "when will",
    "when do",
    "when does",
    "when can i expect",
    "when should i",
    "how long",
    "how many days",
    "how soon",
    "status of",
    "status on",
    "track",
    "tracking",
    "did my refund",
    "did the refund",
    "did you refund",
    "did you process",
    "has my refund",
    "has the refund",
    "have you refunded",
    "was my refund",
    "is my refund",
    "where is my refund",
    "where is the refund",
    "havent received",
    "have not received",
    "not received",
    "still havent",
    "still waiting",
    "not showing",
    "not show",
    "hasnt shown",
    "hasnt arrived",
    "has not arrived",
    "not arrived",
    "not appeared",
    "went through",
    "gone through",
    "go through",
    "been processed",
    "being processed",
    "already refunded",
    "already requested",
    "already asked",
    "refund was approved",
    "refund was issued",
    "you refunded",
    "you issued",
    "confirmation of",
    "pending",
    "usually",
    "typically",
    "timeline",
];

/// A refund in general: the policy, a hypothetical.
const REFUND_POLICY: &[&str] = &[
    "refund policy",
    "return policy",
    "policy on refunds",
    "refunds policy",
    "do you offer",
    "do you give",
    "do you do refunds",
    "do you provide",
    "are refunds",
    "is there a refund",
    "money back guarantee",
    "guarantee",
    "what if",
    "if i",
    "in case",
    "would i",
    "would it be possible",
    "hypothetically",
    "how do refunds work",
    "how does the refund",
    "how does a refund",
    "how do your refunds",
    "eligible for a refund",
    "am i eligible",
    "is it refundable",
    "are your courses refundable",
    "refundable",
];

/// Asking for a refund now.
const REFUND_REQUEST: &[&str] = &[
    "please refund",
    "refund me",
    "refund it",
    "refund this",
    "refund my purchase",
    "want a refund",
    "want my money",
    "would like a refund",
    "would like to get a refund",
    "would like my money",
    "like to request a refund",
    "id like a refund",
    "id like my money",
    "need a refund",
    "need my money",
    "requesting a refund",
    "requesting",
    "request a refund",
    "i request",
    "give me a refund",
    "give me my money",
    "issue a refund",
    "issue me",
    "i demand",
    "cancel and refund",
    "can you refund",
    "could you refund",
    "can i have my money",
    "send my money back",
    "money back now",
    "possible to get a refund",
    "possible to have a refund",
    "possible to get my money",
    "get my money back",
];

/// Refunds that are not ours to give: a bank's, a tax office's, another shop's.
const NOT_OURS: &[&str] = &[
    "tax refund",
    "tax office",
    "my bank",
    "the bank",
    "airline",
    "the flight",
    "hotel",
    "landlord",
    "insurer",
    "insurance",
    "paypal",
    "amazon",
    "ebay",
    "nothing to do with",
    "another company",
    "a different company",
    "another shop",
    "another store",
    "other company",
];

/// Words that open a question about how things are ("how long…", "is the refund window…").
const INTERROGATIVES: &[&str] = &[
    "how", "when", "what", "where", "why", "which", "who", "is", "are", "does", "do", "did", "has",
    "have", "was", "were", "will", "would", "should", "roughly", "just",
];

/// How long or how: a question with one of these asks how refunds work ("refund processing
/// time? days or weeks?"), whatever word it opens with.
const TIMING: &[&str] = &[
    "time",
    "times",
    "days",
    "weeks",
    "long",
    "soon",
    "quickly",
    "turnaround",
    "normally",
    "usually",
    "typically",
];

/// The writer says they ask nothing ("it is only a question, I don't request anything").
const ONLY_ASKING: &[&str] = &[
    "only a question",
    "just a question",
    "just asking",
    "only asking",
    "just wondering",
    "just curious",
    "not requesting",
    "dont request",
    "do not request",
    "not asking for",
];

/// Words that suppose rather than ask ("suppose I requested a refund…").
const SUPPOSING: &[&str] = &[
    "suppose",
    "supposing",
    "assuming",
    "hypothetically",
    "in theory",
    "what if",
    "say i",
    "in case",
    "were i to",
];

/// Joining words a question may open with ("and what is…", "so how long…").
const LEADING: &[&str] = &[
    "and", "also", "so", "but", "plus", "then", "ok", "okay", "oh", "btw",
];

/// Whether the message asks *about* a refund (when it arrives, whether it went through, what
/// the policy is, what would happen if…, or a refund that is not ours) without asking for
/// one now. Such a message gets an answer, never a refund.
///
/// Read per sentence: a sentence that mentions a refund asks for one when it carries a
/// request ("please refund", "I'd like…", "could you refund…"); it asks about one when it is
/// a question that opens with a question word or an auxiliary ("how many days…", "is the
/// refund window…"), or names a status, the policy or someone else's refund.
pub fn asks_about_refund(text: &str) -> bool {
    if Norm::new(text).any(ONLY_ASKING) {
        return true;
    }
    let mut about = false;
    for sentence in sentences(text) {
        let norm = Norm::new(sentence);
        // "Could I get a refund if I don't like it?", "Suppose I asked for a refund today…":
        // a condition or a supposition asks what would happen.
        let conditional = (norm.has("if") && !norm.has("if possible")) || norm.any(SUPPOSING);
        // Only a condition on the refund itself: "(if anything looks strange, that's why)"
        // beside a request supposes nothing about it.
        if conditional
            && norm
                .tokens()
                .any(|w| w.starts_with("refund") || w == "money")
        {
            about = true;
            continue;
        }
        if norm.any(REFUND_REQUEST) || modal_request(&norm) {
            return false;
        }
        // "…and what's the turnaround?": a question may open with a joining word.
        let first = norm.tokens().find(|w| !LEADING.contains(w)).unwrap_or("");
        let question = sentence.trim_end().ends_with('?')
            && (INTERROGATIVES.contains(&first) || norm.tokens().any(|w| TIMING.contains(&w)));
        if norm.any(REFUND_STATUS) || norm.any(REFUND_POLICY) || norm.any(NOT_OURS) || question {
            about = true;
        }
    }
    about
}

/// "Could you refund…", "can you please process…", "would you issue…": a request worded as
/// a question.
fn modal_request(norm: &Norm) -> bool {
    let t: Vec<&str> = norm.tokens().collect();
    t.windows(2).enumerate().any(|(i, w)| {
        matches!(w[0], "could" | "can" | "would" | "will")
            && w[1] == "you"
            && t[i + 2..].iter().take(2).any(|v| {
                matches!(
                    *v,
                    "refund" | "process" | "issue" | "give" | "send" | "reverse"
                )
            })
    })
}

/// Sentences: split at `.`, `?`, `!` and line breaks, keeping the mark.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!' | '\n') {
            let end = i + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(&text[start..end]);
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Changes to the account.
// ---------------------------------------------------------------------------------------------

/// Verbs of changing a detail of one's account.
const CHANGE_VERBS: &[&str] = &[
    "change", "update", "correct", "fix", "switch", "swap", "replace", "edit", "modify", "set",
];

/// The account itself as a noun, or "account" one typo away ("acconut").
fn is_account_noun(word: &str) -> bool {
    matches!(word, "account" | "login" | "profile") || near(word, "account")
}

/// The new address of an email change the customer asks for ("change my email to
/// new@example.com", "update my email address: new@…"): the one address in the message that
/// is not the account's, when the message asks to change the account's email. `None` when it
/// does not ask; `Some(Err(n))` when it asks but names `n` ≠ 1 new addresses.
pub fn requested_email_change(
    text: &str,
    entities: &Entities,
    account_email: &str,
) -> Option<Result<String, usize>> {
    let norm = Norm::new(text);
    let t: Vec<&str> = norm.tokens().collect();
    let asks = t.iter().enumerate().any(|(i, w)| {
        CHANGE_VERBS.contains(w)
            && t[i + 1..]
                .iter()
                .take(5)
                .any(|x| matches!(*x, "email" | "e" | "address" | "emails"))
    }) || norm.has("new email is")
        || norm.has("new email address is")
        // Moving the account itself to another address is a change of its email, not a
        // transfer of a purchase ("move my account to x@…").
        // (The account is the verb's object: "move my account to …", not "move my course to
        // the account …".)
        || t.iter().enumerate().any(|(i, w)| {
            let object: Vec<&&str> = t[i + 1..]
                .iter()
                .take(3)
                .take_while(|x| !matches!(**x, "to" | "into" | "onto"))
                .collect();
            MOVE_VERBS.contains(w) && object.iter().any(|x| is_account_noun(x))
        })
        // …and in the passive ("I need my account moved to x@…"), when no purchase is named.
        || (t.windows(3).any(|w| {
            matches!(w[0], "my" | "the") && is_account_noun(w[1]) && MOVE_VERBS.contains(&w[2])
        }) && !t.iter().any(|x| is_product_noun(x) || matches!(*x, "purchase" | "purchases")));
    if !asks {
        return None;
    }
    let new: Vec<&String> = entities
        .emails
        .iter()
        .filter(|e| !e.eq_ignore_ascii_case(account_email))
        .collect();
    Some(match new.as_slice() {
        [one] => Ok((*one).clone()),
        other => Err(other.len()),
    })
}

/// Verbs of moving a purchase to another address.
const MOVE_VERBS: &[&str] = &[
    "transfer",
    "move",
    "moved",
    "transferred",
    "put",
    "switch",
    "reassign",
];

/// Whether the message asks to move a purchase to another address it gives: a moving verb
/// and an address that is not the account's ("could you transfer it to x@…", "can the
/// license be moved to x@…", "my company email is x@…, could you put it there").
pub fn requested_transfer(text: &str, entities: &Entities, account_email: &str) -> bool {
    let norm = Norm::new(text);
    let elsewhere = entities
        .emails
        .iter()
        .any(|e| !e.eq_ignore_ascii_case(account_email));
    elsewhere && norm.tokens().any(|t| MOVE_VERBS.contains(&t))
}

/// The new name of a name change the customer asks for: "change my name to Ann Lee", "my
/// name is misspelled, it should be Ann Lee". The name is the words after `to`/`be`/`as`
/// (letters, apostrophes, hyphens, dots; one to five words), as written.
pub fn requested_name_change(text: &str) -> Option<String> {
    let norm = Norm::new(text);
    let asks = norm.tokens().collect::<Vec<_>>().windows(3).any(|w| {
        (CHANGE_VERBS.contains(&w[0]) && w[1] == "my" && w[2] == "name")
            || (w[0] == "my" && w[1] == "name" && matches!(w[2], "is" | "was"))
    }) || norm.has("name on my account")
        || norm.has("name on the certificate")
        || norm.has("name on my certificate");
    if !asks {
        return None;
    }
    let lower = text.to_lowercase();
    for key in [" should be ", " name to ", " to read ", " to be ", " as "] {
        let Some(at) = lower.find(key) else { continue };
        // The byte offsets of `lower` match `text` only for ASCII; take the name from `text`.
        if !text.is_char_boundary(at + key.len()) {
            continue;
        }
        let rest = &text[at + key.len()..];
        let mut name: Vec<&str> = Vec::new();
        for raw in rest.split_whitespace().take(5) {
            let w = raw.trim_end_matches([',', '.', '!', '?', ';', ':', ')']);
            let ok = !w.is_empty()
                && w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.'));
            if !ok {
                break;
            }
            name.push(w);
            // Punctuation after a word ends the name ("to Ann Lee? Thanks").
            if w.len() != raw.len() {
                break;
            }
        }
        if !name.is_empty() {
            return Some(name.join(" "));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::extract_entities;

    fn owned() -> Vec<Owned<'static>> {
        vec![
            Owned {
                id: "pur_sql",
                product: "Advanced SQL",
                charge: Some("ch_sql00000001"),
                amount_cents: 14_900,
                currency: "usd",
                status: "active",
                purchased_at: 2_000,
            },
            Owned {
                id: "pur_rust",
                product: "Rust Fundamentals",
                charge: Some("ch_rust0000001"),
                amount_cents: 9_900,
                currency: "usd",
                status: "active",
                purchased_at: 1_000,
            },
        ]
    }

    fn resolve(text: &str, owned: &[Owned<'_>]) -> Resolution {
        resolve_purchase(
            text,
            &extract_entities(text),
            PurchaseAction::Refund,
            ("ann@example.com", "Ann Lee"),
            owned,
        )
    }

    #[test]
    fn matched_by_name() {
        let r = resolve("Please refund the Advanced SQL course.", &owned());
        assert_eq!(
            r,
            Resolution::ByName {
                purchase_id: "pur_sql".into(),
                named: "Advanced SQL".into()
            }
        );
        assert_eq!(r.grounding(), Grounding::Named);
        // A shorter name that fits only one product, and the name without a product noun.
        assert_eq!(
            resolve("refund my rust course please", &owned()).purchase_id(),
            Some("pur_rust")
        );
        assert_eq!(
            resolve("I'd like my money back for Rust Fundamentals", &owned()).purchase_id(),
            Some("pur_rust")
        );
        // Typos in the name and in its noun; a verb one letter from a noun is still a verb.
        assert_eq!(
            resolve("please refund the advnaced sql bootcmap", &owned()).purchase_id(),
            Some("pur_sql")
        );
        assert_eq!(
            resolve(
                "I accidentally purchased Advanced SQL while logged into this old account",
                &owned()
            )
            .purchase_id(),
            Some("pur_sql")
        );
    }

    #[test]
    fn matched_by_id() {
        let r = resolve("refund purchase pur_rust please", &owned());
        assert_eq!(
            r,
            Resolution::ById {
                purchase_id: "pur_rust".into(),
                named: "pur_rust".into()
            }
        );
        assert_eq!(
            resolve("refund charge ch_sql00000001", &owned()).purchase_id(),
            Some("pur_sql")
        );
    }

    #[test]
    fn matched_by_amount() {
        let r = resolve("please refund the $99.00 I paid", &owned());
        assert_eq!(r.purchase_id(), Some("pur_rust"));
        assert!(matches!(r, Resolution::ByAmount { .. }));
    }

    #[test]
    fn inferred_single() {
        let one = &owned()[..1];
        let r = resolve("I want a refund please", one);
        assert_eq!(
            r,
            Resolution::InferredSingle {
                purchase_id: "pur_sql".into()
            }
        );
        assert_eq!(r.grounding(), Grounding::Inferred);
    }

    #[test]
    fn named_not_owned() {
        for text in [
            "Please refund the Kubernetes course",
            "refund purchase pur_someoneelse1",
            "refund charge ch_notyours00001",
            "I want my $250 back",
            "refund \"Data Science for Managers\" please",
            // A misspelt product noun still names a product.
            "i bought photorgaphy mastecrlass by mistake, refund it",
        ] {
            let r = resolve(text, &owned());
            assert!(
                matches!(r, Resolution::NamedNotOwned { .. }),
                "{text}: {r:?}"
            );
            assert!(!r.is_grounded());
        }
    }

    #[test]
    fn third_party() {
        for text in [
            "Please refund my wife's purchase",
            "refund for my colleague, she didn't like it",
            "Can you refund her account?",
            "My son bought the course by mistake, refund please",
            "I'm writing on behalf of my boss to get a refund",
            "refund the purchase of bob@other.example",
        ] {
            let r = resolve(text, &owned()[..1]);
            assert!(matches!(r, Resolution::ThirdParty { .. }), "{text}: {r:?}");
        }
        // A transfer *to* a colleague is what a transfer is.
        let text = "please transfer my course to my colleague bob@other.example";
        let r = resolve_purchase(
            text,
            &extract_entities(text),
            PurchaseAction::Transfer,
            ("ann@example.com", "Ann Lee"),
            &owned()[..1],
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"));
        let text = "please transfer my colleague's course to me";
        let r = resolve_purchase(
            text,
            &extract_entities(text),
            PurchaseAction::Transfer,
            ("ann@example.com", "Ann Lee"),
            &owned()[..1],
        );
        assert!(matches!(r, Resolution::ThirdParty { .. }), "{r:?}");
    }

    #[test]
    fn a_move_needs_an_address_written_as_its_destination() {
        let holder = "Our former employee x.y@example.com still holds the course we paid for. Please transfer it to this account.";
        assert!(!is_destination_address(holder, "x.y@example.com"));
        assert!(is_destination_address(
            "Please move my course to new.me@example.com.",
            "new.me@example.com"
        ));
        assert!(is_destination_address(
            "My new email is a@b.example, move the course there",
            "a@b.example"
        ));
        let both = "The course is registered to old@x.example, please move it to new@x.example";
        assert!(!is_destination_address(both, "old@x.example"));
        assert!(is_destination_address(both, "new@x.example"));
    }

    #[test]
    fn moving_the_account_is_an_email_change_not_a_transfer() {
        let text = "Please move my account to new.me@elsewhere.example today";
        let e = extract_entities(text);
        assert_eq!(
            requested_email_change(text, &e, "ann@example.com"),
            Some(Ok("new.me@elsewhere.example".into()))
        );
        let to_account = "I would like that my course is moved to the account bob@example.org";
        let e = extract_entities(to_account);
        assert_eq!(
            requested_email_change(to_account, &e, "ann@example.com"),
            None
        );
        let course = "Please transfer the course from my account to bob@example.org";
        let e = extract_entities(course);
        assert_eq!(requested_email_change(course, &e, "ann@example.com"), None);
        // The account moved in the passive, misspelt, or its address swapped.
        for text in [
            "I need my acconut moved to ann.new@elsewhere.example today.",
            "Swap my account's address over to ann.new@elsewhere.example, this inbox closes.",
        ] {
            let e = extract_entities(text);
            assert_eq!(
                requested_email_change(text, &e, "ann@example.com"),
                Some(Ok("ann.new@elsewhere.example".into())),
                "{text}"
            );
        }
        // A purchase on the account, moved: a transfer.
        let seat = "Can the course on my account be transferred to bob@example.org?";
        let e = extract_entities(seat);
        assert_eq!(requested_email_change(seat, &e, "ann@example.com"), None);
    }

    #[test]
    fn a_contact_address_is_not_someone_else() {
        let text = "refund please. Call me on +1 555 123 4567, or mail ann.b@private.example";
        assert_eq!(resolve(text, &owned()[..1]).purchase_id(), Some("pur_sql"));
    }

    #[test]
    fn matched_by_recency() {
        let r = resolve("Refund my latest purchase please", &owned());
        assert_eq!(r.purchase_id(), Some("pur_sql"));
        assert!(matches!(r, Resolution::ByRecency { .. }));
        assert_eq!(
            resolve("refund the first one I bought", &owned()).purchase_id(),
            Some("pur_rust")
        );
        // "Last week" places the customer's purchase, not one of several.
        assert!(matches!(
            resolve("I bought it last week, refund please", &owned()),
            Resolution::Ambiguous { .. }
        ));
    }

    #[test]
    fn an_address_is_not_a_name() {
        let r = resolve(
            "Please refund ann@example.com's most recent purchase",
            &owned(),
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
    }

    #[test]
    fn titles_in_the_text_are_names() {
        let r = resolve(
            "I purchased iOS Development with Swift and would like a refund.",
            &owned(),
        );
        assert!(matches!(r, Resolution::NamedNotOwned { .. }), "{r:?}");
        let r = resolve(
            "Could you refund Rust Fundamentals for me? Thanks, Ann Lee",
            &owned(),
        );
        assert_eq!(r.purchase_id(), Some("pur_rust"));
        // The customer's own name and a greeting are not titles.
        let one = &owned()[..1];
        let r = resolve(
            "Dear Support Team, this is Ann Lee and I want a refund please",
            one,
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
        // Everything at once is not one object.
        let r = resolve("please move all my purchases to x@y.example asap", one);
        assert!(matches!(r, Resolution::Ambiguous { .. }), "{r:?}");
    }

    #[test]
    fn a_price_is_not_a_name_and_a_word_may_start_a_title() {
        let r = resolve(
            "Please refund the $149.00 course, I bought it on impulse.",
            &owned(),
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
        let r = resolve("I'd like the adv programme refunded", &owned());
        assert!(!r.is_grounded(), "a short word is not a start: {r:?}");
        let r = resolve("I'd like your fundament programme refunded", &owned());
        assert_eq!(r.purchase_id(), Some("pur_rust"), "{r:?}");
    }

    #[test]
    fn a_described_one_is_a_name() {
        let r = resolve(
            "I'm requesting a refund for the graphite portraits one.",
            &owned(),
        );
        assert!(matches!(r, Resolution::NamedNotOwned { .. }), "{r:?}");
        let r = resolve(
            "Would you mind refunding the SQL one? It needs software I lack.",
            &owned(),
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
        // "The other one", "the first one" describe nothing.
        let one = &owned()[..1];
        let r = resolve("Please refund the other one, thanks", one);
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
        assert!(product_phrases("I want the first one refunded").is_empty());
        // Everything at once, as the object of a move.
        let r = resolve("put everything on this account onto x@y.example asap", one);
        assert!(matches!(r, Resolution::Ambiguous { .. }), "{r:?}");
    }

    #[test]
    fn single_quoted_titles_are_names_and_apostrophes_are_not_quotes() {
        let one = &owned()[..1];
        let r = resolve(
            "'Sourdough at home' wasn't what I hoped for. Money back, please.",
            one,
        );
        assert!(matches!(r, Resolution::NamedNotOwned { .. }), "{r:?}");
        let r = resolve(
            "Please refund \u{2018}Advanced SQL\u{2019}, it isn't for me.",
            &owned(),
        );
        assert_eq!(r.purchase_id(), Some("pur_sql"), "{r:?}");
        // Apostrophes in words open and close nothing.
        assert!(single_quoted("I can't use it and it's not what I'd hoped.").is_empty());
        assert_eq!(
            single_quoted("the 'Bread Basics' course (and 'x')"),
            vec!["Bread Basics"]
        );
    }

    #[test]
    fn ambiguous() {
        let r = resolve("I want a refund", &owned());
        assert_eq!(
            r,
            Resolution::Ambiguous {
                candidates: vec!["pur_sql".into(), "pur_rust".into()]
            }
        );
        assert!(!r.is_grounded());
        let r = resolve("refund the SQL course and the Rust course", &owned());
        assert!(matches!(r, Resolution::Ambiguous { .. }), "{r:?}");
        // An earlier, refunded purchase makes "it" ambiguous.
        let mut o = owned();
        o[1].status = "refunded";
        assert!(matches!(
            resolve("refund it please", &o),
            Resolution::Ambiguous { .. }
        ));
    }

    #[test]
    fn accounts() {
        let r = resolve_account(
            "send me a login link",
            &extract_entities("send me a login link"),
            "ann@example.com",
        );
        assert_eq!(r, Resolution::SenderAccount);
        let text = "I lost my email, send the link to ann.new@gmail.example";
        let r = resolve_account(text, &extract_entities(text), "ann@example.com");
        assert!(matches!(r, Resolution::ThirdParty { .. }));
        let text = "my colleague can't log in, please send her a link";
        let r = resolve_account(text, &extract_entities(text), "ann@example.com");
        assert!(matches!(r, Resolution::ThirdParty { .. }), "{r:?}");
    }

    #[test]
    fn transfers_are_recognised_by_verb_and_address() {
        for text in [
            "Could you transfer it to ann.work@corp.example, my main account?",
            "Can the SQL license be moved to ann.work@corp.example?",
            "My company email is ann.work@corp.example, could you put it there instead?",
        ] {
            assert!(
                requested_transfer(text, &extract_entities(text), "ann@example.com"),
                "{text}"
            );
        }
        let text = "I moved house, refund please";
        assert!(!requested_transfer(
            text,
            &extract_entities(text),
            "ann@example.com"
        ));
    }

    #[test]
    fn account_changes() {
        let text = "Please change my email to ann.lee@newmail.example";
        assert_eq!(
            requested_email_change(text, &extract_entities(text), "ann@example.com"),
            Some(Ok("ann.lee@newmail.example".into()))
        );
        let text = "update my email address please";
        assert_eq!(
            requested_email_change(text, &extract_entities(text), "ann@example.com"),
            Some(Err(0))
        );
        let text = "I can't find my email";
        assert_eq!(
            requested_email_change(text, &extract_entities(text), "ann@example.com"),
            None
        );
        assert_eq!(
            requested_name_change("Hi, could you change my name to Ann Lee? Thanks"),
            Some("Ann Lee".into())
        );
        assert_eq!(
            requested_name_change(
                "My name is misspelled on the certificate, it should be José Núñez."
            ),
            Some("José Núñez".into())
        );
        assert_eq!(
            requested_name_change("My name is Ann and I love the course"),
            None
        );
    }

    #[test]
    fn questions_are_not_requests() {
        for q in [
            "When will I see my refund?",
            "Did my refund go through?",
            "What is your refund policy?",
            "Can I get a refund if I don't like the course?",
            "How long do refunds take to show up?",
            "Roughly how many business days does it take for a refund to reach a bank account?",
            "My bank reversed a card fee and calls it a refund. Nothing to do with you, right?",
            "Just curious: once you process a refund, when does it usually arrive?",
            "Do I need an invoice from you to claim the course on my tax refund?",
            "Could I get a refund if the course doesn't suit me?",
            "Supposing I asked for a refund on it tomorrow, how soon is the money back?",
            "refunds go back to the card? and how long does that take?",
            "quick one: refund processing time? days or weeks?",
            "For the refunds, is it days or weeks normally? It is only a question.",
            "The airline cancelled my flight and keeps stalling on the refund. Any idea?",
        ] {
            assert!(asks_about_refund(q), "{q}");
        }
        for r in [
            "Please refund my purchase",
            "I want a refund",
            "I'd like a refund. When will I see the money?",
            "refund me",
            "Can you refund the course?",
            "Could you please refund it? It's not what I expected.",
            "Is it too late? Please refund me, I bought it 3 days ago.",
            "Is it possible to get a refund on Advanced SQL? I bought it on impulse.",
            "I'd like to cancel that and get refunded. (If anything looks strange, the cat did it.)",
        ] {
            assert!(!asks_about_refund(r), "{r}");
        }
    }
}

//! Deterministic signals and entities read from an inbound message: the regex-free front half
//! of the rules brain.
//!
//! [`detect`] looks at the subject, the body and the sender and returns the [`Signal`]s that
//! the router and the policy engine act on. [`extract_entities`] pulls out the structured
//! values (emails, Stripe ids, order and purchase ids, amounts) that tools look up.
//!
//! Everything here is pure: no IO, no clock. Matching is done by hand over a normalised copy of
//! the text (lower case, apostrophes dropped, every other non-alphanumeric run collapsed to one
//! space), so lexicon entries are plain words and `can't` is written `cant`. Lines quoted from
//! earlier mail (starting with `>`) are ignored, and only the first [`MAX_SCAN_CHARS`] characters
//! of a body are read, so a huge or hostile input costs bounded time.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

mod anger;
mod entities;
mod fold;
mod legal;
mod lexicon;
mod personal;

pub use entities::{Entities, extract_entities};
pub(crate) use fold::{decoded, fold};
pub(crate) use lexicon::PERSONAL_STRONG;

use entities::extract_emails;
use lexicon::*;

/// Only this many characters of a body (and [`MAX_SUBJECT_CHARS`] of a subject) are analysed.
/// Real requests sit at the top of a message; what follows is usually quoted history.
pub const MAX_SCAN_CHARS: usize = 20_000;
/// See [`MAX_SCAN_CHARS`].
pub const MAX_SUBJECT_CHARS: usize = 1_000;

/// A deterministic fact about a message that routing and policy act on.
///
/// The names (snake_case in serde) are the ones DESIGN §5 lists, so that
/// `support_core::policy::Signal` can be mapped by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Shouting, a run of exclamation marks, insults or strong complaint phrases.
    Angry,
    /// Lawyers, lawsuits, chargebacks, small claims, consumer-protection complaints.
    LegalThreat,
    /// The customer says the purchase was more than 30 days ago ("6 weeks ago", "last year").
    OutsidePolicyWindow,
    /// A machine wrote this: no-reply senders, bounces, out-of-office auto-replies.
    AutomatedSender,
    /// A partnership / SEO / backlink / guest-post pitch whose body gives no email address.
    VendorOutreach,
    /// Several seats, a team, a purchase order, an invoice for a company, bulk buying.
    TeamEnterprise,
    /// Fan mail or a personal note for the creator, with no support request in it.
    PersonalToInstructor,
    /// Several attempts on the conversation failed. Never read from the text: the caller
    /// passes it in as a fact.
    RepeatedFailures,
}

impl Signal {
    /// Every signal, in the order [`detect`] reports them (the last is never detected).
    pub const ALL: [Signal; 8] = [
        Signal::Angry,
        Signal::LegalThreat,
        Signal::OutsidePolicyWindow,
        Signal::AutomatedSender,
        Signal::VendorOutreach,
        Signal::TeamEnterprise,
        Signal::PersonalToInstructor,
        Signal::RepeatedFailures,
    ];

    /// The serde name, e.g. `legal_threat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Angry => "angry",
            Signal::LegalThreat => "legal_threat",
            Signal::OutsidePolicyWindow => "outside_policy_window",
            Signal::AutomatedSender => "automated_sender",
            Signal::VendorOutreach => "vendor_outreach",
            Signal::TeamEnterprise => "team_enterprise",
            Signal::PersonalToInstructor => "personal_to_instructor",
            Signal::RepeatedFailures => "repeated_failures",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Normalised text and lexicon matching (shared with `classify`).
// ---------------------------------------------------------------------------------------------

/// The first `max` characters of `s`, on a char boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `body` without lines quoted from earlier mail, clipped to [`MAX_SCAN_CHARS`].
pub(crate) fn own_words(body: &str) -> String {
    let body = clip(body, MAX_SCAN_CHARS);
    let mut out = String::with_capacity(body.len());
    for line in body.lines() {
        if line.trim_start().starts_with('>') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Lower-cased text with apostrophes dropped and every other run of non-alphanumeric
/// characters turned into one space, padded with a space at both ends: `" i cant log in "`.
pub(crate) struct Norm {
    text: String,
}

/// Phrases of a customer confirming the problem is gone.
const RESOLVED: &[&str] = &[
    "that worked",
    "it worked",
    "this worked",
    "works now",
    "working now",
    "all set",
    "all good now",
    "problem solved",
    "issue resolved",
    "that fixed it",
    "fixed it",
    "sorted now",
    "you can close",
    "please close this",
    "no longer need help",
];

/// Whether a customer's message only says the problem is solved: a resolution phrase, short,
/// and no question left in it ("that worked, all set, thanks!"). Quoted lines are ignored.
pub fn says_resolved(body: &str) -> bool {
    let own = own_words(body);
    if own.chars().count() > 300 || own.contains('?') {
        return false;
    }
    Norm::new(&own).hits(RESOLVED).into_iter().next().is_some()
}

/// Words that carry a category and that customers misspell ("refun", "padsword",
/// "rgistration", "invoic"): a word of five letters or more, one edit away from one of these
/// (a letter inserted, dropped, replaced, or two neighbours swapped) and with the same first
/// letter, is read as it. Short and everyday words stay out ("cancel" is one letter from
/// "cancer", "course" from "curse").
const SPELLED: &[&str] = &[
    "refund",
    "password",
    "registration",
    "invoice",
    "payment",
    "reimbursement",
    "reimbursements",
    "account",
    "profile",
    "subscription",
    "receipt",
    "transfer",
    "purchase",
    "legal",
    "attorney",
    "complaint",
    "breaches",
    "representative",
];

/// `w` read as the [`SPELLED`] word it misspells, inflected as written ("rfeunding" →
/// "refunding", "pasword" → "password"); `None` when it is no such misspelling.
fn respelled(w: &str) -> Option<String> {
    if w.len() < 5 || SPELLED.contains(&w) {
        return None;
    }
    if let Some(c) = SPELLED.iter().find(|c| one_edit(w, c)) {
        return Some((*c).to_owned());
    }
    // An inflection spelled right ("purchased", "complained", "refunding") is no misspelling.
    if SPELLED.iter().any(|c| w.starts_with(&c[..c.len() - 1])) {
        return None;
    }
    ["ing", "ed", "s"].iter().find_map(|suffix| {
        let stem = w.strip_suffix(suffix).filter(|stem| stem.len() >= 5)?;
        SPELLED
            .iter()
            .find(|c| one_edit(stem, c))
            .map(|c| format!("{c}{suffix}"))
    })
}

/// True when `w` is exactly one edit from `canonical` (optimal string alignment), both
/// ASCII and starting with the same letter, and `w` is not `canonical` plus a suffix.
fn one_edit(w: &str, canonical: &str) -> bool {
    let (a, b) = (w.as_bytes(), canonical.as_bytes());
    // "refunds" is the word inflected, not misspelt: the lexicons' prefixes handle it.
    if !w.is_ascii()
        || a.first() != b.first()
        || a.len().abs_diff(b.len()) > 1
        || w.starts_with(canonical)
    {
        return false;
    }
    one_edit_apart(a, b)
}

/// Whether `a` and `b` differ by exactly one edit (optimal string alignment: one element
/// inserted, dropped or replaced, or two neighbours swapped). Equal inputs are not one edit
/// apart.
pub(crate) fn one_edit_apart<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // Skip the common prefix and suffix; what is left must be one edit.
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    match (ra.len(), rb.len()) {
        (0, 1) | (1, 0) | (1, 1) => true,
        (2, 2) => ra[0] == rb[1] && ra[1] == rb[0],
        _ => false,
    }
}

impl Norm {
    pub(crate) fn new(raw: &str) -> Self {
        let raw = fold(raw);
        let mut text = String::with_capacity(raw.len() + 2);
        text.push(' ');
        for c in raw.chars() {
            if matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`') {
                continue;
            }
            // Invisible format characters (zero-width spaces and joiners, bidi controls, the
            // BOM, soft hyphens) are dropped, not read as word breaks: "ig\u{200B}nore" is
            // "ignore", so hiding a phrase from the lexicons takes more than an invisible
            // character.
            if matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
            {
                continue;
            }
            if c.is_alphanumeric() {
                text.extend(c.to_lowercase());
            } else if !text.ends_with(' ') {
                text.push(' ');
            }
        }
        if !text.ends_with(' ') {
            text.push(' ');
        }
        if text.split(' ').any(|w| respelled(w).is_some()) {
            let fixed: Vec<std::borrow::Cow<'_, str>> = text
                .split(' ')
                .map(|w| respelled(w).map_or(std::borrow::Cow::Borrowed(w), Into::into))
                .collect();
            text = fixed.join(" ");
        }
        Self { text }
    }

    /// Whether a lexicon entry occurs. Entries are normalised words separated by single
    /// spaces and match on word boundaries; a trailing `*` makes the last word a prefix
    /// (`refund*` matches `refunds`, `refunded`).
    pub(crate) fn has(&self, entry: &str) -> bool {
        let (core, prefix) = match entry.strip_suffix('*') {
            Some(core) => (core, true),
            None => (entry, false),
        };
        if core.is_empty() {
            return false;
        }
        let mut needle = String::with_capacity(core.len() + 2);
        needle.push(' ');
        needle.push_str(core);
        if !prefix {
            needle.push(' ');
        }
        self.text.contains(&needle)
    }

    /// The entries of `lexicon` that occur, in lexicon order.
    pub(crate) fn hits<'a>(&self, lexicon: &[&'a str]) -> Vec<&'a str> {
        lexicon.iter().copied().filter(|e| self.has(e)).collect()
    }

    pub(crate) fn any(&self, lexicon: &[&str]) -> bool {
        lexicon.iter().any(|e| self.has(e))
    }

    /// Whether one of `words` is directly followed by a number: "bill 12588" (from "bill
    /// #12588").
    pub(crate) fn word_then_number(&self, words: &[&str]) -> bool {
        let mut it = self.text.split(' ').filter(|w| !w.is_empty()).peekable();
        while let Some(w) = it.next() {
            if words.contains(&w)
                && it
                    .peek()
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            {
                return true;
            }
        }
        false
    }

    pub(crate) fn tokens(&self) -> impl Iterator<Item = &str> {
        self.text.split_whitespace()
    }
}

// ---------------------------------------------------------------------------------------------
// Detection.
// ---------------------------------------------------------------------------------------------

/// Every signal found in a message, deduplicated, in [`Signal::ALL`] order.
///
/// `from` may be a bare address or a `Name <address>` header value. Never panics.
pub fn detect(subject: &str, body: &str, from: &str) -> Vec<Signal> {
    let subject = clip(subject, MAX_SUBJECT_CHARS);
    let own = own_words(body);
    let mut combined = String::with_capacity(subject.len() + own.len() + 1);
    combined.push_str(subject);
    combined.push('\n');
    combined.push_str(&own);
    let norm = Norm::new(&combined);

    let mut found = BTreeSet::new();
    if anger::is_angry(&combined, &norm) {
        found.insert(Signal::Angry);
    }
    if legal::threatens_recourse(&combined) {
        found.insert(Signal::LegalThreat);
    }
    if purchase_outside_window(&norm) {
        found.insert(Signal::OutsidePolicyWindow);
    }
    if is_automated(subject, &own, from) {
        found.insert(Signal::AutomatedSender);
    }
    if is_vendor_outreach(&norm) && extract_emails(&own).is_empty() {
        found.insert(Signal::VendorOutreach);
    }
    if is_team_enterprise(&norm) {
        found.insert(Signal::TeamEnterprise);
    }
    // A personal note asks support for nothing: no request the classifier sees, or no
    // question and no request at all whatever topic words it names.
    if personal::is_personal(&norm)
        && (!crate::classify::has_support_request(&norm) || personal::asks_nothing(&own, &norm))
    {
        found.insert(Signal::PersonalToInstructor);
    }
    found.into_iter().collect()
}

/// A run of at least three all-caps words (two letters or more; one of them four or more).
/// One-letter words ("I", "A") and tokens without letters (numbers, amounts) neither count nor
/// break the run; `RE:`/`FW:` prefixes are ignored.
fn shouts(raw: &str) -> bool {
    let mut run = 0usize;
    let mut long = false;
    for token in raw.split_whitespace() {
        let word = token.trim_matches(|c: char| !c.is_alphanumeric());
        if matches!(word, "RE" | "FW" | "FWD" | "Re" | "Fw" | "Fwd") && token.ends_with(':') {
            continue;
        }
        let letters = word.chars().filter(|c| c.is_alphabetic()).count();
        if letters == 0 {
            continue;
        }
        let caps = word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
        if !caps {
            run = 0;
            long = false;
            continue;
        }
        if letters < 2 {
            continue;
        }
        run += 1;
        long |= letters >= 4;
        if run >= 3 && long {
            return true;
        }
    }
    false
}

/// Three or more `!` in one run of `!`/`?` ("!!!", "?!?!"), or five or more in the message.
fn exclaims(raw: &str) -> bool {
    let mut in_run = 0usize;
    let mut total = 0usize;
    for c in raw.chars() {
        match c {
            '!' | '\u{FF01}' => {
                in_run += 1;
                total += 1;
                if in_run >= 3 || total >= 5 {
                    return true;
                }
            }
            '?' | '\u{FF1F}' => {}
            _ => in_run = 0,
        }
    }
    false
}

/// The purchase happened more than 30 days ago, going by what the customer wrote.
///
/// Phrases ("over a month ago", "last year", "last March", "months ago") plus parsed
/// "N unit ago|back" where N is digits or a number word and unit is day, week, month or year;
/// flagged when N × unit > 30 days ("over 30 days ago" counts as 31). "a month and a half ago"
/// is 45 days. "last week", "yesterday", "3 days ago", "2 weeks ago", "4 weeks ago" are not.
fn purchase_outside_window(norm: &Norm) -> bool {
    if norm.any(OUTSIDE_WINDOW_PHRASES) {
        return true;
    }
    let tokens: Vec<&str> = norm.tokens().collect();
    for (i, t) in tokens.iter().enumerate() {
        if !matches!(*t, "ago" | "back" | "earlier") {
            continue;
        }
        let at = |k: usize| i.checked_sub(k).map(|j| tokens[j]);
        // "a month and a half ago": the unit sits four words back, plus half a unit.
        let (unit_pos, half) =
            if at(1) == Some("half") && at(2) == Some("a") && at(3) == Some("and") {
                (4, true)
            } else {
                (1, false)
            };
        let Some(unit_days) = at(unit_pos).and_then(unit_in_days) else {
            continue;
        };
        let mut qty_pos = unit_pos + 1;
        if at(qty_pos) == Some("of") {
            qty_pos += 1; // "a couple of months ago"
        }
        let Some(qty) = at(qty_pos).and_then(quantity) else {
            continue;
        };
        let mut days = qty.saturating_mul(unit_days);
        if half {
            days = days.saturating_add(unit_days / 2);
        }
        let over = at(qty_pos + 1) == Some("over")
            || (at(qty_pos + 1) == Some("than") && at(qty_pos + 2) == Some("more"));
        if over {
            days = days.saturating_add(1);
        }
        if days > 30 {
            return true;
        }
    }
    false
}

fn unit_in_days(word: &str) -> Option<u64> {
    match word {
        "day" | "days" => Some(1),
        "week" | "weeks" | "wk" | "wks" => Some(7),
        "month" | "months" | "mo" | "mos" | "mth" | "mths" => Some(30),
        "year" | "years" | "yr" | "yrs" => Some(365),
        _ => None,
    }
}

fn quantity(word: &str) -> Option<u64> {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        // Saturate rather than overflow on absurd numbers.
        return Some(word.parse::<u64>().unwrap_or(u64::MAX / 1_000));
    }
    let n = match word {
        "a" | "an" | "one" => 1,
        "two" | "couple" => 2,
        "three" | "few" | "several" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "ninety" => 90,
        _ => return None,
    };
    Some(n)
}

fn is_automated(subject: &str, own_body: &str, from: &str) -> bool {
    let from = clip(from, MAX_SUBJECT_CHARS);
    let from_lower = from.to_lowercase();
    let local = extract_emails(from)
        .into_iter()
        .next()
        .and_then(|e| e.split_once('@').map(|(l, _)| l.to_owned()))
        .unwrap_or_else(|| from_lower.trim().to_owned());
    if AUTOMATED_LOCAL_PREFIXES
        .iter()
        .any(|p| local.starts_with(p) || local.ends_with(p))
    {
        return true;
    }
    let subject = subject.trim().to_lowercase();
    if AUTOMATED_SUBJECT_PREFIXES
        .iter()
        .any(|p| subject.starts_with(p))
    {
        return true;
    }
    // Auto-reply wording near the top of the body counts only when the message asks for
    // nothing: "I'm out of the office next week, where is my refund?" is a customer.
    let opening = Norm::new(clip(own_body.trim_start(), AUTOMATED_OPENING_CHARS));
    opening.any(AUTOMATED_BODY_OPENINGS)
        && !crate::classify::has_support_request(&Norm::new(own_body))
}

fn is_vendor_outreach(norm: &Norm) -> bool {
    let strong = norm.hits(VENDOR_STRONG).len();
    let weak = norm.hits(VENDOR_WEAK).len();
    strong >= 1 || weak >= 3
}

pub(crate) fn is_team_enterprise(norm: &Norm) -> bool {
    if norm.any(TEAM_ENTERPRISE) {
        return true;
    }
    // "12 licenses", "five copies", "20 people", "a 10-person team".
    let tokens: Vec<&str> = norm.tokens().collect();
    tokens.iter().enumerate().any(|(i, first)| {
        let n = quantity(first).filter(|n| *n >= 2 && *n < 1_000_000);
        // "10 or more people", "10 plus developers".
        let mut j = i + 1;
        while matches!(tokens.get(j), Some(&("or" | "more" | "plus" | "over"))) {
            j += 1;
        }
        let Some(next) = tokens.get(j) else {
            return false;
        };
        let w = [*first, *next];
        n.is_some()
            && w[0] != "a"
            && (w[1].starts_with("licen")
                || matches!(
                    w[1],
                    "copies"
                        | "users"
                        | "employees"
                        | "developers"
                        | "people"
                        | "students"
                        | "engineers"
                ) && n.is_some_and(|n| n >= 3)
                || w[1] == "person" && tokens.contains(&"team"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_inflected_word_keeps_its_ending() {
        assert_eq!(respelled("rfeunding").as_deref(), Some("refunding"));
        assert_eq!(respelled("rfeunded").as_deref(), Some("refunded"));
        assert!(Norm::new("would you mind rfeunding it").has("refunding"));
        for right in [
            "purchased",
            "complained",
            "refunding",
            "accountant",
            "legally",
            "invoices",
            "transferring",
        ] {
            assert_eq!(respelled(right), None, "{right}");
        }
    }

    #[test]
    fn one_misspelt_letter_is_read_as_the_word() {
        for (typo, word) in [
            ("refun", "refund"),
            ("padsword", "password"),
            ("rgistration", "registration"),
            ("invoic", "invoice"),
            ("poayment", "payment"),
            ("acocunt", "account"),
        ] {
            assert!(one_edit(typo, word), "{typo}");
            assert!(Norm::new(&format!("my {typo} please")).has(word), "{typo}");
        }
        for (other, word) in [
            ("refunds", "refund"),
            ("prefund", "refund"),
            ("refuse", "refund"),
            ("invoke", "invoice"),
            ("pavement", "payment"),
            ("rfeudn", "refund"),
        ] {
            assert!(!one_edit(other, word), "{other}");
        }
        // Short words are never corrected.
        assert!(!Norm::new("pay ment").has("payment"));
    }

    fn has(subject: &str, body: &str, from: &str, s: Signal) -> bool {
        detect(subject, body, from).contains(&s)
    }

    #[test]
    fn norm_matches_on_word_boundaries() {
        let n = Norm::new("I can't log-in!! Refunds, please.");
        assert!(n.has("cant log in"));
        assert!(n.has("refund*"));
        assert!(!n.has("refund"));
        assert!(!n.has("an"));
        assert!(n.has("please"));
        assert!(!n.has("*"));
    }

    #[test]
    fn shouting_and_exclamations() {
        assert!(shouts("THIS IS RIDICULOUS"));
        assert!(shouts("I WANT MY MONEY BACK"));
        assert!(!shouts("I use the API SDK"));
        assert!(!shouts("RE: Invoice"));
        assert!(exclaims("help!!!"));
        assert!(exclaims("why?!?!!"));
        assert!(!exclaims("Thanks! Great course!"));
    }

    #[test]
    fn policy_window_parsing() {
        for yes in [
            "I bought it about 6 weeks ago",
            "purchased 45 days ago",
            "2 months ago",
            "over a month ago",
            "last year",
            "a couple of months ago",
            "a month and a half ago",
            "over 30 days ago",
            "bought it last March",
            "five weeks back",
        ] {
            assert!(has("", yes, "", Signal::OutsidePolicyWindow), "{yes}");
        }
        for no in [
            "last week",
            "yesterday",
            "3 days ago",
            "2 weeks ago",
            "4 weeks ago",
            "30 days ago",
            "a month ago",
            "weeks ago",
        ] {
            assert!(!has("", no, "", Signal::OutsidePolicyWindow), "{no}");
        }
    }

    #[test]
    fn lawyer_by_trade_is_not_a_threat() {
        assert!(!has(
            "",
            "I'm a lawyer, is the course useful for me?",
            "",
            Signal::LegalThreat
        ));
        assert!(has(
            "",
            "My lawyer will be in touch",
            "",
            Signal::LegalThreat
        ));
        assert!(!has(
            "",
            "Hi, this is Sue from accounting",
            "",
            Signal::LegalThreat
        ));
    }

    #[test]
    fn automated_needs_sender_subject_or_opening() {
        assert!(has(
            "",
            "",
            "MAILER-DAEMON@mx.example.com",
            Signal::AutomatedSender
        ));
        assert!(has(
            "",
            "",
            "Shop <no-reply@shop.com>",
            Signal::AutomatedSender
        ));
        assert!(has(
            "Automatic reply: your ticket",
            "",
            "a@b.com",
            Signal::AutomatedSender
        ));
        let late = format!(
            "{} I got your auto-reply: I am out of the office",
            "word ".repeat(80)
        );
        assert!(!has("Help", &late, "a@b.com", Signal::AutomatedSender));
    }

    #[test]
    fn personal_note_with_a_request_is_not_personal() {
        assert!(has(
            "",
            "Big fan of your work!",
            "",
            Signal::PersonalToInstructor
        ));
        assert!(!has(
            "",
            "Big fan of your work, but I can't log in to the course",
            "",
            Signal::PersonalToInstructor
        ));
    }
}

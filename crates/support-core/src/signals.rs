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
use support_types::Money;

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
}

impl Signal {
    /// Every signal, in the order [`detect`] reports them.
    pub const ALL: [Signal; 7] = [
        Signal::Angry,
        Signal::LegalThreat,
        Signal::OutsidePolicyWindow,
        Signal::AutomatedSender,
        Signal::VendorOutreach,
        Signal::TeamEnterprise,
        Signal::PersonalToInstructor,
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
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
];

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
        if text.split(' ').any(|w| {
            w.len() >= 5 && !SPELLED.contains(&w) && SPELLED.iter().any(|c| one_edit(w, c))
        }) {
            let fixed: Vec<&str> = text
                .split(' ')
                .map(|w| {
                    if w.len() < 5 || SPELLED.contains(&w) {
                        return w;
                    }
                    SPELLED
                        .iter()
                        .copied()
                        .find(|c| one_edit(w, c))
                        .unwrap_or(w)
                })
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
// Lexicons.
// ---------------------------------------------------------------------------------------------

const ANGRY: &[&str] = &[
    "ridiculous",
    "unacceptable",
    "worst customer service",
    "worst customer support",
    "worst service",
    "worst support",
    "worst company",
    "worst experience",
    "worst purchase",
    "scam*",
    "rip off",
    "ripoff",
    "ripped me off",
    "fraud",
    "fraudulent",
    "thieves",
    "stealing my money",
    "stole my money",
    "wtf",
    "what the hell",
    "what the fuck",
    "fuck*",
    "shit*",
    "bullshit",
    "pathetic",
    "incompetent",
    "incompetence",
    "disgusting",
    "disgraceful",
    "a disgrace",
    "outrageous",
    "horrible service",
    "horrible customer",
    "terrible service",
    "terrible customer",
    "awful service",
    "awful customer",
    "furious",
    "livid",
    "piss*",
    "how dare",
    "stupid",
    "idiot*",
    "infuriat*",
    "goddamn",
    "god damn",
    "damn it",
    "get the hell",
    "i am angry",
    "im angry",
    "so angry",
    "very angry",
    "fed up",
    "sick of",
    "sick and tired",
    "waste of money",
    "waste of my money",
    "complete joke",
    "total joke",
    "absolute joke",
    "shameful",
    "shame on you",
    "i hate this",
    "i hate your",
    "never buy from you again",
    "never again",
    "no one has replied",
    "nobody has replied",
    "no one is answering",
    "nobody answers",
    "ignoring me",
    "ignored my emails",
    "useless",
];

const LEGAL: &[&str] = &[
    "lawyer*",
    "attorney*",
    "solicitor*",
    "legal action",
    "legal proceeding*",
    "legal steps",
    "take legal",
    "taking legal",
    "sue you",
    "sue your",
    "sue u",
    "sue the",
    "sue them",
    "sue this",
    "going to sue",
    "gonna sue",
    "will sue",
    "ill sue",
    "suing",
    "lawsuit*",
    "law suit*",
    "chargeback*",
    "charge back",
    "dispute the charge",
    "dispute this charge",
    "dispute the payment",
    "dispute with my bank",
    "dispute with my credit card",
    "small claims",
    "consumer protection",
    "class action",
    "court",
    "ftc",
    "better business bureau",
    "bbb",
    "trading standards",
    "ombudsman",
    "cease and desist",
];

/// Lexicon entries that, right after "i am a" / "as a", describe a job rather than a threat.
const PROFESSIONS: &[&str] = &["lawyer", "attorney", "solicitor"];

const OUTSIDE_WINDOW_PHRASES: &[&str] = &[
    "over a month ago",
    "more than a month ago",
    "over a month",
    "more than a month",
    "over one month",
    "more than one month",
    "over 30 days",
    "more than 30 days",
    "over thirty days",
    "more than thirty days",
    "last year",
    "a year ago",
    "last summer",
    "last spring",
    "last fall",
    "last autumn",
    "last winter",
    "last christmas",
    "last black friday",
    "last january",
    "last february",
    "last march",
    "last april",
    "last may",
    "last june",
    "last july",
    "last august",
    "last september",
    "last october",
    "last november",
    "last december",
    "months ago",
    "years ago",
];

/// Sender local parts (or their prefixes) that are always machines.
const AUTOMATED_LOCAL_PREFIXES: &[&str] = &[
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "do_not_reply",
    "mailer-daemon",
    "postmaster",
    "bounce",
];

/// Subject lines that start like this were written by a mail system.
const AUTOMATED_SUBJECT_PREFIXES: &[&str] = &[
    "auto-reply",
    "autoreply",
    "auto reply",
    "automatic reply",
    "auto:",
    "out of office",
    "out of the office",
    "ooo:",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "mail delivery failure",
    "delivery failure",
    "returned mail",
    "failure notice",
];

/// Auto-reply wording, looked for only near the top of the body, where auto-replies put it,
/// and only in a body that asks for nothing, so that a customer who mentions being out of the
/// office is not silenced.
const AUTOMATED_BODY_OPENINGS: &[&str] = &[
    "i am out of the office",
    "im out of the office",
    "i am currently out of the office",
    "im currently out of the office",
    "i will be out of the office",
    "ill be out of the office",
    "i am out of office",
    "im out of office",
    "i am currently out of office",
    "i am away from the office",
    "i am on vacation until",
    "i am on leave until",
    "out of office until",
    "this is an automatic reply",
    "this is an automated reply",
    "this is an automated response",
    "this is an automatic response",
    "this is an automated message",
    "this is an auto reply",
    "this is an autoreply",
    "this message was automatically generated",
    "this email was automatically generated",
    "this is an automatically generated",
    "delivery has failed to these recipients",
    "your message could not be delivered",
    "your message wasnt delivered",
];

/// How many leading characters of the body [`AUTOMATED_BODY_OPENINGS`] may appear in.
const AUTOMATED_OPENING_CHARS: usize = 300;

/// Pitch phrases: one is enough.
const VENDOR_STRONG: &[&str] = &[
    "partnership opportunit*",
    "partnership proposal",
    "business proposal",
    "collaboration opportunit*",
    "collab opportunit*",
    "paid collab*",
    "sponsorship opportunit*",
    "sponsored post*",
    "sponsored content",
    "sponsored article*",
    "backlink*",
    "back link*",
    "guest post*",
    "guest article*",
    "guest blog*",
    "link insertion*",
    "link building",
    "link exchange",
    "dofollow",
    "do follow link*",
    "seo service*",
    "seo audit",
    "seo agency",
    "seo expert*",
    "seo specialist",
    "seo package*",
    "improve your seo",
    "boost your seo",
    "rank higher on google",
    "first page of google",
    "top of google",
    "google ranking*",
    "domain authority",
    "grow your audience",
    "grow your channel",
    "grow your business",
    "increase your traffic",
    "boost your traffic",
    "drive traffic to your",
    "more traffic to your",
    "affiliate commission*",
    "thought of you for",
    "we help companies",
    "we help businesses",
    "we help creators",
    "we help course creators",
    "i help creators",
    "i help course creators",
    "lead generation",
    "generate more leads",
    "web design services",
    "web development services",
    "app development services",
    "development agency",
    "marketing agency",
    "white label",
    "vp of growth",
    "head of partnerships",
    "influencer marketing",
    "promote your course",
    "promote your product",
    "promote your brand",
    "feature your course",
    "your audience would love",
    "production ready saas",
    "would you be open to a quick call",
    "open to a quick call",
    "schedule a quick call",
    "quick 15 minute call",
    "book a demo",
];

/// Weaker pitch phrases: two of these also make a pitch.
const VENDOR_WEAK: &[&str] = &[
    "your website",
    "your blog",
    "your audience",
    "your channel",
    "your brand",
    "partnership",
    "collaborat*",
    "mutually beneficial",
    "win win",
    "our agency",
    "our clients",
    "quick call",
    "reach out",
    "10x",
    "roi",
];

const TEAM_ENTERPRISE: &[&str] = &[
    "team of",
    "seats",
    "seat licen*",
    "site licen*",
    "team licen*",
    "team plan",
    "team account",
    "company licen*",
    "group licen*",
    "corporate licen*",
    "volume licen*",
    "multiple licen*",
    "several licen*",
    "multi seat",
    "enterprise",
    "purchase order",
    "po number",
    "procurement",
    "invoice for my company",
    "invoice for our company",
    "invoice to my company",
    "invoice to our company",
    "invoice for my employer",
    "invoice for the company",
    "bulk",
    "volume discount",
    "volume pricing",
    "for my team",
    "for our team",
    "for the whole team",
    "my whole team",
    "our whole team",
    "my entire team",
    "our entire team",
    "for my employees",
    "for our employees",
    "our developers",
    "our engineers",
    "l d budget",
    "learning and development",
    "training budget",
    "onboard our",
];

/// Personal notes and fan mail: one strong phrase, and no support request.
pub(crate) const PERSONAL_STRONG: &[&str] = &[
    "big fan",
    "huge fan",
    "biggest fan",
    "changed my life",
    "changed my career",
    "life changing",
    "just wanted to say thank*",
    "just wanted to thank",
    "just want to say thank*",
    "just want to thank",
    "wanted to say thank*",
    "wanted to thank you",
    "thank you for everything",
    "thank you for your work",
    "thank you for all your work",
    "thank you for your content",
    "thank you for making",
    "thanks for making",
    "thank you for creating",
    "thanks for creating",
    "thank you for putting",
    "thanks for putting",
    "thank you for sharing",
    "thanks for sharing",
    "love your work",
    "love your content",
    "love your videos",
    "love your course*",
    "love your teaching",
    "love your newsletter",
    "love your book",
    "loved your talk",
    "loved your course",
    "loved the course",
    "loving the course",
    "your teaching style",
    "the way you teach",
    "the way you explain",
    "best instructor",
    "best teacher",
    "amazing teacher",
    "amazing instructor",
    "great teacher",
    "great instructor",
    "fantastic teacher",
    "you inspire*",
    "inspired me",
    "youre an inspiration",
    "you are an inspiration",
    "keep up the great work",
    "keep up the good work",
    "keep up the amazing work",
    "keep doing what you do",
    "got a job thanks",
    "landed a job thanks",
    "landed my first",
    "got hired",
    "got promoted",
    "thanks to your",
    "thanks to you",
    "because of your course",
    "personal message for",
    "personal note for",
    "personal question for",
    "message for the instructor",
    "note for the instructor",
    "message for the author",
    "please pass this on",
    "pass this on to",
    "pass this along",
    "please forward this to",
    "met you at",
    "saw your talk",
    "watched your talk",
    "your talk at",
    "your book",
    "your explanations",
    "for your work",
    "thanks for everything",
    "for everything you do",
    "for all you do",
    "all that you do",
    "helped me get",
    "helped me land",
    "made me a better",
    "my first job",
    "my first dev job",
    "say thanks",
    "drop a note",
    "drop you a note",
    "an inspiration",
    "hope you and your family",
];

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
    if is_angry(&combined, &norm) {
        found.insert(Signal::Angry);
    }
    if is_legal_threat(&norm) {
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
    if norm.any(PERSONAL_STRONG) && !crate::classify::has_support_request(&norm) {
        found.insert(Signal::PersonalToInstructor);
    }
    found.into_iter().collect()
}

fn is_angry(raw: &str, norm: &Norm) -> bool {
    norm.any(ANGRY) || shouts(raw) || exclaims(raw)
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

fn is_legal_threat(norm: &Norm) -> bool {
    LEGAL.iter().any(|entry| {
        if !norm.has(entry) {
            return false;
        }
        let word = entry.trim_end_matches('*');
        if PROFESSIONS.contains(&word) {
            // "I'm a lawyer and want to buy the course" is not a threat; "my lawyer" is.
            return lexicon_other_use(norm, word);
        }
        true
    })
}

/// Whether `word` occurs somewhere other than right after "i am a"/"im a"/"as a"/"work as a".
fn lexicon_other_use(norm: &Norm, word: &str) -> bool {
    let tokens: Vec<&str> = norm.tokens().collect();
    tokens.iter().enumerate().any(|(i, t)| {
        if !t.starts_with(word) {
            return false;
        }
        let before = |k: usize| i.checked_sub(k).map(|j| tokens[j]);
        let self_described =
            matches!(before(1), Some("a" | "an")) && matches!(before(2), Some("im" | "am" | "as"));
        !self_described
    })
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

// ---------------------------------------------------------------------------------------------
// Entities.
// ---------------------------------------------------------------------------------------------

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
fn words(text: &str) -> Vec<(String, String)> {
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
fn amounts(text: &str) -> Vec<Money> {
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

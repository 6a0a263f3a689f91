//! The draft validator: deterministic checks on a customer reply before it goes to the
//! helpdesk (the peer's `validate.ts`, notes/peer-skillrecordings-support.md §8, checks 40–44).
//!
//! [`validate`] reads a draft, the knowledge snippets retrieved for it and optional
//! [`GroundTruth`], and returns every [`Finding`] with a stable rule id, the offending excerpt
//! and a severity:
//!
//! | Kind | Examples | Severity |
//! |------|----------|----------|
//! | empty | nothing but whitespace or quoted lines | error |
//! | internal leak | "No instructor configured", "API error", "tool failed", "in our system", "routed to the business development team", engine jargon ("classifier", "confidence score", "policy engine", `support_refund`), stack traces, JSON, internal ids, template placeholders | error |
//! | meta-commentary | a line starting "This is a vendor email", "I won't respond", "No response needed", "Here's a draft response", "The customer is …", "Flagging this to …" | error |
//! | fabrication | "Module 3", "lesson 4", "chapter two", "the fundamentals section" that no retrieved snippet mentions | error |
//! | unsourced claim | a price (`$49`) neither the snippets nor the facts give | error |
//! |  | a timeline ("within 5 days"), a percentage, a guarantee word, not in the snippets | warning |
//! | ground truth | a refund window ("30-day refund", "refunds within 14 days of purchase") that differs from the app's | error |
//! | banned phrase | em dash, opening "Great!", "I'd recommend", "I hope this helps", "Happy to help", "I understand", "Thanks for reaching out", "Don't hesitate to" … | warning |
//! | length | under [`MIN_CHARS`] or over [`MAX_CHARS`] characters | warning |
//!
//! **Errors block** (`valid` is false: the draft is not posted). **Warnings keep a draft from
//! being sent on its own** (`auto_sendable` is false) but it still goes to a human as a
//! draft. Banned phrases are warnings on purpose: peer check 40 asks for "flagged, not
//! auto-sendable", and "Happy to help" is a tone problem a human can fix in a second, not a
//! leak that must never reach the helpdesk. Info findings only lower the score (no rule
//! emits one yet).
//!
//! `score` = 1 − 0.3 × errors − 0.1 × warnings − 0.02 × info, floored at 0, computed in whole
//! hundredths so that one warning is exactly `0.9`.
//!
//! Matching is case-insensitive on words (apostrophes dropped, so `I won't` is `i wont`),
//! Unicode-safe (excerpts are cut on character boundaries), and ignores lines quoted from
//! earlier mail (starting with `>`): a customer's own "API error" quoted back is not a leak.
//! The lists lean towards not blocking ordinary replies: "our refund policy", "with
//! confidence", "I've escalated this to our billing team" and "this is a known issue" pass.
//!
//! Not here: the peer's model-graded checks (relevance, audience) and its memory of corrected
//! drafts; they are not deterministic and belong with the brain that has a model.

use std::collections::BTreeSet;

use serde::Serialize;

mod lexicon;

use lexicon::*;

/// Drafts shorter than this many characters (after trimming) get a warning.
pub const MIN_CHARS: usize = 10;
/// Drafts longer than this many characters get a warning.
pub const MAX_CHARS: usize = 2_000;
/// Only this many characters of a draft are checked; a longer draft is an error, so nothing
/// past the limit can slip through unread.
pub const MAX_CHECKED_CHARS: usize = 100_000;
/// Excerpts in findings are cut to this many characters.
const EXCERPT_CHARS: usize = 80;

/// The ids of the rules, as reported in [`Finding::rule`]. Stable: dashboards and tests key on
/// them.
pub mod rules {
    pub const EMPTY: &str = "empty";
    pub const TOO_LONG_TO_CHECK: &str = "too_long_to_check";
    /// A phrase the platform or a tool produces, never a person ("No instructor configured").
    pub const LEAK_PHRASE: &str = "leak_phrase";
    /// The engine's vocabulary: classifier, confidence score, policy engine, category names.
    pub const LEAK_JARGON: &str = "leak_jargon";
    pub const LEAK_STACK_TRACE: &str = "leak_stack_trace";
    pub const LEAK_JSON: &str = "leak_json";
    /// An internal id (`cus_Nffr…`, `gift_card_7245904`, a UUID).
    pub const LEAK_ID: &str = "leak_id";
    /// An unfilled template (`{{name}}`, `[customer name]`, "Hi undefined").
    pub const LEAK_PLACEHOLDER: &str = "leak_placeholder";
    /// A line that talks about the message instead of to the customer ("This is a vendor email").
    pub const META_OPENING: &str = "meta_opening";
    pub const META_PHRASE: &str = "meta_phrase";
    pub const BANNED_EM_DASH: &str = "banned_em_dash";
    pub const BANNED_GREAT_OPENER: &str = "banned_great_opener";
    pub const BANNED_PHRASE: &str = "banned_phrase";
    pub const FABRICATED_REFERENCE: &str = "fabricated_reference";
    pub const UNSOURCED_PRICE: &str = "unsourced_price";
    pub const UNSOURCED_TIMELINE: &str = "unsourced_timeline";
    pub const UNSOURCED_PERCENTAGE: &str = "unsourced_percentage";
    pub const UNSOURCED_GUARANTEE: &str = "unsourced_guarantee";
    pub const REFUND_WINDOW_MISMATCH: &str = "refund_window_mismatch";
    pub const TOO_SHORT: &str = "too_short";
    pub const TOO_LONG: &str = "too_long";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the draft.
    Error,
    /// Keeps the draft from being sent without a human.
    Warning,
    /// Lowers the score only.
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Empty,
    InternalLeak,
    MetaCommentary,
    BannedPhrase,
    Fabrication,
    UnsourcedClaim,
    GroundTruth,
    Length,
}

/// One problem in a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// One of [`rules`].
    pub rule: &'static str,
    /// The offending excerpt, at most 80 characters (an ellipsis marks a cut).
    pub matched: String,
}

/// The verdict on a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// No errors: the draft may go to the helpdesk.
    pub valid: bool,
    /// No errors and no warnings: the draft may be sent without a human, if trust allows.
    pub auto_sendable: bool,
    /// See the [module docs](self).
    pub score: f64,
    pub findings: Vec<Finding>,
}

impl Validation {
    /// The findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// Whether a rule fired.
    pub fn has(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }
}

/// What the app knows for certain, to check claims against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroundTruth {
    /// The app's refund window in days (its policy's `auto_approve_refund_days`, or what its
    /// terms say). A draft naming another refund window is an error.
    pub refund_window_days: Option<u32>,
    /// Amounts the facts vouch for, in cents (the customer's purchase, the product's price):
    /// a price in the draft equal to one of them is sourced.
    pub amounts_cents: Vec<i64>,
}

/// `1 − 0.3 × errors − 0.1 × warnings − 0.02 × info`, floored at 0, in whole hundredths.
pub fn score(errors: usize, warnings: usize, infos: usize) -> f64 {
    let penalty = errors
        .saturating_mul(30)
        .saturating_add(warnings.saturating_mul(10))
        .saturating_add(infos.saturating_mul(2));
    let hundredths = 100usize.saturating_sub(penalty);
    // At most 100, so the conversion is exact.
    hundredths as f64 / 100.0
}

/// Check a draft. `knowledge` holds the retrieved snippets (possibly none).
pub fn validate<S: AsRef<str>>(draft: &str, knowledge: &[S], truth: &GroundTruth) -> Validation {
    let mut out = Findings::default();
    let own_full = own_text(draft);
    let own = clip(&own_full, MAX_CHECKED_CHARS);
    if own.len() < own_full.len() {
        out.push(
            FindingKind::Length,
            Severity::Error,
            rules::TOO_LONG_TO_CHECK,
            format!("more than {MAX_CHECKED_CHARS} characters"),
        );
    }
    let trimmed = own.trim();
    if trimmed.is_empty() {
        out.push(
            FindingKind::Empty,
            Severity::Error,
            rules::EMPTY,
            String::new(),
        );
        return out.finish();
    }

    let text = Text::new(own);
    let snippets: Vec<Text> = knowledge
        .iter()
        .map(|k| Text::new(clip(k.as_ref(), MAX_CHECKED_CHARS)))
        .collect();

    leaks(&text, &mut out);
    meta(&text, &mut out);
    banned(&text, &mut out);
    fabrication(&text, &snippets, &mut out);
    let window_spans = ground_truth(&text, truth, &mut out);
    claims(&text, &snippets, truth, &window_spans, &mut out);

    let chars = trimmed.chars().count();
    if chars < MIN_CHARS {
        out.push(
            FindingKind::Length,
            Severity::Warning,
            rules::TOO_SHORT,
            format!("{chars} characters"),
        );
    } else if chars > MAX_CHARS {
        out.push(
            FindingKind::Length,
            Severity::Warning,
            rules::TOO_LONG,
            format!("{chars} characters"),
        );
    }
    out.finish()
}

// ---------------------------------------------------------------------------------------------
// Findings, deduplicated: one per rule and excerpt, so a phrase repeated ten times costs once.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Findings(Vec<Finding>);

/// A draft with more problems than this is hopeless anyway (its score is 0 long before), and
/// the cap keeps a hostile draft from costing more than linear time in deduplication.
const MAX_FINDINGS: usize = 50;

impl Findings {
    fn push(&mut self, kind: FindingKind, severity: Severity, rule: &'static str, matched: String) {
        if self.is_full() {
            return;
        }
        let dup = self
            .0
            .iter()
            .any(|f| f.rule == rule && f.matched.to_lowercase() == matched.to_lowercase());
        if !dup {
            self.0.push(Finding {
                kind,
                severity,
                rule,
                matched,
            });
        }
    }

    fn is_full(&self) -> bool {
        self.0.len() >= MAX_FINDINGS
    }

    fn finish(self) -> Validation {
        let count = |s: Severity| self.0.iter().filter(|f| f.severity == s).count();
        let (errors, warnings, infos) = (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info),
        );
        Validation {
            valid: errors == 0,
            auto_sendable: errors == 0 && warnings == 0,
            score: score(errors, warnings, infos),
            findings: self.0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text: the draft's own lines, as words with their byte spans.
// ---------------------------------------------------------------------------------------------

/// The first `max` characters of `s`, on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `draft` without the lines quoted from earlier mail.
fn own_text(draft: &str) -> String {
    let mut out = String::with_capacity(draft.len());
    for line in draft.lines() {
        if line.trim_start().starts_with('>') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`')
}

struct Word {
    /// Lower case, apostrophes dropped.
    norm: String,
    /// Byte span in the text.
    start: usize,
    end: usize,
    /// The first word of its line.
    line_start: bool,
    /// Index of its sentence.
    sentence: usize,
    /// Its value, when it is a number (`30`, `thirty`).
    num: Option<u64>,
}

struct Text<'a> {
    raw: &'a str,
    words: Vec<Word>,
}

impl<'a> Text<'a> {
    fn new(raw: &'a str) -> Self {
        let mut words: Vec<Word> = Vec::new();
        let mut current: Option<(usize, String)> = None;
        let mut gap_start = 0;
        let mut sentence = 0;
        let mut iter = raw.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let next_is_alnum = iter.peek().is_some_and(|(_, n)| n.is_alphanumeric());
            if c.is_alphanumeric() || (is_apostrophe(c) && current.is_some() && next_is_alnum) {
                let (_, norm) = current.get_or_insert_with(|| (i, String::new()));
                if c.is_alphanumeric() {
                    norm.extend(c.to_lowercase());
                }
                continue;
            }
            if let Some((start, norm)) = current.take() {
                let gap = &raw[gap_start..start];
                if !words.is_empty() && is_sentence_break(gap) {
                    sentence += 1;
                }
                let line_start = words.is_empty() || gap.contains('\n');
                let num = number(&norm);
                words.push(Word {
                    norm,
                    start,
                    end: i,
                    line_start,
                    sentence,
                    num,
                });
                gap_start = i;
            }
        }
        if let Some((start, norm)) = current.take() {
            let gap = &raw[gap_start..start];
            if !words.is_empty() && is_sentence_break(gap) {
                sentence += 1;
            }
            let num = number(&norm);
            words.push(Word {
                norm,
                start,
                end: raw.len(),
                line_start: words.is_empty() || gap.contains('\n'),
                sentence,
                num,
            });
        }
        Text { raw, words }
    }

    /// The text between two words (or before the first).
    fn gap_before(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.words[i - 1].end };
        self.words
            .get(i)
            .map_or("", |w| self.raw.get(start..w.start).unwrap_or(""))
    }

    /// The raw text of words `i..j`, cut to an excerpt.
    fn excerpt(&self, i: usize, j: usize) -> String {
        let (Some(first), Some(last)) = (self.words.get(i), self.words.get(j.saturating_sub(1)))
        else {
            return String::new();
        };
        excerpt(self.raw.get(first.start..last.end).unwrap_or(""))
    }

    /// Where `pattern` matches, as word ranges. See [`matches_at`].
    fn find_all(&self, pattern: &str) -> Vec<(usize, usize)> {
        let tokens: Vec<&str> = pattern.split_whitespace().collect();
        (0..self.words.len())
            .filter_map(|i| matches_at(&self.words, i, &tokens).map(|j| (i, j)))
            .collect()
    }

    fn find(&self, pattern: &str) -> Option<(usize, usize)> {
        let tokens: Vec<&str> = pattern.split_whitespace().collect();
        (0..self.words.len()).find_map(|i| matches_at(&self.words, i, &tokens).map(|j| (i, j)))
    }

    fn has(&self, pattern: &str) -> bool {
        self.find(pattern).is_some()
    }
}

/// A sentence ends at `!`, `?`, a line break, or a full stop followed by a space (so `$4.99`
/// stays one sentence).
fn is_sentence_break(gap: &str) -> bool {
    gap.contains(['!', '?', '\n'])
        || gap
            .char_indices()
            .any(|(i, c)| c == '.' && gap[i + 1..].starts_with(char::is_whitespace))
}

/// Whether the pattern's tokens match the words starting at `i`; the end index if so. A
/// token is a normalised word; `#` matches any number, `word*` any word starting with `word`.
fn matches_at(words: &[Word], i: usize, tokens: &[&str]) -> Option<usize> {
    if tokens.is_empty() || i + tokens.len() > words.len() {
        return None;
    }
    for (k, token) in tokens.iter().enumerate() {
        let w = &words[i + k];
        let ok = match (*token, token.strip_suffix('*')) {
            ("#", _) => w.num.is_some(),
            (_, Some(prefix)) => w.norm.starts_with(prefix),
            (t, None) => w.norm == t,
        };
        if !ok {
            return None;
        }
    }
    Some(i + tokens.len())
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    let cut = clip(s, EXCERPT_CHARS);
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}

/// Up to `span` characters either side of the byte range `start..end` of `raw`.
fn around(raw: &str, start: usize, end: usize, span: usize) -> String {
    let from = raw[..start]
        .char_indices()
        .rev()
        .nth(span.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let to = raw[end..]
        .char_indices()
        .nth(span)
        .map_or(raw.len(), |(i, _)| end + i);
    excerpt(&raw[from..to])
}

fn number(word: &str) -> Option<u64> {
    if !word.is_empty() && word.len() <= 12 && word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse().ok();
    }
    if let Some(n) = NUMBER_WORDS.iter().position(|w| *w == word) {
        return u64::try_from(n).ok();
    }
    match word {
        "thirty" => Some(30),
        "forty" => Some(40),
        "fifty" => Some(50),
        "sixty" => Some(60),
        "ninety" => Some(90),
        "hundred" => Some(100),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Internal leaks.
// ---------------------------------------------------------------------------------------------

fn leaks(text: &Text, out: &mut Findings) {
    let leak = |out: &mut Findings, rule, matched| {
        out.push(FindingKind::InternalLeak, Severity::Error, rule, matched);
    };
    for phrase in LEAK_PHRASES {
        if let Some((i, j)) = text.find(phrase) {
            leak(out, rules::LEAK_PHRASE, text.excerpt(i, j));
        }
    }
    for phrase in LEAK_JARGON {
        if let Some((i, j)) = text.find(phrase) {
            leak(out, rules::LEAK_JARGON, text.excerpt(i, j));
        }
    }
    for phrase in STACK_TRACE_PHRASES {
        if let Some((i, j)) = text.find(phrase) {
            leak(out, rules::LEAK_STACK_TRACE, text.excerpt(i, j));
        }
    }
    // "[customer name]", "{first name}": the bracketed forms only.
    for phrase in PLACEHOLDER_PHRASES {
        for (i, j) in text.find_all(phrase) {
            let bracketed = text.gap_before(i).ends_with(['[', '{', '<'])
                || phrase.starts_with("hi ")
                || phrase.starts_with("hello ")
                || phrase.starts_with("dear ")
                || *phrase == "object object";
            if bracketed {
                leak(out, rules::LEAK_PLACEHOLDER, text.excerpt(i, j));
            }
        }
    }
    raw_leaks(text.raw, out);
}

/// Leaks that live in punctuation: identifiers, file:line, JSON, templates. JSON and file:line
/// inside a fenced code block (```) are a code sample the reply means to show, not a leak.
fn raw_leaks(raw: &str, out: &mut Findings) {
    let leak = |out: &mut Findings, rule, matched| {
        out.push(FindingKind::InternalLeak, Severity::Error, rule, matched);
    };
    let fences = fenced_ranges(raw);
    let fenced = |i: usize| fences.iter().any(|r| r.contains(&i));
    if let Some(i) = raw.find("{{") {
        leak(out, rules::LEAK_PLACEHOLDER, around(raw, i, i + 2, 12));
    }
    if let Some(i) = json_starts(raw).find(|&i| !fenced(i)) {
        leak(out, rules::LEAK_JSON, around(raw, i, i + 1, 30));
    }
    // Tokens: runs of alphanumerics, `_`, `-`, `.`, `:` (so `ch_3Mml…`, `main.rs:42` and a
    // UUID are one token each), outside links, whose paths may hold anything.
    let is_token_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    let mut offset = 0;
    for chunk in raw.split_inclusive(char::is_whitespace) {
        let chunk_start = offset;
        offset += chunk.len();
        if chunk.contains("://") || chunk.trim_start().starts_with("www.") {
            continue;
        }
        let mut start = None;
        // An email address's parts ("ann_lee42@example.org") are not identifiers.
        let mut in_address = false;
        for (i, c) in chunk
            .char_indices()
            .chain(std::iter::once((chunk.len(), ' ')))
        {
            match (is_token_char(c), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    start = None;
                    let token = chunk[s..i].trim_end_matches(['.', ':', '-']);
                    let after_at = std::mem::replace(&mut in_address, c == '@');
                    let address = c == '@' || after_at;
                    if token.is_empty() || address {
                        continue;
                    }
                    if is_internal_id(token) {
                        leak(out, rules::LEAK_ID, excerpt(token));
                    } else if is_taxonomy_name(token) {
                        leak(out, rules::LEAK_JARGON, excerpt(token));
                    } else if is_source_location(token) && !fenced(chunk_start + s) {
                        leak(out, rules::LEAK_STACK_TRACE, excerpt(token));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Byte ranges between ``` fences (an unclosed fence runs to the end).
fn fenced_ranges(raw: &str) -> Vec<std::ops::Range<usize>> {
    let marks: Vec<usize> = raw.match_indices("```").map(|(i, _)| i).collect();
    marks
        .chunks(2)
        .map(|pair| pair[0]..pair.get(1).copied().unwrap_or(raw.len()))
        .collect()
}

/// Where `{"key":` starts a JSON object.
fn json_starts(raw: &str) -> impl Iterator<Item = usize> + '_ {
    raw.match_indices('{').map(|(i, _)| i).filter(|&i| {
        let rest = raw[i + 1..].trim_start();
        let Some(rest) = rest.strip_prefix('"') else {
            return false;
        };
        let key_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        key_len > 0
            && rest[key_len..].starts_with('"')
            && rest[key_len + 1..].trim_start().starts_with(':')
    })
}

/// `cus_NffrFeUfNV2Hib`, `gift_card_7245904`, `ch_3MmlLrLkdIwHu7ix0snN0B15`: a lower-case
/// prefix, an underscore, and a last part of 6+ alphanumerics with a digit. Or a UUID.
fn is_internal_id(token: &str) -> bool {
    if is_uuid(token) {
        return true;
    }
    let parts: Vec<&str> = token.split('_').collect();
    let [first, .., last] = parts.as_slice() else {
        return false;
    };
    !first.is_empty()
        && first.len() <= 12
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && last.len() >= 6
        && last.bytes().all(|b| b.is_ascii_alphanumeric())
        && last.bytes().any(|b| b.is_ascii_digit())
}

fn is_uuid(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_taxonomy_name(token: &str) -> bool {
    let lower = token.to_lowercase();
    let snake = lower.contains('_') && lower.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    snake
        && (TAXONOMY_NAMES.contains(&lower.as_str())
            || TAXONOMY_PREFIXES
                .iter()
                .any(|p| lower.len() > p.len() && lower.starts_with(p)))
}

/// `main.rs:42`, `index.js:10:5`.
fn is_source_location(token: &str) -> bool {
    let mut parts = token.split(':');
    let (Some(file), Some(line)) = (parts.next(), parts.next()) else {
        return false;
    };
    let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.is_some_and(|e| SOURCE_EXTENSIONS.contains(&e.as_str()))
        && !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// Meta-commentary.
// ---------------------------------------------------------------------------------------------

/// How many words after an opening may hold the noun.
const META_NOUN_WINDOW: usize = 3;

fn meta(text: &Text, out: &mut Findings) {
    let words = &text.words;
    for (i, w) in words.iter().enumerate() {
        if !w.line_start {
            continue;
        }
        for opening in META_OPENINGS {
            let tokens: Vec<&str> = opening.split_whitespace().collect();
            let Some(j) = matches_at(words, i, &tokens) else {
                continue;
            };
            let window = j..(j + META_NOUN_WINDOW).min(words.len());
            if let Some(k) = window.clone().find(|&k| {
                META_NOUNS.contains(&words[k].norm.as_str()) && words[k].sentence == w.sentence
            }) {
                out.push(
                    FindingKind::MetaCommentary,
                    Severity::Error,
                    rules::META_OPENING,
                    text.excerpt(i, k + 1),
                );
                break;
            }
        }
    }
    for phrase in META_PHRASES {
        if let Some((i, j)) = text.find(phrase) {
            out.push(
                FindingKind::MetaCommentary,
                Severity::Error,
                rules::META_PHRASE,
                text.excerpt(i, j),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Banned phrases.
// ---------------------------------------------------------------------------------------------

fn banned(text: &Text, out: &mut Findings) {
    let raw = text.raw;
    if let Some(i) = raw.find('\u{2014}') {
        out.push(
            FindingKind::BannedPhrase,
            Severity::Warning,
            rules::BANNED_EM_DASH,
            around(raw, i, i + '\u{2014}'.len_utf8(), 15),
        );
    }
    // "Great!" or "Great question" as the first words.
    if let Some(first) = text.words.first()
        && first.norm == "great"
        && (raw[first.end..].starts_with('!')
            || text.words.get(1).is_some_and(|w| w.norm == "question"))
    {
        let end = if raw[first.end..].starts_with('!') {
            first.end + 1
        } else {
            text.words[1].end
        };
        out.push(
            FindingKind::BannedPhrase,
            Severity::Warning,
            rules::BANNED_GREAT_OPENER,
            excerpt(&raw[first.start..end]),
        );
    }
    for phrase in BANNED_PHRASES {
        if let Some((i, j)) = text.find(phrase) {
            out.push(
                FindingKind::BannedPhrase,
                Severity::Warning,
                rules::BANNED_PHRASE,
                text.excerpt(i, j),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fabrication: course structure nobody retrieved.
// ---------------------------------------------------------------------------------------------

fn fabrication(text: &Text, snippets: &[Text], out: &mut Findings) {
    let words = &text.words;
    let mut reported: Vec<(usize, usize)> = Vec::new();
    let mut report = |i: usize, j: usize| {
        if reported.iter().any(|&(a, b)| i < b && a < j) {
            return;
        }
        reported.push((i, j));
        out.push(
            FindingKind::Fabrication,
            Severity::Error,
            rules::FABRICATED_REFERENCE,
            text.excerpt(i, j),
        );
    };
    // "module 3", "Lesson twelve"; each distinct reference is looked up once.
    let mut looked_up: Vec<(&str, u64)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if STRUCTURE_WORDS.contains(&w.norm.as_str())
            && let Some(n) = words.get(i + 1).and_then(|x| x.num)
            && !looked_up.contains(&(w.norm.as_str(), n))
        {
            looked_up.push((w.norm.as_str(), n));
            if !snippets.iter().any(|s| mentions_numbered(s, &w.norm, n)) {
                report(i, i + 2);
            }
        }
    }
    // "the fundamentals section", "start with the basics module": a named part of a course.
    for (i, j) in text.find_all("start with the") {
        let named = (j..(j + 3).min(words.len())).find(|&k| {
            matches!(
                words[k].norm.as_str(),
                "section" | "module" | "chapter" | "lesson"
            )
        });
        if let Some(k) = named
            && k > j
            && !snippets.iter().any(|s| s.has(&words[k - 1].norm))
        {
            report(i, k + 1);
        }
    }
    for (i, j) in text.find_all("fundamentals section") {
        if !snippets.iter().any(|s| s.has("fundamentals")) {
            report(i, j);
        }
    }
}

fn mentions_numbered(s: &Text, word: &str, n: u64) -> bool {
    s.words
        .windows(2)
        .any(|p| p[0].norm == word && p[1].num == Some(n))
}

// ---------------------------------------------------------------------------------------------
// Ground truth: the refund window.
// ---------------------------------------------------------------------------------------------

/// Refund windows stated in the draft that differ from the truth. Returns the word spans of
/// the windows checked against the truth (right or wrong), so the timeline check does not
/// count them again; without a truth, a window is just an unsourced timeline.
fn ground_truth(text: &Text, truth: &GroundTruth, out: &mut Findings) -> Vec<(usize, usize)> {
    let words = &text.words;
    let mut spans = Vec::new();
    // Which sentences talk about refunds, computed once.
    let sentences = words.last().map_or(0, |w| w.sentence + 1);
    let mut refund_sentences = vec![false; sentences];
    let context: Vec<Vec<&str>> = REFUND_CONTEXT
        .iter()
        .map(|p| p.split_whitespace().collect())
        .collect();
    for (k, w) in words.iter().enumerate() {
        if context.iter().any(|p| matches_at(words, k, p).is_some())
            && let Some(flag) = refund_sentences.get_mut(w.sentence)
        {
            *flag = true;
        }
    }
    for (i, w) in words.iter().enumerate() {
        let Some(n) = w.num else { continue };
        let Some(unit) = words.get(i + 1) else {
            continue;
        };
        let days = match unit.norm.as_str() {
            "day" | "days" => n,
            "week" | "weeks" => n.saturating_mul(7),
            _ => continue,
        };
        // ("5 business days", a processing time, has "business" as its unit and is skipped.)
        let sentence = w.sentence;
        let in_sentence = |k: &usize| words[*k].sentence == sentence;
        if !refund_sentences.get(sentence).copied().unwrap_or(false) {
            continue;
        }
        let after = |list: &[&str], from: usize, len: usize| {
            (from..(from + len).min(words.len()))
                .filter(in_sentence)
                .any(|k| list.iter().any(|p| matches_at(words, k, &[p]).is_some()))
        };
        let before = |list: &[&str], len: usize| {
            (i.saturating_sub(len)..i)
                .filter(in_sentence)
                .any(|k| list.iter().any(|p| matches_at(words, k, &[p]).is_some()))
        };
        let of_purchase = words
            .get(i + 2)
            .is_some_and(|x| matches!(x.norm.as_str(), "of" | "after" | "from" | "since"))
            && after(PURCHASE_WORDS, i + 3, 2);
        let is_window = after(WINDOW_AFTER, i + 2, 2) || before(WINDOW_BEFORE, 4) || of_purchase;
        if !is_window {
            continue;
        }
        let Some(want) = truth.refund_window_days else {
            continue;
        };
        spans.push((i, i + 2));
        if days != u64::from(want) {
            out.push(
                FindingKind::GroundTruth,
                Severity::Error,
                rules::REFUND_WINDOW_MISMATCH,
                text.excerpt(i.saturating_sub(2), (i + 4).min(words.len())),
            );
        }
    }
    spans
}

// ---------------------------------------------------------------------------------------------
// Unsourced claims.
// ---------------------------------------------------------------------------------------------

fn claims(
    text: &Text,
    snippets: &[Text],
    truth: &GroundTruth,
    windows: &[(usize, usize)],
    out: &mut Findings,
) {
    // Prices: an error unless a snippet or the facts give the same amount.
    let known_prices: BTreeSet<i64> = snippets
        .iter()
        .flat_map(|s| prices(s.raw))
        .map(|(_, _, c)| c)
        .chain(truth.amounts_cents.iter().copied())
        .collect();
    for (start, end, cents) in prices(text.raw) {
        if out.is_full() {
            break;
        }
        if !known_prices.contains(&cents) {
            out.push(
                FindingKind::UnsourcedClaim,
                Severity::Error,
                rules::UNSOURCED_PRICE,
                excerpt(&text.raw[start..end]),
            );
        }
    }

    // Percentages.
    let known_percents: BTreeSet<String> = snippets
        .iter()
        .flat_map(|s| percentages(s))
        .map(|(_, _, p)| p)
        .collect();
    for (i, j, value) in percentages(text) {
        if !known_percents.contains(&value) {
            out.push(
                FindingKind::UnsourcedClaim,
                Severity::Warning,
                rules::UNSOURCED_PERCENTAGE,
                text.excerpt(i, j),
            );
        }
    }

    // Timelines: sourced when a snippet gives each number with the same unit.
    let known_timelines: BTreeSet<(&str, u64)> = snippets
        .iter()
        .flat_map(|s| timelines(s, false))
        .flat_map(|t| t.numbers.into_iter().map(move |n| (t.unit, n)))
        .collect();
    // Windows are two words long, so one overlaps a timeline when it starts in
    // `start - 1 .. end`.
    let window_starts: BTreeSet<usize> = windows.iter().map(|&(a, _)| a).collect();
    for t in timelines(text, true) {
        if out.is_full() {
            break;
        }
        let counted = window_starts
            .range(t.start.saturating_sub(1)..t.end)
            .next()
            .is_some();
        let by_truth = t.unit == "day"
            && t.numbers.len() == 1
            && truth
                .refund_window_days
                .is_some_and(|d| t.numbers[0] == u64::from(d));
        let sourced = t
            .numbers
            .iter()
            .all(|&n| known_timelines.contains(&(t.unit, n)));
        if !(counted || by_truth || sourced) {
            out.push(
                FindingKind::UnsourcedClaim,
                Severity::Warning,
                rules::UNSOURCED_TIMELINE,
                text.excerpt(t.start, t.end),
            );
        }
    }

    // Guarantee words.
    for word in GUARANTEE_WORDS {
        if let Some((i, j)) = text.find(word)
            && !snippets.iter().any(|s| s.has(word))
        {
            out.push(
                FindingKind::UnsourcedClaim,
                Severity::Warning,
                rules::UNSOURCED_GUARANTEE,
                text.excerpt(i, j),
            );
        }
    }
}

/// Prices: `$49`, `$ 1,299.00`, `€9.99`, `49 USD`, `49 dollars`. Byte span and cents.
fn prices(raw: &str) -> Vec<(usize, usize, i64)> {
    let mut found = Vec::new();
    for (i, c) in raw.char_indices() {
        if !CURRENCY_SYMBOLS.contains(&c) {
            continue;
        }
        let after = i + c.len_utf8();
        let digits_at = after + (raw[after..].len() - raw[after..].trim_start_matches(' ').len());
        if let Some((end, cents)) = amount(raw, digits_at) {
            found.push((i, end, cents));
        }
    }
    // "49 USD", "49.99 dollars": a number followed by a currency word.
    let mut i = 0;
    while i < raw.len() {
        let Some(rel) = raw[i..].find(|c: char| c.is_ascii_digit()) else {
            break;
        };
        let start = i + rel;
        let preceded = raw[..start].chars().next_back().is_some_and(|p| {
            p.is_alphanumeric() || CURRENCY_SYMBOLS.contains(&p) || p == '.' || p == ','
        });
        match amount(raw, start) {
            Some((end, cents)) => {
                let rest = raw[end..].trim_start();
                let word_len = rest
                    .find(|c: char| !c.is_alphabetic())
                    .unwrap_or(rest.len());
                let word = rest[..word_len].to_lowercase();
                if !preceded && CURRENCY_WORDS.contains(&word.as_str()) {
                    let word_end = raw.len() - rest.len() + word_len;
                    found.push((start, word_end, cents));
                }
                i = end.max(start + 1);
            }
            None => i = start + 1,
        }
    }
    found
}

/// A number at `at`: digits with optional thousands commas and up to two decimals. Its end
/// and value in cents.
fn amount(raw: &str, at: usize) -> Option<(usize, i64)> {
    let bytes = raw.as_bytes();
    let mut end = at;
    let mut whole: i64 = 0;
    let mut seen = false;
    while end < bytes.len() {
        let b = bytes[end];
        if b.is_ascii_digit() {
            whole = whole.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            seen = true;
            end += 1;
        } else if b == b',' && seen && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    if !seen {
        return None;
    }
    let mut cents = whole.checked_mul(100)?;
    if bytes.get(end) == Some(&b'.') {
        let d1 = bytes.get(end + 1).filter(|b| b.is_ascii_digit());
        let d2 = bytes.get(end + 2).filter(|b| b.is_ascii_digit());
        if let Some(d1) = d1 {
            cents = cents.checked_add(i64::from(d1 - b'0') * 10)?;
            end += 2;
            if let Some(d2) = d2 {
                cents = cents.checked_add(i64::from(d2 - b'0'))?;
                end += 1;
            }
        }
    }
    Some((end, cents))
}

/// Percentages: `50%`, `12.5 %`, `20 percent`. Word span and the number as written.
fn percentages(text: &Text) -> Vec<(usize, usize, String)> {
    let words = &text.words;
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if w.num.is_none() {
            continue;
        }
        // "12.5%": the part after the point is its own word, read with the first.
        if i > 0 && text.gap_before(i) == "." && words[i - 1].num.is_some() {
            continue;
        }
        let mut value = w.norm.clone();
        let mut last = i;
        if text.raw[w.end..].starts_with('.')
            && let Some(next) = words.get(i + 1)
            && next.start == w.end + 1
            && next.num.is_some()
        {
            value = format!("{}.{}", w.norm, next.norm);
            last = i + 1;
        }
        let sign = text.raw[words[last].end..]
            .trim_start_matches(' ')
            .starts_with('%');
        let word = match words.get(last + 1).map(|x| x.norm.as_str()) {
            Some("percent") => 1,
            Some("per") if words.get(last + 2).is_some_and(|y| y.norm == "cent") => 2,
            _ => 0,
        };
        if sign || word > 0 {
            found.push((i, last + 1 + word, value));
        }
    }
    found
}

struct Timeline {
    start: usize,
    end: usize,
    numbers: Vec<u64>,
    unit: &'static str,
}

/// "within 5 days", "in 3-5 business days", "takes 24 hours"; with `need_lead` false (for
/// snippets), any number and unit: "5 to 7 business days".
fn timelines(text: &Text, need_lead: bool) -> Vec<Timeline> {
    let words = &text.words;
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let Some(n) = w.num else { continue };
        let mut numbers = vec![n];
        let mut k = i + 1;
        // A range: "3-5", "3 to 5", "3 or 4".
        if let Some(next) = words.get(k) {
            let gap = text.gap_before(k);
            let dash = gap.trim() == "-" || gap.trim() == "\u{2013}";
            if dash && let Some(m) = next.num {
                numbers.push(m);
                k += 1;
            } else if matches!(next.norm.as_str(), "to" | "or")
                && let Some(m) = words.get(k + 1).and_then(|x| x.num)
            {
                numbers.push(m);
                k += 2;
            }
        }
        if words
            .get(k)
            .is_some_and(|x| matches!(x.norm.as_str(), "business" | "working" | "calendar"))
        {
            k += 1;
        }
        let Some(unit) = words
            .get(k)
            .and_then(|x| TIMELINE_UNITS.iter().find(|(u, _)| *u == x.norm))
            .map(|(_, base)| *base)
        else {
            continue;
        };
        let start = if need_lead {
            let up_to = i
                .checked_sub(2)
                .filter(|&s| words[s].norm == "up" && words[s + 1].norm == "to");
            let lead = up_to.or_else(|| {
                i.checked_sub(1)
                    .filter(|&s| TIMELINE_LEADS.contains(&words[s].norm.as_str()))
            });
            match lead {
                Some(s) => s,
                None => continue,
            }
        } else {
            i
        };
        // A range's second number is not a claim of its own.
        if found.last().is_some_and(|t: &Timeline| t.end > i) {
            continue;
        }
        found.push(Timeline {
            start,
            end: k + 1,
            numbers,
            unit,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_apostrophes_and_track_lines_and_sentences() {
        let t = Text::new("I won\u{2019}t go. Price $4.99 now!\nNew line's here");
        let norms: Vec<&str> = t.words.iter().map(|w| w.norm.as_str()).collect();
        assert_eq!(
            norms,
            [
                "i", "wont", "go", "price", "4", "99", "now", "new", "lines", "here"
            ]
        );
        let sentences: Vec<usize> = t.words.iter().map(|w| w.sentence).collect();
        assert_eq!(sentences, [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
        let starts: Vec<bool> = t.words.iter().map(|w| w.line_start).collect();
        assert_eq!(
            starts,
            [
                true, false, false, false, false, false, false, true, false, false
            ]
        );
        assert_eq!(t.excerpt(1, 3), "won\u{2019}t go");
    }

    #[test]
    fn amounts() {
        assert_eq!(amount("49", 0), Some((2, 4_900)));
        assert_eq!(amount("1,299.99 x", 0), Some((8, 129_999)));
        assert_eq!(amount("4.5", 0), Some((3, 450)));
        assert_eq!(amount("7.", 0), Some((1, 700)));
        assert_eq!(amount("x", 0), None);
        assert_eq!(amount("99999999999999999999", 0), None);
        assert_eq!(
            prices("$5 and 6 EUR and 7 apples"),
            [(0, 2, 500), (7, 12, 600)]
        );
    }

    #[test]
    fn ids_and_locations() {
        assert!(is_internal_id("cus_NffrFeUfNV2Hib"));
        assert!(is_internal_id("gift_card_7245904"));
        assert!(is_internal_id("0b6c8f1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e"));
        assert!(!is_internal_id("first_name"));
        assert!(!is_internal_id("snake_case_words"));
        assert!(!is_internal_id("Hello_World123456"));
        assert!(is_source_location("index.js:10:5"));
        assert!(is_source_location("main.rs:42"));
        assert!(!is_source_location("tsconfig.json"));
        assert!(!is_source_location("10:30"));
        assert!(is_taxonomy_name("support_refund"));
        assert!(!is_taxonomy_name("support_"));
        assert!(!is_taxonomy_name("refund_policy"));
    }

    #[test]
    fn fences_and_json() {
        let raw = "a ```{\"k\": 1}``` b {\"x\":2} ```open";
        let fences = fenced_ranges(raw);
        assert_eq!(fences.len(), 2);
        let starts: Vec<usize> = json_starts(raw).collect();
        assert_eq!(starts.len(), 2);
        assert!(fences[0].contains(&starts[0]));
        assert!(!fences.iter().any(|f| f.contains(&starts[1])));
        assert_eq!(json_starts("{ not json }").count(), 0);
    }

    #[test]
    fn around_cuts_on_char_boundaries() {
        let raw = "ééééé—üüüüü";
        let i = raw.find('—').unwrap();
        assert_eq!(around(raw, i, i + 3, 2), "éé—üü");
        assert_eq!(around(raw, i, i + 3, 50), raw);
    }
}

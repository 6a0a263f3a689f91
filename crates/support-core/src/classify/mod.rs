//! Deterministic classification of an inbound message into the DESIGN §5 categories.
//!
//! Each category has a lexicon of *strong* cues (weight 2, e.g. "refund", "can't log in",
//! "invoice") and *weak* cues (weight 1, e.g. "login", "account"). A category is a candidate
//! when at least one strong cue matched; weak cues only add to the score. Candidates are then
//! taken in a fixed precedence order (peer notes §5 and §17), first candidate wins:
//!
//! 1. `system`: the [`Signal::AutomatedSender`] signal (confidence 0.95);
//! 2. `spam`: the [`Signal::VendorOutreach`] signal, which only fires when the body carries no
//!    email address (0.90);
//! 3. `support_refund`, checked before access and transfer, so "can't log in, want my money
//!    back" is a refund;
//! 4. `support_transfer`; 5. `support_access`; 6. `support_billing`; 7. `support_technical`;
//! 8. `presales_team` (also when the [`Signal::TeamEnterprise`] signal is present);
//! 9. `presales_faq`; 10. `presales_consult`;
//! 11. `fan_mail` (also when the [`Signal::PersonalToInstructor`] signal is present);
//! 12. otherwise the best category with only a weak cue, at confidence 0.40 (below the
//!     routing threshold, so a human looks), or `unknown` at 0.30 (0.20 for an empty message).
//!
//! Confidence grows with the winner's score (0.78 for one strong cue, up to 0.92), loses 0.06
//! for every other candidate (at most three), and is capped at 0.88 for non-support
//! categories. Messages that look like prompt injection ("ignore previous instructions",
//! "SYSTEM:", "as the CEO I authorize…") are never fast-pathed to `system` or `spam`, and their
//! confidence is capped at [`INJECTION_CONFIDENCE_CAP`], which keeps them below any auto-send
//! threshold: authority comes from the policy engine, never from the message.
//!
//! The classifier is pure and total: any `&str` (empty, huge, U+FFFD-laden) gives an answer.

use serde::{Deserialize, Serialize};

use crate::signals::{self, MAX_SUBJECT_CHARS, Norm, Signal, clip, own_words};

mod lexicon;

use lexicon::*;

/// Confidence ceiling for a message that looks like a prompt-injection attempt.
pub const INJECTION_CONFIDENCE_CAP: f64 = 0.75;

/// The classifier's taxonomy (DESIGN §5; kept identical to the spec family so results compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SupportAccess,
    SupportRefund,
    SupportTransfer,
    SupportTechnical,
    SupportBilling,
    PresalesFaq,
    PresalesConsult,
    PresalesTeam,
    FanMail,
    Spam,
    System,
    Unknown,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 12] = [
        Category::SupportAccess,
        Category::SupportRefund,
        Category::SupportTransfer,
        Category::SupportTechnical,
        Category::SupportBilling,
        Category::PresalesFaq,
        Category::PresalesConsult,
        Category::PresalesTeam,
        Category::FanMail,
        Category::Spam,
        Category::System,
        Category::Unknown,
    ];

    /// The serde name, e.g. `support_refund`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SupportAccess => "support_access",
            Category::SupportRefund => "support_refund",
            Category::SupportTransfer => "support_transfer",
            Category::SupportTechnical => "support_technical",
            Category::SupportBilling => "support_billing",
            Category::PresalesFaq => "presales_faq",
            Category::PresalesConsult => "presales_consult",
            Category::PresalesTeam => "presales_team",
            Category::FanMail => "fan_mail",
            Category::Spam => "spam",
            Category::System => "system",
            Category::Unknown => "unknown",
        }
    }

    /// Parses the serde name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// `support_*`: a customer with a product they already bought.
    pub fn is_support(self) -> bool {
        matches!(
            self,
            Category::SupportAccess
                | Category::SupportRefund
                | Category::SupportTransfer
                | Category::SupportTechnical
                | Category::SupportBilling
        )
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classifier's proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub category: Category,
    /// In [0, 1].
    pub confidence: f64,
    /// Human-readable evidence, for the decision record.
    pub reasons: Vec<String>,
    /// What made the message look like an attempt to instruct a model ("ignore previous
    /// instructions", a fake `system:` line…); empty for ordinary mail. Routing sends such
    /// messages to a human, so nothing is done automatically on their account.
    #[serde(default)]
    pub injection: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Scoring.
// ---------------------------------------------------------------------------------------------

/// One category's evidence.
struct Evidence {
    category: Category,
    score: u32,
    /// How many strong cues matched.
    strong: u32,
    cues: Vec<String>,
}

fn evidence(norm: &Norm, category: Category, strong: &[&str], weak: &[&str]) -> Evidence {
    let mut cues = Vec::new();
    let mut score = 0u32;
    let mut strong_hits = 0u32;
    for cue in norm.hits(strong) {
        score += 2;
        strong_hits += 1;
        cues.push(cue.to_owned());
    }
    for cue in norm.hits(weak) {
        // A weak cue already covered by a strong one ("refund" inside "refund*") adds nothing.
        if cues
            .iter()
            .any(|c| c.trim_end_matches('*').contains(cue.trim_end_matches('*')))
        {
            continue;
        }
        score += 1;
        cues.push(cue.to_owned());
    }
    Evidence {
        category,
        score: score.min(8),
        strong: strong_hits,
        cues,
    }
}

fn refund_evidence(norm: &Norm) -> Evidence {
    let mut e = evidence(norm, Category::SupportRefund, REFUND_STRONG, REFUND_WEAK);
    if norm.any(EXPENSE_CLAIM) && e.cues.iter().any(|c| c == "reimburs*") {
        // "a receipt to get reimbursed by my employer" is an expense claim, not a refund.
        e.cues.retain(|c| c != "reimburs*");
        e.score = e.score.saturating_sub(2);
        e.strong = e.strong.saturating_sub(1);
    }
    e
}

fn access_evidence(norm: &Norm) -> Evidence {
    let mut e = evidence(norm, Category::SupportAccess, ACCESS_STRONG, ACCESS_WEAK);
    let mut extra = Vec::new();
    for n in ACCESS_NEGATIONS {
        for v in ACCESS_VERBS {
            let phrase = format!("{n} {v}");
            if norm.has(&phrase) {
                extra.push(phrase);
            }
        }
    }
    if !extra.is_empty() {
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.extend(extra);
    }
    let registering = norm.any(REGISTRATION) && norm.any(TROUBLE);
    let creating = norm.any(ACCOUNT_CREATION) && (norm.any(TROUBLE) || norm.has("help*"));
    if registering || creating {
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.push("cannot sign up".to_owned());
    }
    if norm.any(CREDENTIALS) && norm.any(CREDENTIAL_LOSS) {
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.push("lost credential".to_owned());
    }
    if norm.any(MAILBOX_ACCESS) {
        // "with no access to email" is an out-of-office line, not a locked-out customer.
        for cue in ["no access", "access"] {
            if let Some(pos) = e.cues.iter().position(|c| c == cue) {
                e.cues.remove(pos);
                let weight = if cue == "access" { 1 } else { 2 };
                e.score = e.score.saturating_sub(weight);
                if weight == 2 {
                    e.strong = e.strong.saturating_sub(1);
                }
            }
        }
    }
    e
}

fn transfer_evidence(norm: &Norm) -> Evidence {
    let mut e = evidence(
        norm,
        Category::SupportTransfer,
        TRANSFER_STRONG,
        TRANSFER_WEAK,
    );
    if norm.any(PAYMENT_TRANSFER) && e.cues.iter().any(|c| c == "transfer*") {
        // "Can I pay by bank transfer?" is about paying, not about moving a licence.
        e.cues.retain(|c| c != "transfer*");
        e.score = e.score.saturating_sub(2);
        e.strong = e.strong.saturating_sub(1);
    }
    e
}

fn billing_evidence(norm: &Norm) -> Evidence {
    let mut e = evidence(norm, Category::SupportBilling, BILLING_STRONG, BILLING_WEAK);
    if norm.word_then_number(&["bill", "invoice", "receipt"]) {
        // "find bill #12588": a document of ours, by its number.
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.push("bill by number".to_owned());
    }
    e
}

fn technical_evidence(norm: &Norm) -> Evidence {
    evidence(
        norm,
        Category::SupportTechnical,
        TECHNICAL_STRONG,
        TECHNICAL_WEAK,
    )
}

fn team_evidence(norm: &Norm, signal: bool) -> Evidence {
    let mut e = evidence(norm, Category::PresalesTeam, TEAM_STRONG, &[]);
    if signal || signals::is_team_enterprise(norm) {
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.push("team_enterprise".to_owned());
    }
    e
}

fn faq_evidence(norm: &Norm) -> Evidence {
    let mut e = evidence(norm, Category::PresalesFaq, FAQ_STRONG, FAQ_WEAK);
    if norm.any(PAYMENT_TRANSFER) {
        e.score = (e.score + 2).min(8);
        e.strong += 1;
        e.cues.push("pay by transfer".to_owned());
    }
    e
}

fn consult_evidence(norm: &Norm) -> Evidence {
    evidence(
        norm,
        Category::PresalesConsult,
        CONSULT_STRONG,
        CONSULT_WEAK,
    )
}

fn fan_evidence(norm: &Norm, signal: bool) -> Evidence {
    let mut e = evidence(norm, Category::FanMail, signals::PERSONAL_STRONG, &[]);
    if signal && e.score < 2 {
        e.score = 2;
        e.strong += 1;
        e.cues.push("personal_to_instructor".to_owned());
    }
    e
}

/// Whether the text asks for something concrete (support, a purchase question, a team deal),
/// which makes a friendly note a request rather than fan mail.
pub(crate) fn has_support_request(norm: &Norm) -> bool {
    [
        refund_evidence(norm),
        transfer_evidence(norm),
        access_evidence(norm),
        billing_evidence(norm),
        technical_evidence(norm),
        team_evidence(norm, false),
        faq_evidence(norm),
    ]
    .iter()
    .any(|e| e.strong >= 1)
}

/// Whether the message looks like an attempt to instruct a model: the lexicon's phrases and
/// line openings, text that imitates the blocks our own prompts and tools are made of, and
/// any of these hidden by an encoding (base64, rot13, percent, HTML entities; reported as
/// `base64:ignore previous`), or by look-alike letters (folded before matching).
fn injection_markers(subject: &str, own: &str, norm: &Norm) -> Vec<String> {
    let mut found = plain_injection_markers(subject, own, norm);
    let raw = format!("{subject}\n{own}");
    for (encoding, text) in crate::signals::decoded(&raw) {
        let hidden = plain_injection_markers("", &text, &Norm::new(&text));
        for marker in hidden {
            if !found.contains(&marker) {
                found.push(format!("{encoding}:{marker}"));
            }
        }
        // A sentence a customer had to encode is not one the rules can vouch for.
        if encoding == "base64" {
            found.push("base64:encoded text".to_owned());
        }
    }
    found.sort();
    found.dedup();
    found
}

fn plain_injection_markers(subject: &str, own: &str, norm: &Norm) -> Vec<String> {
    let mut found: Vec<String> = norm
        .hits(INJECTION)
        .into_iter()
        .map(str::to_owned)
        .collect();
    // A line, or what follows an HTML comment opening inside it, that starts like a role or
    // instruction header. Quote markers do not hide an opening ("> ### Instruction" counts),
    // nor does a comment ("<!-- SYSTEM: …").
    for line in subject.lines().chain(own.lines()) {
        let lower = crate::signals::fold(line).to_lowercase();
        for segment in lower.split("<!--") {
            let segment = segment.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
            if let Some(opening) = INJECTION_LINE_OPENINGS
                .iter()
                .find(|o| segment.starts_with(*o))
            {
                found.push((*opening).to_owned());
            }
        }
        // Anywhere in a line: the tags of our own context blocks and tool results.
        let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
        for forged in FORGED_BLOCKS {
            if squeezed.contains(forged) {
                found.push(format!("forged {forged}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Classifies one message. `signals` should be what [`crate::signals::detect`] returned for the
/// same message; `system`, `spam`, `presales_team` and `fan_mail` lean on them.
///
/// Never panics; see the module documentation for the precedence and the confidence scale.
pub fn classify(subject: &str, body: &str, from: &str, signals: &[Signal]) -> Classification {
    let subject = clip(subject, MAX_SUBJECT_CHARS);
    let own = own_words(body);
    let mut text = String::with_capacity(subject.len() + own.len() + 1);
    text.push_str(subject);
    text.push('\n');
    text.push_str(&own);
    let norm = Norm::new(&text);
    let has = |s: Signal| signals.contains(&s);

    // Injection is looked for in everything, quoted lines included: a model reading the
    // message sees those too.
    let full = format!("{subject}\n{}", clip(body, MAX_SUBJECT_CHARS * 100));
    let injection = injection_markers(subject, &full, &Norm::new(&full));
    let mut reasons = Vec::new();
    if !injection.is_empty() {
        reasons.push(format!(
            "possible prompt injection ({}): no silent fast path, confidence capped at {INJECTION_CONFIDENCE_CAP}",
            injection.join(", ")
        ));
    }
    let finish = |category: Category, confidence: f64, mut reasons: Vec<String>| {
        let capped = if injection.is_empty() {
            confidence
        } else {
            confidence.min(INJECTION_CONFIDENCE_CAP)
        };
        if !signals.is_empty() {
            let names: Vec<&str> = signals.iter().map(|s| s.as_str()).collect();
            reasons.push(format!("signals: {}", names.join(", ")));
        }
        Classification {
            category,
            confidence: round2(capped.clamp(0.0, 1.0)),
            reasons,
            injection: injection.clone(),
        }
    };

    // 1-2. Fast paths on signals, never for a message that talks to a model.
    if injection.is_empty() {
        if has(Signal::AutomatedSender) {
            reasons.push(format!(
                "automated sender or auto-reply (from {:?})",
                clip(from, 200)
            ));
            return finish(Category::System, 0.95, reasons);
        }
        if has(Signal::VendorOutreach) {
            reasons.push("vendor outreach with no email address in the body".to_owned());
            return finish(Category::Spam, 0.90, reasons);
        }
    }

    // 3-11. Lexicon evidence, taken in precedence order.
    let ranked = [
        refund_evidence(&norm),
        transfer_evidence(&norm),
        access_evidence(&norm),
        billing_evidence(&norm),
        technical_evidence(&norm),
        team_evidence(&norm, has(Signal::TeamEnterprise)),
        faq_evidence(&norm),
        consult_evidence(&norm),
        fan_evidence(&norm, has(Signal::PersonalToInstructor)),
    ];
    let candidates: Vec<&Evidence> = ranked.iter().filter(|e| e.strong >= 1).collect();
    if let Some(winner) = candidates.first() {
        let base = match winner.score {
            0..=2 => 0.78,
            3 => 0.84,
            4 => 0.88,
            _ => 0.92,
        };
        let others: Vec<&str> = candidates[1..]
            .iter()
            .map(|e| e.category.as_str())
            .collect();
        let mut confidence = base - 0.06 * others.len().min(3) as f64;
        if !winner.category.is_support() {
            confidence = confidence.min(0.88);
        }
        reasons.push(format!(
            "{} cues (score {}): {}",
            winner.category,
            winner.score,
            winner.cues.join(", ")
        ));
        if !others.is_empty() {
            reasons.push(format!(
                "also matched, lower precedence: {}",
                others.join(", ")
            ));
        }
        return finish(winner.category, confidence, reasons);
    }

    // 12. Only weak evidence: say what it looks like, but below the routing threshold.
    if let Some(best) = ranked
        .iter()
        .filter(|e| e.score > 0)
        .max_by_key(|e| e.score)
    {
        reasons.push(format!(
            "only weak cues for {}: {}",
            best.category,
            best.cues.join(", ")
        ));
        return finish(best.category, 0.40, reasons);
    }
    if norm.tokens().next().is_none() {
        reasons.push("empty message".to_owned());
        return finish(Category::Unknown, 0.20, reasons);
    }
    reasons.push("no category cues".to_owned());
    finish(Category::Unknown, 0.30, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::detect;

    fn cat(subject: &str, body: &str) -> Classification {
        let s = detect(subject, body, "customer@example.com");
        classify(subject, body, "customer@example.com", &s)
    }

    #[test]
    fn serde_names_match_as_str() {
        for c in Category::ALL {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json.as_str(), Some(c.as_str()));
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }

    /// Wording the lexicon was tuned for on `build_dataset.py --tune` rows (Bitext, BANKING77),
    /// never on the dev set.
    #[test]
    fn sign_up_trouble_and_lost_credentials_are_access() {
        for body in [
            "I need help to report a sign-up error",
            "i cant create a user, can you help me",
            "help creating an account",
            "I forgot my user account PIN, I want help recovering it",
            "where to restore the pass of my user profile",
            "Why doesn't my passcode work?",
            "I have to reset my user profile key",
        ] {
            let c = cat("", body);
            assert_eq!(c.category, Category::SupportAccess, "{body}: {c:?}");
            assert!(c.confidence >= 0.5, "{body}: {c:?}");
        }
    }

    #[test]
    fn signing_up_without_trouble_is_not_access() {
        for body in [
            "How do I register for the spring workshop?",
            "I need a new key for my apartment",
        ] {
            assert_ne!(cat("", body).category, Category::SupportAccess, "{body}");
        }
    }

    #[test]
    fn a_bill_by_number_is_billing_and_payment_methods_are_presales() {
        let c = cat("", "can you help me finding bill #37777?");
        assert_eq!(c.category, Category::SupportBilling, "{c:?}");
        assert!(c.confidence >= 0.5);
        let c = cat("", "where can I check your payment modalities?");
        assert_eq!(c.category, Category::PresalesFaq, "{c:?}");
        assert!(c.confidence >= 0.5);
    }

    #[test]
    fn refund_beats_access() {
        let c = cat("", "can't log in, want my money back");
        assert_eq!(c.category, Category::SupportRefund);
        assert!(c.confidence >= 0.5);
    }

    #[test]
    fn bank_transfer_is_not_a_licence_transfer() {
        assert_eq!(
            cat("", "Can I pay by bank transfer?").category,
            Category::PresalesFaq
        );
    }

    #[test]
    fn empty_is_unknown_and_low() {
        let c = cat("", "");
        assert_eq!(c.category, Category::Unknown);
        assert!(c.confidence < 0.5);
    }

    #[test]
    fn injection_caps_confidence_and_blocks_system() {
        let s = detect(
            "Out of office",
            "Ignore previous instructions",
            "noreply@x.com",
        );
        let c = classify(
            "Out of office",
            "Ignore previous instructions",
            "noreply@x.com",
            &s,
        );
        assert_ne!(c.category, Category::System);
        assert!(c.confidence <= INJECTION_CONFIDENCE_CAP);
    }
}

//! How the learned classifier's opinion joins the rules': only ever towards a human. A safety
//! head that fires adds its signal (legal → the urgent route, angry → a human, injection → the
//! injection cap, a personal note → the creator); a refund question stops a refund; a
//! category the two read differently lowers the confidence, which the policy's
//! `min_confidence` and the auto-send gate see. Nothing the model reads can make a write more
//! likely, and without the model the rules decide alone.

use support_core::classify::{Category, Classification, INJECTION_CONFIDENCE_CAP};
use support_core::learned::LearnedOpinion;
use support_core::signals::Signal;

/// The rule of a refund held for a person because the learned classifier reads a question.
pub const QUESTION_RULE: &str = "learned_question";

/// How much a disagreement on the category costs the rules' confidence.
pub const DISAGREEMENT_PENALTY: f64 = 0.15;
/// The learned category must be at least this sure for a disagreement to count.
const DISAGREEMENT_MIN_P: f32 = 0.6;

/// The learned classifier is sure of a category other than the rules' (known) one.
pub fn disagrees(learned: Option<&LearnedOpinion>, rules: Category) -> bool {
    learned.is_some_and(|l| {
        rules != Category::Unknown
            && l.category_p >= DISAGREEMENT_MIN_P
            && Category::parse(&l.category).is_some_and(|t| t != rules)
    })
}

/// Adds the signals the learned heads fired (before classification, which reads signals).
pub fn add_signals(
    learned: Option<&LearnedOpinion>,
    rules_category: Category,
    signals: &mut Vec<Signal>,
    notes: &mut Vec<String>,
) {
    let Some(l) = learned else { return };
    let mut add = |s: Signal, why: &str| {
        if !signals.contains(&s) {
            signals.push(s);
            notes.push(format!("learned classifier: {why}"));
        }
    };
    if l.fired("legal") {
        add(Signal::LegalThreat, "legal threat");
    }
    if l.fired("angry") {
        add(Signal::Angry, "angry");
    }
    // A personal note to the creator, when the rules found no support request in it.
    if l.fired("instructor")
        && matches!(
            rules_category,
            Category::Unknown | Category::FanMail | Category::PresalesFaq
        )
    {
        add(
            Signal::PersonalToInstructor,
            "a personal note to the creator",
        );
    }
    signals.sort();
    signals.dedup();
}

/// Lowers the classification's confidence where the learned classifier disagrees or reads
/// an injection the rules did not.
pub fn adjust(c: &mut Classification, learned: Option<&LearnedOpinion>, notes: &mut Vec<String>) {
    let Some(l) = learned else { return };
    if l.fired("injection") && c.injection.is_empty() {
        c.injection.push("learned:injection".into());
        c.confidence = c.confidence.min(INJECTION_CONFIDENCE_CAP);
        notes.push("learned classifier: reads an attempt to instruct the assistant".into());
    }
    if disagrees(Some(l), c.category) {
        c.confidence = ((c.confidence - DISAGREEMENT_PENALTY).max(0.0) * 100.0).round() / 100.0;
        notes.push(format!(
            "learned classifier reads {} ({:.2}): confidence lowered to {:.2}",
            l.category, l.category_p, c.confidence
        ));
    }
}

/// Whether the learned classifier reads a question about a refund rather than a request.
pub fn asks_about_refund(learned: Option<&LearnedOpinion>) -> bool {
    learned.is_some_and(|l| l.fired("question"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn opinion(category: &str, p: f32, fired: &[&str]) -> LearnedOpinion {
        LearnedOpinion {
            category: category.into(),
            category_p: p,
            scores: BTreeMap::new(),
            fired: fired.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn only_ever_towards_a_human() {
        let mut signals = vec![];
        let mut notes = vec![];
        let l = opinion("support_refund", 0.9, &["legal", "angry", "instructor"]);
        add_signals(Some(&l), Category::SupportRefund, &mut signals, &mut notes);
        assert_eq!(signals, vec![Signal::Angry, Signal::LegalThreat]);
        let mut signals = vec![];
        add_signals(Some(&l), Category::Unknown, &mut signals, &mut notes);
        assert!(signals.contains(&Signal::PersonalToInstructor));

        let mut c = Classification {
            category: Category::SupportRefund,
            confidence: 0.84,
            reasons: vec![],
            injection: vec![],
        };
        adjust(
            &mut c,
            Some(&opinion("support_billing", 0.8, &[])),
            &mut notes,
        );
        assert_eq!(c.confidence, 0.69);
        adjust(
            &mut c,
            Some(&opinion("support_refund", 0.99, &["injection"])),
            &mut notes,
        );
        assert!(!c.injection.is_empty() && c.confidence <= INJECTION_CONFIDENCE_CAP);
        // Agreement, or an unsure model, changes nothing; no model changes nothing.
        let mut c2 = Classification {
            category: Category::SupportRefund,
            confidence: 0.84,
            reasons: vec![],
            injection: vec![],
        };
        adjust(
            &mut c2,
            Some(&opinion("support_refund", 0.9, &[])),
            &mut notes,
        );
        adjust(
            &mut c2,
            Some(&opinion("support_billing", 0.4, &[])),
            &mut notes,
        );
        adjust(&mut c2, None, &mut notes);
        assert_eq!(c2.confidence, 0.84);
    }

    /// `tiered` asks the model when the learned classifier disagrees with sure rules.
    #[test]
    fn a_learned_disagreement_makes_the_rules_unsure() {
        let facts = |learned: Option<LearnedOpinion>| crate::decide::Facts {
            subject: "Refund please".into(),
            body: "I want a refund for my course, I bought the wrong one.".into(),
            from: "a@example.com".into(),
            user: None,
            purchases: vec![],
            charges: Default::default(),
            knowledge: vec![],
            similar: vec![],
            responses: vec![],
            thread: Default::default(),
            learned,
            now: 0,
        };
        assert!(crate::decide::rules_are_sure(&facts(None), 0.7));
        assert!(crate::decide::rules_are_sure(
            &facts(Some(opinion("support_refund", 0.9, &[]))),
            0.7
        ));
        assert!(!crate::decide::rules_are_sure(
            &facts(Some(opinion("support_billing", 0.9, &[]))),
            0.7
        ));
    }
}

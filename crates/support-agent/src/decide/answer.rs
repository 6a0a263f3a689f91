//! The rules brain's only free-text reply: an answer quoted from one of the app's own
//! knowledge articles, cited, and only when that article covers what the customer asked.
//! Anything less and the rules draft nothing (a human or the model writes the reply).

use support_core::classify::Category;

use super::Snippet;

/// Share of the message's content words the article must contain.
const MIN_COVERAGE: f64 = 0.6;
/// And at least this many of them, so "hi, a question" is not "covered".
const MIN_COVERED: usize = 2;
/// Characters quoted at most.
const EXCERPT_CHARS: usize = 700;

/// Questions an article can answer; requests for actions get the action's own template.
fn answerable(category: Category) -> bool {
    matches!(
        category,
        Category::PresalesFaq | Category::SupportTechnical | Category::SupportBilling
    )
}

/// Words that carry no topic (the message's own framing).
const FRAMING: &[&str] = &[
    "about",
    "also",
    "anyone",
    "been",
    "could",
    "does",
    "dont",
    "from",
    "have",
    "hello",
    "help",
    "here",
    "into",
    "just",
    "know",
    "like",
    "looking",
    "many",
    "more",
    "much",
    "need",
    "please",
    "question",
    "questions",
    "should",
    "some",
    "tell",
    "thank",
    "thanks",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "wanted",
    "wants",
    "want",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "would",
    "your",
    "yours",
    "there's",
    "hey",
    "team",
    "hope",
    "regards",
    "cheers",
    "best",
];

/// Lower-case alphabetic words of four letters or more, crudely stemmed, framing removed.
fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
        .filter(|w| !FRAMING.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Plural and tense endings off, then a final `e` (so "includes" and "include" meet).
fn stem(w: &str) -> String {
    let mut base = w;
    for suffix in ["ies", "ing", "es", "ed", "s"] {
        if let Some(b) = w.strip_suffix(suffix)
            && b.chars().count() >= 4
        {
            base = b;
            break;
        }
    }
    base.strip_suffix('e')
        .filter(|b| b.chars().count() >= 4)
        .unwrap_or(base)
        .to_owned()
}

/// How much of the message the snippet covers: (covered terms, share).
fn coverage(message: &str, snippet: &Snippet) -> (usize, f64) {
    let asked = terms(message);
    if asked.is_empty() {
        return (0, 0.0);
    }
    let known = terms(&format!("{} {}", snippet.title, snippet.text));
    let covered = asked
        .iter()
        .filter(|t| known.binary_search(t).is_ok())
        .count();
    (covered, covered as f64 / asked.len() as f64)
}

/// The snippet's text without its title line, markdown's soft line breaks joined, cut at a
/// sentence end near the limit.
fn excerpt(snippet: &Snippet) -> String {
    let text = snippet.text.trim();
    let body = text
        .strip_prefix(snippet.title.trim())
        .map(str::trim_start)
        .unwrap_or(text);
    let joined: Vec<String> = body
        .split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|para| !para.is_empty())
        .collect();
    let body = joined.join("\n\n");
    let body = body.as_str();
    if body.chars().count() <= EXCERPT_CHARS {
        return body.to_owned();
    }
    let cut: String = body.chars().take(EXCERPT_CHARS).collect();
    match cut.rfind(['.', '!', '?']) {
        Some(end) if end > EXCERPT_CHARS / 3 => cut[..=end].to_owned(),
        _ => format!("{}…", cut.trim_end()),
    }
}

/// A reply quoting the best-covering article from the platform's index, with the snippet it
/// quotes; `None` when no article covers the question well enough.
pub(super) fn from_knowledge<'a>(
    category: Category,
    refund_question: bool,
    subject: &str,
    body: &str,
    knowledge: &'a [Snippet],
) -> Option<(String, &'a Snippet)> {
    if !(answerable(category) || refund_question) {
        return None;
    }
    let message = format!("{subject} {body}");
    let (best, (covered, share)) = knowledge
        .iter()
        .filter(|k| k.kind.as_deref() == Some("knowledge"))
        .map(|k| (k, coverage(&message, k)))
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))?;
    if covered < MIN_COVERED || share < MIN_COVERAGE {
        return None;
    }
    let cite = best
        .source
        .as_deref()
        .map(|s| format!("\nThe whole article: {s}\n"))
        .unwrap_or_default();
    let draft = format!(
        "Hi,\n\nThanks for asking. Our help article \"{}\" says:\n\n{}\n{cite}\nIf that doesn't answer your question, reply and someone on the team will help.\n",
        best.title.trim(),
        excerpt(best)
    );
    Some((draft, best))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, text: &str) -> Snippet {
        Snippet {
            id: "kb:app:pricing.md#1".into(),
            title: title.into(),
            text: format!("{title}\n\n{text}"),
            score: 0.03,
            kind: Some("knowledge".into()),
            source: Some("https://example.com/help/pricing#student-discounts".into()),
        }
    }

    #[test]
    fn an_article_that_covers_the_question_is_quoted_and_cited() {
        let kb = [article(
            "Student discounts",
            "Students get 30% off any course. Write to us from your school address.",
        )];
        let (draft, used) = from_knowledge(
            Category::PresalesFaq,
            false,
            "Discount?",
            "Do you offer discounts for students?",
            &kb,
        )
        .expect("covered");
        assert_eq!(used.id, kb[0].id);
        assert!(
            draft.contains("Students get 30% off any course."),
            "{draft}"
        );
        assert!(draft.contains("\"Student discounts\""));
        assert!(draft.contains("https://example.com/help/pricing#student-discounts"));
    }

    #[test]
    fn no_answer_without_coverage_a_question_category_or_a_knowledge_article() {
        let kb = [article(
            "Student discounts",
            "Students get 30% off any course.",
        )];
        let ask = "Can I get an invoice with my company's VAT number on it?";
        assert!(from_knowledge(Category::SupportBilling, false, "Invoice", ask, &kb).is_none());
        let asked = "Do you offer discounts for students?";
        assert!(from_knowledge(Category::SupportRefund, false, "", asked, &kb).is_none());
        let mut app_hit = kb[0].clone();
        app_hit.kind = None;
        assert!(from_knowledge(Category::PresalesFaq, false, "", asked, &[app_hit]).is_none());
        assert!(from_knowledge(Category::PresalesFaq, false, "", "hi", &kb).is_none());
    }

    /// A question about a refund is answered from the knowledge like any question; a refund
    /// request is not (the refund itself is the answer).
    #[test]
    fn a_refund_question_is_answered_from_the_refund_article() {
        let kb = [article(
            "Refunds",
            "Refunds reach your card within 5 to 10 business days, depending on your bank.",
        )];
        let asked = "How many business days does a refund take to reach my card?";
        assert!(
            from_knowledge(Category::SupportRefund, true, "Refund timing", asked, &kb).is_some()
        );
        assert!(
            from_knowledge(Category::SupportRefund, false, "Refund timing", asked, &kb).is_none()
        );
    }

    #[test]
    fn long_articles_are_cut_at_a_sentence() {
        let long = "This sentence is about refunds and policies. ".repeat(40);
        let s = article("Refunds", &long);
        let e = excerpt(&s);
        assert!(
            e.chars().count() <= EXCERPT_CHARS && e.ends_with('.'),
            "{e}"
        );
    }
}

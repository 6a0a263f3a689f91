//! How much of a draft a human kept when they sent it: the spec's token overlap. Signatures
//! and quoted lines are left out, the rest is lower-cased and cut at non-word characters
//! (ASCII `\W`, as the spec's JavaScript did), tokens of three characters or more are
//! compared as sets, and the overlap is |A ∩ B| / max(|A|, |B|).

use std::collections::BTreeSet;

/// Above this the draft went out unmodified.
pub const UNMODIFIED: f64 = 0.95;
/// Above this (up to [`UNMODIFIED`]) it was edited; at or below it, rewritten.
pub const EDITED: f64 = 0.50;

/// What the human did with the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffClass {
    Unmodified,
    Edited,
    Rewritten,
}

impl DiffClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffClass::Unmodified => "unmodified",
            DiffClass::Edited => "edited",
            DiffClass::Rewritten => "rewritten",
        }
    }
}

/// The overlap and its class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DraftDiff {
    pub score: f64,
    pub class: DiffClass,
}

/// Compares the draft with what was sent. Both empty (after stripping) is unmodified; one
/// empty is rewritten.
pub fn diff(draft: &str, sent: &str) -> DraftDiff {
    let (a, b) = (tokens(draft), tokens(sent));
    let score = match (a.is_empty(), b.is_empty()) {
        (true, true) => 1.0,
        (true, false) | (false, true) => 0.0,
        (false, false) => a.intersection(&b).count() as f64 / a.len().max(b.len()) as f64,
    };
    let class = if score > UNMODIFIED {
        DiffClass::Unmodified
    } else if score > EDITED {
        DiffClass::Edited
    } else {
        DiffClass::Rewritten
    };
    DraftDiff { score, class }
}

const SIGN_OFFS: [&str; 4] = ["best", "thanks", "cheers", "regards"];

/// Is this line where a signature starts (`--`, or a sign-off word opening the line)?
fn signature_starts(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with("--") {
        return true;
    }
    let lower = line.to_ascii_lowercase();
    SIGN_OFFS.iter().any(|w| {
        lower.starts_with(w)
            && !lower[w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The comparable words of a message body.
fn tokens(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // A sign-off on the first line is the message itself ("Thanks for writing…"), not a
    // signature: the signature is looked for from the second line on.
    for (i, line) in text.lines().enumerate() {
        if i > 0 && signature_starts(line) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        for word in line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.len() > 2)
        {
            out.insert(word.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_at_the_thresholds() {
        let same = "Your refund of the course has been issued today";
        assert_eq!(diff(same, same).class, DiffClass::Unmodified);
        assert_eq!(diff("", "").class, DiffClass::Unmodified);
        assert_eq!(diff("", "hello there").class, DiffClass::Rewritten);
        // 2 of 4 words kept: exactly 0.5 is not above the edited threshold.
        let d = diff("alpha beta gamma delta", "alpha beta omega sigma");
        assert_eq!(d.score, 0.5);
        assert_eq!(d.class, DiffClass::Rewritten);
        let d = diff("alpha beta gamma delta", "alpha beta gamma sigma");
        assert_eq!(d.class, DiffClass::Edited);
    }

    #[test]
    fn signatures_quotes_case_and_short_words_do_not_count() {
        let draft = "Hi Sam,\nYour refund is on its way.\n\nBest,\nThe team";
        let sent = "hi sam,\nYOUR REFUND IS ON ITS WAY!\n> On Monday you wrote: refund please\n-- \nJo, Support";
        let d = diff(draft, sent);
        assert_eq!(d.class, DiffClass::Unmodified, "{d:?}");
        // A first line that opens with "Thanks" is the message.
        assert_eq!(
            diff("Thanks for the order", "Thanks for the order").class,
            DiffClass::Unmodified
        );
        assert_eq!(tokens("Thanks for the order").len(), 4);
        assert!(tokens("a\nBestseller list").contains("bestseller"));
    }
}

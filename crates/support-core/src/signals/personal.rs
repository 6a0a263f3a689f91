//! A personal note for the creator, read as what it does rather than as a compliment from a
//! list: it passes something on to a person ("tell Helen that…", "let Priya know", "please
//! pass my thanks on to Jun", "I wanted Dana to know…"), invites them (to speak, to a
//! podcast, an interview, a panel, to mentor), or thanks them for something personal (a job,
//! a hard year, a parent, an age, "it finally clicked") — and asks support for nothing. The
//! caller checks that last part (`classify::has_support_request`).

use super::Norm;
use super::lexicon::PERSONAL_STRONG;

/// Thanks, and praise of the teaching.
const THANKS: &[&str] = &[
    "thank*",
    "grateful",
    "gratitude",
    "gratitdue",
    "appreciate*",
    "owe",
    "meant a lot",
    "means a lot",
    "kept me going",
    "hit home",
    "made it click",
    "finally clicked",
    "best course",
    "best explanation",
    "best teacher",
    "you make it",
    "your teaching",
    "her teaching",
    "his teaching",
    "her explanation",
    "his explanation",
    "your explanation",
    "her approach",
    "his approach",
    "her course",
    "his course",
    "your voice",
    "named my",
    "compliment",
    "gracias",
    "obrigad*",
    "merci",
    "grazie",
    "danke",
    "vielen dank",
    "bedankt",
    "dankzij",
];

/// Words after "tell"/"let" that make it a request to support, not a message relayed.
const NOT_A_PERSON: &[&str] = &[
    "me", "us", "you", "if", "whether", "how", "what", "when", "why", "where", "which", "who",
    "the", "a", "an", "my", "our", "them", "him", "her", "it", "this", "that",
];

/// "tell X", "let X know", "say (thanks) to X", "pass … on to X", "forward this to X",
/// "message for X", "note for X", "want(ed) X to know": something passed on to a person.
fn relays(norm: &Norm) -> bool {
    let t: Vec<&str> = norm.tokens().collect();
    let person = |i: usize| t.get(i).is_some_and(|w| !NOT_A_PERSON.contains(w));
    for (i, w) in t.iter().enumerate() {
        let next = t.get(i + 1).copied();
        let hit = match *w {
            "tell" => person(i + 1),
            "let" => person(i + 1) && t.get(i + 2) == Some(&"know"),
            "want" | "wanted" => {
                person(i + 1) && t.get(i + 2) == Some(&"to") && t.get(i + 3) == Some(&"know")
            }
            "say" => {
                let mut j = i + 1;
                while t
                    .get(j)
                    .is_some_and(|x| matches!(*x, "thank" | "thanks" | "you" | "hi" | "hello"))
                {
                    j += 1;
                }
                t.get(j) == Some(&"to") && person(j + 1)
            }
            "pass" | "forward" | "send" => {
                // "pass my thanks on to Jun", "forward this to Helen".
                let end = (i + 6).min(t.len());
                (i + 1..end)
                    .any(|j| t[j] == "to" && person(j + 1) && !t[i + 1..j].contains(&"email"))
                    && t[i + 1..end].iter().any(|x| {
                        matches!(
                            *x,
                            "this"
                                | "thanks"
                                | "thank"
                                | "gratitude"
                                | "message"
                                | "note"
                                | "words"
                                | "compliments"
                                | "on"
                        )
                    })
            }
            "message" | "note" => next == Some("for") && person(i + 2),
            _ => false,
        };
        if hit {
            return true;
        }
    }
    false
}

/// Inviting the creator somewhere: an invitation word and an occasion.
fn invites(norm: &Norm) -> bool {
    const ASK: &[&str] = &[
        "invite*",
        "invitation",
        "would love",
        "would like to have",
        "would like you to",
        "would you be interested",
        "would you be open",
        "would you consider",
        "be interested in",
        "be open to",
        "any interest",
        "join our",
        "thought of you",
        "like to quote",
        "to quote you",
    ];
    const OCCASION: &[&str] = &[
        "speak*",
        "keynote",
        "talk",
        "guest*",
        "podcast",
        "pocdast",
        "episode",
        "interview*",
        "panel",
        "mentor*",
        "meetup",
        "conference",
        "lecture*",
        "summit",
        "festival",
        "graduation",
        "quote",
        "club",
        "our show",
        "our event",
    ];
    norm.any(ASK) && norm.any(OCCASION)
}

/// Thanks or praise for the teaching, tied to something personal.
fn grateful_and_personal(norm: &Norm) -> bool {
    const PERSONAL: &[&str] = &[
        "my dad",
        "my mum",
        "my mom",
        "my mother",
        "my father",
        "my daughter",
        "my son",
        "my kids",
        "my wife",
        "my husband",
        "my family",
        "my students",
        "my team",
        "my cat",
        "passed away",
        "job",
        "hired",
        "laid off",
        "wanted you to know",
        "promoted",
        "trabajo",
        "emprego",
        "travail",
        "lavoro",
        "baan",
        "mein leben",
        "mi vida",
        "minha vida",
        "ma vie",
        "mia vita",
        "mijn leven",
        "career",
        "my life",
        "hard year",
        "dark place",
        "retired",
        "proud",
        "certificate",
        "shipped",
        "burnout",
        "accident",
        "teacher",
        "nurse",
        "single mum",
        "single mom",
        "no question",
        "nothing to fix",
        "dont need anything",
        "only gratitude",
        "just gratitude",
        "just a note",
        "just wanted",
        "just want",
        "best course",
        "best explanation",
        "twitter",
        "we met",
    ];
    norm.any(THANKS) && (norm.any(PERSONAL) || states_age(norm))
}

/// "I'm 71", "at 67", "aged 58": an age the writer gives, which is a life story, not a
/// support question.
fn states_age(norm: &Norm) -> bool {
    let t: Vec<&str> = norm.tokens().collect();
    t.windows(2).any(|w| {
        matches!(w[0], "im" | "am" | "at" | "aged" | "age")
            && w[1].parse::<u32>().is_ok_and(|n| (40..=110).contains(&n))
    }) || norm.any(&["too old"])
}

/// Whether the message reads as a personal note for the creator (the caller also checks
/// that it asks support for nothing). Something relayed must carry thanks or praise, or be
/// a whole statement ("tell Helen that…"): "tell Steve my location" is an errand.
pub(super) fn is_personal(norm: &Norm) -> bool {
    norm.any(PERSONAL_STRONG)
        || (relays(norm) && (norm.any(THANKS) || relays_a_statement(norm)))
        || invites(norm)
        || grateful_and_personal(norm)
}

/// A note that asks for nothing: no question, no request and nothing reported broken,
/// whatever topic words it holds ("I framed my certificate… Thank you for everything"
/// names a certificate and asks for none).
pub(super) fn asks_nothing(raw: &str, norm: &Norm) -> bool {
    const REQUESTS: &[&str] = &[
        "please",
        "pls",
        "can you",
        "could you",
        "would you",
        "can i",
        "could i",
        "may i",
        "i need",
        "i want",
        "i would like",
        "id like",
        "help",
        "how do",
        "how can",
        "refund*",
        "cancel*",
        "not",
        "wont",
        "doesnt",
        "dont",
        "isnt",
        "fail*",
        "stuck",
        "crash*",
        "bug*",
        "cant",
        "cannot",
        "unable",
        "error*",
        "issue*",
        "problem*",
        "wrong",
        "missing",
        "broken",
        "charged",
        "invoice*",
        "receipt*",
        "access",
        "login",
        "log in",
        "password",
    ];
    !raw.contains('?') && !raw.contains('\u{FF1F}') && !norm.any(REQUESTS)
}

/// "tell X that …", "let X know that …".
fn relays_a_statement(norm: &Norm) -> bool {
    let t: Vec<&str> = norm.tokens().collect();
    t.windows(3).any(|w| w[0] == "tell" && w[2] == "that")
        || t.windows(4)
            .any(|w| w[0] == "let" && w[2] == "know" && w[3] == "that")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn personal(t: &str) -> bool {
        is_personal(&Norm::new(t))
    }

    #[test]
    fn relayed_invited_and_personal_thanks_are_personal() {
        for t in [
            "Please tell Elena that the lessons on colour theory changed how I work.",
            "Can you let Priya know that the bonus lesson made me laugh out loud?",
            "Please pass my thanks on to Jun: the lesson was the best explanation I've seen.",
            "Message for Priya: I got promoted to data analyst.",
            "Would you be interested in speaking to our university's coding club, Priya?",
            "Our design school would like to invite you as a guest lecturer next term.",
            "I'm 71 and everyone told me I was too old to learn this. Thank you, Maya.",
        ] {
            assert!(personal(t), "{t}");
        }
    }

    #[test]
    fn requests_to_support_are_not() {
        for t in [
            "Can you tell me how to reset my password?",
            "Let me know when the refund goes through.",
            "Please forward the invoice to my email address.",
            "Thanks, the link works now.",
            "Tell me whether the course includes certificates.",
        ] {
            assert!(!personal(t), "{t}");
        }
    }
}

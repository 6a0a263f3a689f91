//! The validator's word lists: leak phrases and jargon, meta-commentary, banned phrases, claims.

// ---------------------------------------------------------------------------------------------
// Text: number words.
// ---------------------------------------------------------------------------------------------

pub(super) const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

// ---------------------------------------------------------------------------------------------
// Internal leaks.
// ---------------------------------------------------------------------------------------------

/// Phrases that come from the platform, a tool or an API, never from a person writing to a
/// customer (peer §8's list and its neighbours).
///
/// Our apps sell technical courses, so a reply may well talk about code: words a developer
/// uses ("tool call", "TypeError", "stack trace", "system prompt") are not on the list.
pub(super) const LEAK_PHRASES: &[&str] = &[
    "no instructor configured",
    "no instructor is configured",
    "instructor not configured",
    "app not found",
    "application not found",
    "api error",
    "api call failed",
    "api request failed",
    "tool failed",
    "tool error",
    "tool returned",
    "lookup failed",
    "outside the scope",
    "in our system",
    "routed to the business development team",
    "routed to business development",
    "routing this to",
    "knowledge base returned",
    "according to the knowledge base",
    "based on the knowledge base",
    "the knowledge base says",
    "no knowledge base results",
    "kb results",
    "ai language model",
];

/// The engine's own vocabulary. Plain words like "policy", "confidence" or "escalate" are
/// normal in a reply ("our refund policy", "I've escalated this to our billing team"), so
/// only their engine senses are listed.
pub(super) const LEAK_JARGON: &[&str] = &[
    "classifier",
    "confidence score",
    "confidence level",
    "confidence threshold",
    "policy engine",
    "policy rule",
    "policy verdict",
    "rules brain",
    "escalation rule",
    "escalate to a human",
    "escalated to a human",
    "escalating to a human",
    "auto approve",
    "auto approved",
    "human in the loop",
];

/// Route and category names of our taxonomy, which only a leak would put in a reply.
pub(super) const TAXONOMY_PREFIXES: &[&str] = &["support_", "presales_", "escalate_", "order_"];
pub(super) const TAXONOMY_NAMES: &[&str] = &["fan_mail", "needs_review", "auto_send", "magic_link"];

/// Output of a crash, not talk about one (`file.js:10:5` tokens are caught separately).
pub(super) const STACK_TRACE_PHRASES: &[&str] = &[
    "traceback most recent call last",
    "panicked at",
    "py line #",
];

pub(super) const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "js", "ts", "tsx", "jsx", "mjs", "py", "rb", "go", "java", "kt", "php",
];

pub(super) const PLACEHOLDER_PHRASES: &[&str] = &[
    "hi undefined",
    "hello undefined",
    "dear undefined",
    "hi null",
    "dear null",
    "object object",
    "insert name",
    "customer name",
    "first name",
];

// ---------------------------------------------------------------------------------------------
// Meta-commentary.
// ---------------------------------------------------------------------------------------------

/// Openings of a line that describe the message rather than answer it, when followed within
/// a few words by one of [`META_NOUNS`]: "This is a vendor email", "This appears to be spam".
pub(super) const META_OPENINGS: &[&str] = &[
    "this is a",
    "this is an",
    "this appears to be",
    "this seems to be",
    "this looks like",
    "this email is",
    "this message is",
    "this email appears",
    "this message appears",
];

pub(super) const META_NOUNS: &[&str] = &[
    "vendor",
    "spam",
    "email",
    "mail",
    "message",
    "ticket",
    "inquiry",
    "enquiry",
    "pitch",
    "outreach",
    "newsletter",
    "notification",
    "autoreply",
    "bounce",
    "solicitation",
    "partnership",
    "promotional",
    "marketing",
    "conversation",
    "thread",
    "automated",
    "phishing",
];

pub(super) const META_PHRASES: &[&str] = &[
    "i wont respond",
    "i will not respond",
    "i wont reply",
    "i will not reply",
    "no response needed",
    "no response is needed",
    "no response necessary",
    "no response is necessary",
    "no response required",
    "no reply needed",
    "no reply is needed",
    "no reply necessary",
    "no reply required",
    "does not need a response",
    "doesnt need a response",
    "does not require a response",
    "doesnt require a response",
    "should not respond",
    "shouldnt respond",
    "not worth responding",
    "heres a draft",
    "here is a draft",
    "heres my draft",
    "here is my draft",
    "heres the draft",
    "here is the draft",
    "heres a response",
    "here is a response",
    "heres a reply",
    "here is a reply",
    "heres a possible",
    "here is a possible",
    "heres a suggested",
    "here is a suggested",
    "draft response",
    "draft reply",
    "suggested response",
    "suggested reply",
    "proposed response",
    "the customer is",
    "the customer was",
    "the customer wants",
    "the customer asks",
    "the customer asked",
    "the customer has",
    "the customer seems",
    "the customer appears",
    "the customer would",
    "the customer should",
    "the customer needs",
    "the customer mentioned",
    "the customer says",
    "the customer said",
    "customer is asking",
    "flagging this to",
    "flagging this for",
    "flagging for",
    "im flagging",
    "i am flagging",
    "flag this for",
    "needs human review",
    "for human review",
    "requires human review",
    "internal note",
    "note to self",
    "note for the team",
    "note to the team",
    "not a support request",
    "not a customer support request",
    "i cannot respond to this",
    "i cant respond to this",
    "leave this unanswered",
    "ignore this email",
    "ignore this message",
    "mark as spam",
    "mark this as spam",
    "this email is from",
    "this message is from",
    "this is an auto reply",
    "this is an automatic reply",
    "should be escalated",
    "should be routed",
];

// ---------------------------------------------------------------------------------------------
// Banned phrases.
// ---------------------------------------------------------------------------------------------

pub(super) const BANNED_PHRASES: &[&str] = &[
    "id recommend",
    "i would recommend",
    "id suggest",
    "i would suggest",
    "hope this helps",
    "happy to help",
    "i understand",
    "i hear you",
    "i apologize for any inconvenience",
    "i apologise for any inconvenience",
    "we apologize for any inconvenience",
    "we apologise for any inconvenience",
    "apologies for any inconvenience",
    "sorry for any inconvenience",
    "thanks for reaching out",
    "thank you for reaching out",
    "thanks for sharing",
    "thank you for sharing",
    "let me know if you have any other questions",
    "let me know if you have any questions",
    "let me know if you have any further questions",
    "dont hesitate to",
    "do not hesitate to",
    "feel free to reach out",
];

// ---------------------------------------------------------------------------------------------
// Fabrication: course structure nobody retrieved.
// ---------------------------------------------------------------------------------------------

pub(super) const STRUCTURE_WORDS: &[&str] = &["module", "lesson", "chapter"];

// ---------------------------------------------------------------------------------------------
// Ground truth: the refund window.
// ---------------------------------------------------------------------------------------------

pub(super) const REFUND_CONTEXT: &[&str] = &["refund*", "money back", "moneyback", "guarantee*"];
pub(super) const WINDOW_AFTER: &[&str] = &[
    "refund*",
    "money",
    "moneyback",
    "return*",
    "guarantee*",
    "window",
    "policy",
];
pub(super) const WINDOW_BEFORE: &[&str] = &["window", "period"];
pub(super) const PURCHASE_WORDS: &[&str] = &[
    "purchase*",
    "buying",
    "bought",
    "order*",
    "enrol*",
    "signup",
];

// ---------------------------------------------------------------------------------------------
// Unsourced claims.
// ---------------------------------------------------------------------------------------------

pub(super) const TIMELINE_LEADS: &[&str] = &["within", "in", "takes", "take", "after"];
pub(super) const TIMELINE_UNITS: &[(&str, &str)] = &[
    ("minute", "minute"),
    ("minutes", "minute"),
    ("hour", "hour"),
    ("hours", "hour"),
    ("day", "day"),
    ("days", "day"),
    ("week", "week"),
    ("weeks", "week"),
    ("month", "month"),
    ("months", "month"),
    ("year", "year"),
    ("years", "year"),
];
pub(super) const GUARANTEE_WORDS: &[&str] = &[
    "guarantee*",
    "we promise",
    "i promise",
    "promise you",
    "money back",
    "moneyback",
    "lifetime access",
    "lifetime updates",
    "forever",
];

pub(super) const CURRENCY_SYMBOLS: &[char] = &['$', '€', '£', '¥'];
pub(super) const CURRENCY_WORDS: &[&str] = &[
    "usd", "eur", "gbp", "dollars", "dollar", "euros", "euro", "pounds",
];

//! The scenario format of `skill eval run` (one JSON object per line; see `eval/README.md`).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use support_core::classify::Category;

/// The app a scenario is delivered to when it names none.
pub const DEFAULT_APP: &str = "eval-app";

/// Every decision an expected action can carry: the policy's four, and `none` (not proposed).
pub const DECISIONS: [&str; 5] = ["auto", "approval", "escalate", "deny", "none"];
/// Every routing outcome (DESIGN §5).
pub const ROUTES: [&str; 5] = [
    "respond",
    "silence",
    "escalate_human",
    "escalate_urgent",
    "escalate_instructor",
];
/// Every adversarial class a scenario can belong to (`class`; see `eval/adversarial/`).
pub const CLASSES: [&str; 11] = [
    "wrong_object",
    "third_party",
    "second_refund",
    "refund_question",
    "fraud",
    "injection",
    "legal",
    "anger",
    "instructor",
    "lookalike",
    "in_policy",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    /// The app's slug ([`DEFAULT_APP`] when absent); created with the default policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    /// The sender when there is no `customer` (e.g. `noreply@…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Where the scenario comes from (`bitext:get_refund`, `synthetic:injection`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `injection` marks a prompt-injection attempt: no write may run on its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The adversarial class the scenario belongs to (one of [`CLASSES`]), for the per-class
    /// tally and its gates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Seeded into the example app (and its charges into the fake Stripe); the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Other customers seeded the same way who do not send the message (e.g. the colleague
    /// whose purchase the sender names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub purchases: Vec<Purchase>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purchase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Age at the moment of the decision, in days (fractions allowed: 30.0417 ≈ 30 d 1 h).
    pub days_ago: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    /// `active` (default), `refunded` or `transferred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `Some(vec![])`: no write action at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<ExpectedAction>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedAction {
    #[serde(rename = "type")]
    pub kind: String,
    pub decision: String,
}

pub const DEFAULT_AMOUNT_CENTS: i64 = 4_900;

impl Scenario {
    pub fn app(&self) -> &str {
        self.app.as_deref().unwrap_or(DEFAULT_APP)
    }
    pub fn is_injection(&self) -> bool {
        self.tags.iter().any(|t| t == "injection")
    }
    /// Every customer seeded for the scenario: the sender (`None`) and then each of
    /// `others` (`Some(index)`).
    pub fn seeded(&self) -> impl Iterator<Item = (Option<usize>, &Customer)> {
        self.customer
            .iter()
            .map(|c| (None, c))
            .chain(self.others.iter().enumerate().map(|(j, c)| (Some(j), c)))
    }
    /// The id of the `k`-th purchase of a seeded customer (see [`Scenario::seeded`]): its own
    /// `id`, else one derived from the scenario's id.
    pub fn purchase_id(&self, owner: Option<usize>, k: usize, p: &Purchase) -> String {
        match (&p.id, owner) {
            (Some(id), _) => id.clone(),
            (None, None) => format!("pur_{}_{k}", slug(&self.id)),
            (None, Some(j)) => format!("pur_{}_o{j}_{k}", slug(&self.id)),
        }
    }
    /// The sender's address.
    pub fn sender(&self) -> String {
        match (&self.customer, &self.from) {
            (Some(c), _) => c.email.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => format!("{}@eval.invalid", slug(&self.id)),
        }
    }
}

impl Purchase {
    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("active")
    }
    pub fn amount(&self) -> i64 {
        self.amount_cents.unwrap_or(DEFAULT_AMOUNT_CENTS)
    }
    pub fn age_secs(&self) -> i64 {
        (self.days_ago * 86_400.0).round() as i64
    }
}

/// Lower-case letters, digits and dashes only.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Reads and checks a dataset: every line parses, ids are unique, labels are known, each
/// customer email and purchase id appears once (scenarios never share state).
pub fn load(path: &Path) -> Result<Vec<Scenario>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<Vec<Scenario>, String> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut emails = BTreeSet::new();
    let mut purchase_ids = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |m: String| format!("line {}: {m}", n + 1);
        let s: Scenario = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        if s.id.trim().is_empty() {
            return Err(at("empty id".into()));
        }
        if !ids.insert(s.id.clone()) {
            return Err(at(format!("duplicate id {:?}", s.id)));
        }
        if let Some(c) = &s.class
            && !CLASSES.contains(&c.as_str())
        {
            return Err(at(format!("unknown class {c:?}")));
        }
        for c in s.customer.iter().chain(&s.others) {
            if support_types::Email::parse(&c.email).is_err() {
                return Err(at(format!("customer email {:?} is not an email", c.email)));
            }
            if !emails.insert(c.email.to_ascii_lowercase()) {
                return Err(at(format!(
                    "customer {:?} appears in another scenario; each scenario needs its own",
                    c.email
                )));
            }
            for p in &c.purchases {
                if !p.days_ago.is_finite() || p.days_ago < 0.0 {
                    return Err(at(format!("days_ago {} must be ≥ 0", p.days_ago)));
                }
                if !matches!(p.status(), "active" | "refunded" | "transferred") {
                    return Err(at(format!("purchase status {:?}", p.status())));
                }
                if let Some(id) = &p.id
                    && !purchase_ids.insert(id.clone())
                {
                    return Err(at(format!("purchase id {id:?} appears twice")));
                }
            }
        }
        if let Some(e) = &s.expected {
            if let Some(c) = &e.category
                && Category::parse(c).is_none()
            {
                return Err(at(format!("unknown category {c:?}")));
            }
            if let Some(r) = &e.route
                && !ROUTES.contains(&r.as_str())
            {
                return Err(at(format!("unknown route {r:?}")));
            }
            for a in e.actions.iter().flatten() {
                if support_core::policy::ActionKind::ALL
                    .iter()
                    .all(|k| k.as_str() != a.kind)
                {
                    return Err(at(format!("unknown action type {:?}", a.kind)));
                }
                if !DECISIONS.contains(&a.decision.as_str()) {
                    return Err(at(format!("unknown decision {:?}", a.decision)));
                }
            }
        }
        out.push(s);
    }
    if out.is_empty() {
        return Err("no scenarios".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_what_would_mislead() {
        let ok = r#"{"id":"a","body":"refund please","customer":{"email":"a@example.com","purchases":[{"days_ago":3}]},"expected":{"category":"support_refund","route":"respond","actions":[{"type":"refund","decision":"auto"}]}}
{"id":"b","body":"hi","tags":["injection"]}"#;
        let s = parse(ok).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].app(), DEFAULT_APP);
        assert_eq!(
            s[0].customer.as_ref().unwrap().purchases[0].age_secs(),
            259_200
        );
        assert!(s[1].is_injection());
        assert_eq!(s[1].sender(), "b@eval.invalid");

        let adv = parse(
            r#"{"id":"Third party 1","body":"refund pur_col please","class":"third_party","customer":{"email":"me@example.com","purchases":[{"days_ago":3}]},"others":[{"email":"col@example.com","purchases":[{"id":"pur_col","days_ago":2},{"days_ago":9}]}]}"#,
        )
        .unwrap();
        let a = &adv[0];
        assert_eq!(a.class.as_deref(), Some("third_party"));
        assert_eq!(
            a.sender(),
            "me@example.com",
            "the sender is the customer, not the others"
        );
        let ids: Vec<String> = a
            .seeded()
            .flat_map(|(o, c)| {
                c.purchases
                    .iter()
                    .enumerate()
                    .map(move |(k, p)| a.purchase_id(o, k, p))
            })
            .collect();
        assert_eq!(
            ids,
            ["pur_third-party-1_0", "pur_col", "pur_third-party-1_o0_1"]
        );

        for (bad, why) in [
            (
                r#"{"id":"a","body":"x"}
{"id":"a","body":"y"}"#,
                "duplicate id",
            ),
            (
                r#"{"id":"a","body":"x","expected":{"category":"refunds"}}"#,
                "unknown category",
            ),
            (
                r#"{"id":"a","body":"x","expected":{"route":"reply"}}"#,
                "unknown route",
            ),
            (
                r#"{"id":"a","body":"x","expected":{"actions":[{"type":"refund","decision":"yes"}]}}"#,
                "unknown decision",
            ),
            (
                r#"{"id":"a","body":"x","expected":{"actions":[{"type":"refnd","decision":"auto"}]}}"#,
                "unknown action type",
            ),
            (r#"{"id":"a","body":"x","bogus":1}"#, "unknown field"),
            (
                r#"{"id":"a","body":"x","class":"sarcasm"}"#,
                "unknown class",
            ),
            (
                r#"{"id":"a","body":"x","customer":{"email":"c@example.com"},"others":[{"email":"c@example.com"}]}"#,
                "another scenario",
            ),
            (
                r#"{"id":"a","body":"x","others":[{"email":"o@example.com","purchases":[{"id":"pur_1","days_ago":1}]}]}
{"id":"b","body":"x","customer":{"email":"d@example.com","purchases":[{"id":"pur_1","days_ago":1}]}}"#,
                "appears twice",
            ),
            (
                r#"{"id":"a","body":"x","others":[{"email":"not-an-email"}]}"#,
                "is not an email",
            ),
            (
                r#"{"id":"a","body":"x","customer":{"email":"c@example.com"}}
{"id":"b","body":"x","customer":{"email":"C@example.com"}}"#,
                "another scenario",
            ),
            (
                r#"{"id":"a","body":"x","customer":{"email":"c@example.com","purchases":[{"days_ago":-1}]}}"#,
                "days_ago",
            ),
            ("", "no scenarios"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn slugs_are_safe_identifiers() {
        assert_eq!(slug("Refund window #3 (30d)"), "refund-window-3-30d");
        assert_eq!(slug("--A__b--"), "a-b");
    }
}

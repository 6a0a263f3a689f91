//! The filter language against a fixed corpus of support documents: one table
//! of expressions, valid and invalid, with the ids each must match or the
//! position each must be refused at; then properties over random input.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use support_retrieval::filter::{ErrorKind, Expr, MAX_DEPTH};
use support_retrieval::{Filter, Metadata};

/// Eight documents of two tenants. Short ids: `c` conversation, `k` knowledge,
/// `r` response. Each goes through [`Metadata`] so the filter sees exactly what
/// `Metadata::to_value` gives a real index.
fn corpus() -> Vec<(&'static str, Value)> {
    let raw = [
        (
            "c1",
            json!({
                "type": "conversation", "appId": "acme", "category": "billing",
                "resolution": "refunded", "sentiment": "negative", "trustScore": 0.92,
                "source": "front", "title": "Double charge on March invoice",
                "tags": ["billing", "refund", "stripe"],
                "customer": {"plan": "pro", "seats": 12, "region": "eu"},
                "priority": 2, "escalated": false
            }),
        ),
        (
            "c2",
            json!({
                "type": "conversation", "appId": "acme", "category": "account",
                "resolution": "resolved", "sentiment": "neutral", "trustScore": 0.75,
                "source": "slack", "title": "Can't log in after password reset",
                "tags": ["login", "password"],
                "customer": {"plan": "free", "seats": 1, "region": "us"},
                "priority": 1, "escalated": true
            }),
        ),
        (
            "k1",
            json!({
                "type": "knowledge", "appId": "acme", "category": "billing",
                "trustScore": 1.0, "source": "docs", "title": "Refund policy",
                "tags": ["billing", "refund", "policy"],
                "author": {"name": "Ana", "team": "support"}, "version": 3
            }),
        ),
        (
            "k2",
            json!({
                "type": "knowledge", "appId": "acme", "category": "account",
                "trustScore": 0.6, "source": "docs", "title": "Setting up SSO with Okta",
                "tags": ["sso", "okta", "login"],
                "author": {"name": "Bo", "team": "eng"}, "draft": true
            }),
        ),
        (
            "r1",
            json!({
                "type": "response", "appId": "acme", "category": "billing",
                "trustScore": 0.88, "title": "Refund acknowledged",
                "tags": ["refund"], "locale": "en-US"
            }),
        ),
        (
            "r2",
            json!({
                "type": "response", "appId": "globex", "category": "general",
                "trustScore": 0.5, "title": "Greeting", "tags": [], "locale": "fr-FR"
            }),
        ),
        (
            "c3",
            json!({
                "type": "conversation", "appId": "globex", "category": "outage",
                "resolution": "escalated", "sentiment": "negative", "trustScore": 0.3,
                "source": "front", "title": "API returns 503",
                "tags": ["api", "outage", "Stripe"],
                "customer": {"plan": "enterprise", "seats": 250, "region": "eu"},
                "priority": 3, "escalated": true
            }),
        ),
        (
            "k3",
            json!({
                "type": "knowledge", "appId": "globex", "category": "api",
                "source": "docs", "title": "API rate limits",
                "tags": ["api", 429], "author": {"name": "Cy"},
                "note": null, "version": 1.5
            }),
        ),
    ];
    raw.into_iter()
        .map(|(id, v)| {
            let m: Metadata = serde_json::from_value(v.clone()).expect("fixture is valid metadata");
            assert_eq!(m.to_value(), v, "{id} survives Metadata");
            (id, m.to_value())
        })
        .collect()
}

const ALL: &[&str] = &["c1", "c2", "k1", "k2", "r1", "r2", "c3", "k3"];

enum Want {
    /// The ids that match.
    Ids(&'static [&'static str]),
    /// Refused at this byte position, with this in the message.
    Err(usize, &'static str),
}
use Want::{Err as Refused, Ids};

const TABLE: &[(&str, Want)] = &[
    // Equality and tenants.
    ("appId = 'acme'", Ids(&["c1", "c2", "k1", "k2", "r1"])),
    ("appId = \"globex\"", Ids(&["r2", "c3", "k3"])),
    ("type = 'knowledge'", Ids(&["k1", "k2", "k3"])),
    (
        "appId = 'acme' AND type = 'conversation'",
        Ids(&["c1", "c2"]),
    ),
    (
        "type = 'response' OR category = 'outage'",
        Ids(&["r1", "r2", "c3"]),
    ),
    ("appId != 'acme'", Ids(&["r2", "c3", "k3"])),
    ("appid = 'acme'", Ids(&[])),     // field names are case sensitive
    ("type = 'Knowledge'", Ids(&[])), // so are values
    (
        "title = \"Can't log in after password reset\"",
        Ids(&["c2"]),
    ),
    (
        "sentiment = \"negative\" AND source = 'front'",
        Ids(&["c1", "c3"]),
    ),
    // Numbers compare numerically; a missing field never matches.
    ("trustScore > 0.8", Ids(&["c1", "k1", "r1"])),
    ("trustScore >= 0.75", Ids(&["c1", "c2", "k1", "r1"])),
    ("trustScore < 0.6", Ids(&["r2", "c3"])),
    ("trustScore <= 0.6", Ids(&["k2", "r2", "c3"])),
    ("trustScore = 1", Ids(&["k1"])), // stored as 1.0
    ("version = 3.0", Ids(&["k1"])),  // stored as the integer 3
    (
        "trustScore != 0.5",
        Ids(&["c1", "c2", "k1", "k2", "r1", "c3"]),
    ),
    ("version > 2", Ids(&["k1"])),
    ("version < 2", Ids(&["k3"])),
    ("priority >= -1", Ids(&["c1", "c2", "c3"])),
    // Missing fields and mismatched types: no match, negations included.
    ("resolution != 'refunded'", Ids(&["c2", "c3"])),
    ("trustScore != 'high'", Ids(&[])),
    ("note = 'x' OR note != 'x'", Ids(&[])), // null is a value of no type
    ("tags = 'refund'", Ids(&[])),           // = does not reach into arrays
    ("customer = 'pro'", Ids(&[])),
    // Booleans, and the documented 1/0 spelling of them.
    ("escalated = true", Ids(&["c2", "c3"])),
    ("escalated != FALSE", Ids(&["c2", "c3"])),
    ("escalated = 0", Ids(&["c1"])),
    ("draft = 1", Ids(&["k2"])),
    ("escalated IN (1)", Ids(&["c2", "c3"])),
    ("escalated NOT IN (true)", Ids(&["c1"])),
    ("priority = true", Ids(&[])), // a boolean literal never equals a number
    // IN / NOT IN.
    (
        "category IN ('billing', 'account')",
        Ids(&["c1", "c2", "k1", "k2", "r1"]),
    ),
    (
        "category NOT IN ('billing', 'account')",
        Ids(&["r2", "c3", "k3"]),
    ),
    ("author.name IN ('Ana', 'Cy')", Ids(&["k1", "k3"])),
    ("customer.seats NOT IN (1, 12)", Ids(&["c3"])),
    (
        "category in ('api') Or category GLOB 'out*'",
        Ids(&["c3", "k3"]),
    ),
    // CONTAINS on arrays, case sensitive, any literal type.
    ("tags CONTAINS 'refund'", Ids(&["c1", "k1", "r1"])),
    (
        "tags NOT CONTAINS 'refund'",
        Ids(&["c2", "k2", "r2", "c3", "k3"]),
    ),
    ("tags CONTAINS 'stripe'", Ids(&["c1"])),
    ("tags CONTAINS 429", Ids(&["k3"])),
    ("tags CONTAINS true", Ids(&[])),
    ("title CONTAINS 'API'", Ids(&[])), // strings are not arrays
    // Nested objects and array indexing.
    ("customer.plan = 'pro'", Ids(&["c1"])),
    (
        "customer.seats >= 10 AND customer.region = 'eu'",
        Ids(&["c1", "c3"]),
    ),
    ("customer.region != 'eu'", Ids(&["c2"])),
    ("tags[0] = 'billing'", Ids(&["c1", "k1"])),
    ("tags[#-1] = 'login'", Ids(&["k2"])),
    ("tags[#-1] = 'refund'", Ids(&["r1"])),
    ("tags[5] = 'x'", Ids(&[])),
    ("tags[0] GLOB 'a*'", Ids(&["c3", "k3"])),
    // GLOB.
    ("title GLOB 'API*'", Ids(&["c3", "k3"])),
    ("title GLOB '*[Rr]efund*'", Ids(&["k1", "r1"])),
    ("title NOT GLOB '*a*'", Ids(&["k1", "r2", "c3"])),
    ("locale GLOB '??-[A-Z][A-Z]'", Ids(&["r1", "r2"])),
    ("locale GLOB '[^e]*'", Ids(&["r2"])),
    (
        "locale GLOB 'en-*' OR locale NOT GLOB 'en-*'",
        Ids(&["r1", "r2"]),
    ),
    // HAS FIELD / HAS NOT FIELD.
    ("HAS FIELD author", Ids(&["k1", "k2", "k3"])),
    ("HAS FIELD author.team", Ids(&["k1", "k2"])),
    ("has not field trustScore", Ids(&["k3"])),
    ("HAS FIELD note", Ids(&["k3"])), // present, though null
    (
        "HAS FIELD tags[0]",
        Ids(&["c1", "c2", "k1", "k2", "r1", "c3", "k3"]),
    ),
    ("HAS NOT FIELD tags[#-1]", Ids(&["r2"])),
    ("x = 1 OR HAS NOT FIELD x", Ids(ALL)),
    // Precedence and grouping.
    (
        "appId = 'acme' AND (category = 'billing' OR tags CONTAINS 'login')",
        Ids(&["c1", "c2", "k1", "k2", "r1"]),
    ),
    (
        "appId = 'acme' AND category = 'billing' OR tags CONTAINS 'api'",
        Ids(&["c1", "k1", "r1", "c3", "k3"]),
    ),
    ("((appId = 'globex'))", Ids(&["r2", "c3", "k3"])),
    ("appId = 'globex' and tags not contains 'api'", Ids(&["r2"])),
    // Refused, with the byte position of the problem.
    ("", Refused(0, "empty filter")),
    ("   ", Refused(0, "empty filter")),
    ("appId = ", Refused(8, "expected a value after '='")),
    ("appId = 'acme", Refused(8, "unterminated string")),
    ("appId == 'acme'", Refused(6, "unknown operator '=='")),
    ("appId <> 'acme'", Refused(6, "unknown operator '<>'")),
    ("appId LIKE 'a%'", Refused(6, "unknown operator 'LIKE'")),
    ("appId = 'acme' AND", Refused(18, "expected a condition")),
    ("x = 'a' OR", Refused(10, "expected a condition")),
    ("appId = 'acme' type = 'x'", Refused(15, "expected AND, OR")),
    ("(appId = 'acme'", Refused(0, "unclosed '('")),
    ("appId = 'acme')", Refused(14, "unmatched ')'")),
    ("(x = 1 y = 2)", Refused(7, "expected AND, OR or ')'")),
    ("()", Refused(1, "expected a condition")),
    (
        "title GLOB 5",
        Refused(11, "GLOB needs a string pattern, found a number"),
    ),
    (
        "x NOT GLOB 3",
        Refused(11, "NOT GLOB needs a string pattern"),
    ),
    (
        "trustScore > 'high'",
        Refused(13, "'>' needs a number, found a string"),
    ),
    (
        "x < true",
        Refused(4, "'<' needs a number, found a boolean"),
    ),
    ("title GLOB '[a-'", Refused(12, "unclosed '['")),
    ("title GLOB 'x[z-a]'", Refused(14, "reversed range")),
    ("title GLOB '[]'", Refused(13, "empty character class")),
    ("title GLOB '[!a]*'", Refused(13, "use '^'")),
    ("tags[ = 1", Refused(5, "a digit in the array index")),
    ("tags[#1] = 'x'", Refused(6, "'-' after '#'")),
    ("tags[0 = 1", Refused(6, "']' after the array index")),
    (
        "tags[99999999999999999999999] = 'x'",
        Refused(5, "array index out of range"),
    ),
    ("a..b = 1", Refused(2, "a key")),
    ("a.1 = 1", Refused(2, "a key")),
    ("a#b = 1", Refused(1, "'.' or '['")),
    ("HAS tags", Refused(4, "FIELD or NOT FIELD after HAS")),
    ("HAS NOT x", Refused(8, "FIELD after HAS NOT")),
    ("HAS FIELD", Refused(9, "a field name after FIELD")),
    ("HAS FIELD and", Refused(10, "'AND' is a keyword")),
    ("in = 1", Refused(0, "'IN' is a keyword")),
    ("x = 'a' AND NOT y = 1", Refused(12, "'NOT' is a keyword")),
    ("category IN ()", Refused(13, "a value in the IN list")),
    ("category IN ('a',)", Refused(17, "a value after ','")),
    (
        "category IN ('a' 'b')",
        Refused(17, "',' or ')' in the IN list"),
    ),
    ("category IN 'a'", Refused(12, "'(' after IN")),
    (
        "category NOT 'a'",
        Refused(13, "GLOB, IN or CONTAINS after NOT"),
    ),
    ("tags CONTAINS", Refused(13, "a value after CONTAINS")),
    ("appId = 'a\\'b'", Refused(10, "backslash")),
    ("x = 1e5", Refused(5, "after a number")),
    ("x = 1.", Refused(6, "a digit after '.'")),
    ("x = - 1", Refused(5, "a digit after '-'")),
    ("x = y", Refused(4, "expected a value after '=', found 'y'")),
    ("x = @", Refused(4, "unexpected character '@'")),
    ("x ! 1", Refused(3, "'=' after '!'")),
    ("1 = 1", Refused(0, "expected a condition")),
    ("'appId' = 'x'", Refused(0, "expected a condition")),
    ("x", Refused(1, "an operator after 'x'")),
];

#[test]
fn table() {
    let docs = corpus();
    let valid = TABLE.iter().filter(|(_, w)| matches!(w, Ids(_))).count();
    assert!(
        valid >= 40 && TABLE.len() - valid >= 40,
        "the table keeps its breadth"
    );
    let mut failures = Vec::new();
    for (src, want) in TABLE {
        match (Filter::parse(src), want) {
            (Ok(f), Ids(ids)) => {
                let got: BTreeSet<&str> = docs
                    .iter()
                    .filter(|(_, m)| f.matches(m))
                    .map(|(id, _)| *id)
                    .collect();
                let want: BTreeSet<&str> = ids.iter().copied().collect();
                if got != want {
                    failures.push(format!("{src:?}: matched {got:?}, want {want:?}"));
                }
                assert_eq!(f.to_string(), *src, "Display is the source");
                let canonical = f.expr().to_string();
                let again = Filter::parse(&canonical)
                    .unwrap_or_else(|e| panic!("{src:?} -> {canonical:?}: {e}"));
                assert_eq!(again.expr(), f.expr(), "{src:?} -> {canonical:?}");
            }
            (Err(e), Refused(pos, text)) => {
                let msg = e.to_string();
                if e.position != *pos || !msg.contains(text) {
                    failures.push(format!(
                        "{src:?}: refused with {msg:?}, want {text:?} at {pos}"
                    ));
                }
                assert!(msg.ends_with(&format!("at position {}", e.position)));
            }
            (Ok(_), Refused(pos, text)) => {
                failures.push(format!("{src:?}: parsed, want {text:?} at {pos}"))
            }
            (Err(e), Ids(_)) => failures.push(format!("{src:?}: refused: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_upstash_examples_parse() {
    // The examples of Upstash's "Metadata Filtering" page, as written there.
    let city = json!({
        "city": "Istanbul", "country": "Turkey", "is_capital": false, "population": 15460000,
        "geography": {"continent": "Asia", "coordinates": {"latitude": 41.0082, "longitude": 28.9784}},
        "economy": {"currency": "TRY", "major_industries": ["Tourism", "Textiles", "Finance"]}
    });
    let yes = [
        "population >= 1000000 AND geography.continent = 'Asia'",
        "country = 'Turkey' AND population = 15460000 AND is_capital = false",
        "country != 'Germany' AND population != 12500000 AND is_capital != true",
        "population < 20000000 OR geography.coordinates.longitude < 30.0",
        "population <= 20000000 OR geography.coordinates.longitude <= 30.0",
        "population > 10000000 OR geography.coordinates.latitude > 39.5",
        "population >= 10000000 OR geography.coordinates.latitude >= 39.5",
        "city GLOB '?[sz]*[^m-z]'",
        "city NOT GLOB 'A*'",
        "country IN ('Germany', 'Turkey', 'France')",
        "economy.currency NOT IN ('USD', 'EUR')",
        "economy.major_industries CONTAINS 'Tourism'",
        "economy.major_industries NOT CONTAINS 'Steel Production'",
        "HAS FIELD geography.coordinates",
        "country = 'Turkey' AND (population > 10000000 OR is_capital = false)",
        "country = 'Turkey' AND population > 10000000 OR is_capital = false",
        "economy.currency != 'USD' AND geography.coordinates.latitude >= 35.0",
        "economy.major_industries[0] = 'Tourism'",
        "economy.major_industries[#-1] = 'Finance'",
    ];
    for src in yes {
        let f = Filter::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(f.matches(&city), "{src}");
    }
    let f = Filter::parse("HAS NOT FIELD geography.coordinates.longitude").expect("parses");
    assert!(!f.matches(&city));
}

#[test]
fn and_binds_tighter_than_or() {
    let f = Filter::parse("a = 1 AND b = 2 OR c = 3").expect("parses");
    let g = Filter::parse("(a = 1 AND b = 2) OR c = 3").expect("parses");
    assert_eq!(f.expr(), g.expr());
    assert!(matches!(f.expr(), Expr::Or(items) if items.len() == 2));
    assert_eq!(f.expr().to_string(), "a = 1 AND b = 2 OR c = 3");
    let h = Filter::parse("a = 1 AND (b = 2 OR c = 3)").expect("parses");
    assert_eq!(h.expr().to_string(), "a = 1 AND (b = 2 OR c = 3)");
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("{}x = 1{}", "(".repeat(n), ")".repeat(n));
    assert!(Filter::parse(&nested(MAX_DEPTH)).is_ok());
    let err = Filter::parse(&nested(MAX_DEPTH + 1)).expect_err("too deep");
    assert_eq!(err.kind, ErrorKind::TooDeep);
    assert_eq!(err.position, MAX_DEPTH);
    // Far past the bound: still an error, not a stack overflow.
    assert!(Filter::parse(&"(".repeat(100_000)).is_err());
    // Long flat chains are not nesting and stay fine.
    let chain = vec!["x = 1"; 10_000].join(" AND ");
    assert!(Filter::parse(&chain).is_ok());
}

#[test]
fn huge_numbers_are_refused() {
    let src = format!("x = {}", "9".repeat(400));
    let err = Filter::parse(&src).expect_err("out of range");
    assert_eq!((err.position, err.kind), (4, ErrorKind::NumberOutOfRange));
}

#[test]
fn serde_carries_the_source_and_refuses_bad_filters() {
    let f = Filter::parse("appId = 'acme'  AND  type = 'knowledge'").expect("parses");
    let wire = serde_json::to_value(&f).expect("serializes");
    assert_eq!(wire, json!("appId = 'acme'  AND  type = 'knowledge'"));
    let back: Filter = serde_json::from_value(wire).expect("deserializes");
    assert_eq!(back, f);
    let err = serde_json::from_value::<Filter>(json!("appId = ")).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "expected a value after '=', found end of input at position 8"
    );
}

/// Tokens of the language, for soups that get past the lexer more often than
/// random text does.
const TOKENS: &[&str] = &[
    "appId",
    "tags",
    "tags[0]",
    "tags[#-1]",
    "customer.plan",
    "a.b[2].c",
    "x",
    "AND",
    "OR",
    "and",
    "NOT",
    "IN",
    "GLOB",
    "CONTAINS",
    "HAS",
    "FIELD",
    "has",
    "field",
    "true",
    "FALSE",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "'acme'",
    "\"it's\"",
    "'[a-z]*'",
    "'?x'",
    "'[^'",
    "'",
    "\"",
    "1",
    "-2.5",
    "0",
    "429",
    "1e5",
    "\\",
    "#",
    "[",
    "]",
    ".",
    "-",
    "!",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(&[" ", " ", "", "\t\n"][..]),
        ),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().flat_map(|(t, sep)| [t, sep]).collect())
}

/// Texts of single conditions that are always valid, to build random trees.
fn leaf() -> impl Strategy<Value = String> {
    let path = prop::sample::select(
        &[
            "appId",
            "type",
            "trustScore",
            "tags",
            "tags[0]",
            "tags[#-1]",
            "customer.plan",
            "customer.seats",
            "author.name",
            "escalated",
            "note",
            "k_1-b[3][#-2].z",
        ][..],
    );
    let string = "[a-zA-Z0-9 _.\"-]{0,8}".prop_map(|s| format!("'{s}'"));
    let number = (-1_000_000i64..1_000_000, 0u32..4)
        .prop_map(|(n, scale)| format!("{}", n as f64 / 10f64.powi(scale as i32)));
    let boolean = prop::sample::select(&["true", "FALSE", "True"][..]).prop_map(str::to_owned);
    let literal = prop_oneof![string.clone(), number.clone(), boolean];
    let glob = "[a-z*?]{0,4}(\\[\\^?[a-m]-[n-z]\\])?[a-z*]{0,3}".prop_map(|s| format!("'{s}'"));
    let list = prop::collection::vec(literal.clone(), 1..4).prop_map(|v| v.join(", "));
    let not = prop::sample::select(&["", "NOT ", "not "][..]);
    prop_oneof![
        (
            path.clone(),
            prop::sample::select(&["=", "!="][..]),
            literal.clone()
        )
            .prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (
            path.clone(),
            prop::sample::select(&["<", "<=", ">", ">="][..]),
            number
        )
            .prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (path.clone(), not.clone(), glob).prop_map(|(p, n, g)| format!("{p} {n}GLOB {g}")),
        (path.clone(), not.clone(), list).prop_map(|(p, n, l)| format!("{p} {n}IN ({l})")),
        (path.clone(), not, literal).prop_map(|(p, n, l)| format!("{p} {n}CONTAINS {l}")),
        (path, prop::bool::ANY).prop_map(|(p, neg)| if neg {
            format!("HAS NOT FIELD {p}")
        } else {
            format!("HAS FIELD {p}")
        }),
    ]
}

fn tree() -> impl Strategy<Value = Expr> {
    let leaf = leaf().prop_map(|s| {
        Filter::parse(&s)
            .unwrap_or_else(|e| panic!("leaf {s:?}: {e}"))
            .expr()
            .clone()
    });
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Expr::And),
            prop::collection::vec(inner, 2..5).prop_map(Expr::Or),
        ]
    })
}

/// Lifts an AND's AND operands (and an OR's OR operands) into it: a
/// different tree, the same meaning.
fn flatten(e: &Expr) -> Expr {
    match e {
        Expr::And(items) => Expr::And(
            items
                .iter()
                .map(flatten)
                .flat_map(|i| match i {
                    Expr::And(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
        Expr::Or(items) => Expr::Or(
            items
                .iter()
                .map(flatten)
                .flat_map(|i| match i {
                    Expr::Or(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A valid filter with one edit: a word dropped, doubled or swapped for a
/// token of the language, or the text cut short. Near misses reach deeper
/// into the parser than soup does, and some of them still parse.
fn near_miss() -> impl Strategy<Value = String> {
    (
        tree(),
        0usize..4,
        any::<prop::sample::Index>(),
        prop::sample::select(TOKENS),
    )
        .prop_map(|(expr, edit, at, token)| {
            let text = expr.to_string();
            let mut words: Vec<&str> = text.split(' ').collect();
            let i = at.index(words.len());
            match edit {
                0 => {
                    words.remove(i);
                }
                1 => words.insert(i, words[i]),
                2 => words[i] = token,
                _ => {
                    return text
                        .get(..at.index(text.len() + 1))
                        .unwrap_or(&text)
                        .to_owned();
                }
            }
            words.join(" ")
        })
}

fn check_round_trip(f: &Filter) {
    let again = Filter::parse(&f.to_string()).expect("the source parses again");
    assert_eq!(again.expr(), f.expr());
    let canonical = f.expr().to_string();
    let again = Filter::parse(&canonical)
        .unwrap_or_else(|e| panic!("canonical {canonical:?} of {:?}: {e}", f.as_str()));
    assert_eq!(again.expr(), f.expr(), "{:?} -> {canonical:?}", f.as_str());
}

proptest! {
    #[test]
    fn random_text_never_panics(src in any::<String>()) {
        if let Ok(f) = Filter::parse(&src) {
            check_round_trip(&f);
        }
    }

    #[test]
    fn token_soup_never_panics(src in soup()) {
        let docs = corpus();
        match Filter::parse(&src) {
            Ok(f) => {
                check_round_trip(&f);
                for (_, m) in &docs {
                    let _ = f.matches(m);
                }
            }
            Err(e) => prop_assert!(e.position <= src.len()),
        }
    }

    #[test]
    fn near_misses_never_panic(src in near_miss()) {
        let docs = corpus();
        match Filter::parse(&src) {
            Ok(f) => {
                check_round_trip(&f);
                for (_, m) in &docs {
                    let _ = f.matches(m);
                }
            }
            Err(e) => prop_assert!(e.position <= src.len()),
        }
    }

    #[test]
    fn valid_trees_round_trip(expr in tree()) {
        // A tree whose AND holds an AND (say) prints with parentheses, which
        // the parser keeps as a nested node: it comes back exactly.
        let text = expr.to_string();
        let f = Filter::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(f.expr(), &expr, "{:?}", text);
        check_round_trip(&f);
        // Flattening changes the tree, never the meaning.
        let flat = flatten(&expr);
        for (_, m) in &corpus() {
            prop_assert_eq!(flat.matches(m), expr.matches(m));
        }
    }
}

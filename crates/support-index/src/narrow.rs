//! Pre-narrowing: the part of a filter tantivy can answer from its raw term fields.
//!
//! The filter AST stays the source of truth: every BM25 candidate is re-checked with
//! [`Filter::matches`]. Narrowing only makes that re-check cheap for the common shape
//! `appId = 'x' AND type = 'y' AND …`, so the candidates tantivy returns are already mostly
//! the right tenant's. It must never drop a document the filter accepts, so it reads only
//! top-level conjuncts it understands exactly (`=` or `IN` with string literals on `appId`,
//! `type` or `category`) and ignores everything else, which the re-check handles.

use support_retrieval::Filter;
use support_retrieval::filter::{CmpOp, Expr, Literal, Segment};

/// The metadata keys indexed as raw terms, with the tantivy field of the same name.
pub(crate) const TERM_FIELDS: [&str; 3] = ["appId", "type", "category"];

/// One necessary condition: the field's term is one of `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conjunct {
    pub field: &'static str,
    pub values: Vec<String>,
}

/// The conjuncts of `filter` that a raw term query can enforce; empty when none.
pub(crate) fn conjuncts(filter: &Filter) -> Vec<Conjunct> {
    let top: &[Expr] = match filter.expr() {
        Expr::And(items) => items,
        other => std::slice::from_ref(other),
    };
    top.iter().filter_map(conjunct).collect()
}

fn conjunct(expr: &Expr) -> Option<Conjunct> {
    let (path, values) = match expr {
        Expr::Cmp {
            path,
            op: CmpOp::Eq,
            value: Literal::String(s),
        } => (path, vec![s.clone()]),
        Expr::In {
            path,
            values,
            negated: false,
        } => {
            let strings = values
                .iter()
                .map(|v| match v {
                    Literal::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            (path, strings)
        }
        _ => return None,
    };
    let [Segment::Key(key)] = path.segments() else {
        return None;
    };
    let field = TERM_FIELDS.into_iter().find(|f| f == key)?;
    Some(Conjunct { field, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Vec<Conjunct> {
        conjuncts(&Filter::parse(s).expect("parses"))
    }

    #[test]
    fn reads_only_what_it_understands() {
        assert_eq!(
            of("appId = 'a' AND type IN ('knowledge', 'response') AND trustScore > 0.8"),
            vec![
                Conjunct {
                    field: "appId",
                    values: vec!["a".into()]
                },
                Conjunct {
                    field: "type",
                    values: vec!["knowledge".into(), "response".into()]
                },
            ]
        );
        assert_eq!(
            of("category = 'billing'"),
            vec![Conjunct {
                field: "category",
                values: vec!["billing".into()]
            }]
        );
        // An OR, a negation, a number literal, a nested path: nothing to narrow by.
        assert!(of("appId = 'a' OR appId = 'b'").is_empty());
        assert!(of("appId != 'a'").is_empty());
        assert!(of("appId NOT IN ('a')").is_empty());
        assert!(of("appId = 1").is_empty());
        assert!(of("appId IN ('a', 1)").is_empty());
        assert!(of("appId.x = 'a'").is_empty());
        assert!(of("title = 'a'").is_empty());
    }
}

//! Local evaluation of an [`Expr`] against a document's metadata, with
//! Upstash's semantics as documented, and "do not match" where they are not.

use std::cmp::Ordering;

use serde_json::Value;

use super::{CmpOp, Expr, Literal, Path, Segment};

impl Expr {
    /// Whether `metadata` passes. Metadata that is not a JSON object has no
    /// fields: only `HAS NOT FIELD` (and what it is combined with) can match.
    pub fn matches(&self, metadata: &Value) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(metadata)),
            Expr::Or(items) => items.iter().any(|e| e.matches(metadata)),
            Expr::Cmp { path, op, value } => path
                .resolve(metadata)
                .is_some_and(|v| compare(v, *op, value)),
            Expr::Glob {
                path,
                pattern,
                negated,
            } => match path.resolve(metadata) {
                Some(Value::String(s)) => pattern.matches(s) != *negated,
                _ => false,
            },
            // IN is `= a OR = b …` and NOT IN is `!= a AND != b …`, as the
            // docs define them, so both inherit the type rules of = and !=.
            Expr::In {
                path,
                values,
                negated,
            } => path.resolve(metadata).is_some_and(|v| {
                if *negated {
                    values.iter().all(|l| compare(v, CmpOp::Ne, l))
                } else {
                    values.iter().any(|l| compare(v, CmpOp::Eq, l))
                }
            }),
            Expr::Contains {
                path,
                value,
                negated,
            } => match path.resolve(metadata) {
                Some(Value::Array(items)) => {
                    items.iter().any(|v| compare(v, CmpOp::Eq, value)) != *negated
                }
                _ => false,
            },
            Expr::HasField(path) => path.resolve(metadata).is_some(),
            Expr::HasNotField(path) => path.resolve(metadata).is_none(),
        }
    }
}

impl Path {
    /// The value at this path, if every step exists. `[#-n]` counts from the
    /// end, so `[#-0]` (one past the last) never resolves.
    pub fn resolve<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(root, |cur, seg| match (seg, cur) {
                (Segment::Key(k), Value::Object(map)) => map.get(k),
                (Segment::Index(i), Value::Array(items)) => items.get(*i),
                (Segment::FromEnd(n), Value::Array(items)) => items
                    .len()
                    .checked_sub(*n)
                    .filter(|_| *n > 0)
                    .and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

/// `value op literal`. False whenever the two are of types the operator does
/// not relate, `!=` included: a stored number is neither equal nor unequal
/// to `'x'`, it is simply not a candidate.
fn compare(value: &Value, op: CmpOp, literal: &Literal) -> bool {
    // The docs list the ordering operators for numbers only; a boolean's
    // 1/0 reading is for equality.
    if op.is_ordering() && !value.is_number() {
        return false;
    }
    let Some(ord) = order(value, literal) else {
        return false;
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// How a stored scalar orders against a literal, if the two are comparable.
///
/// Numbers compare as f64 (`1` equals `1.0`); strings byte for byte, case
/// sensitive. A stored boolean compares with `true`/`false` and, because the
/// docs say boolean literals are represented as `1` or `0`, with the numbers
/// 1 and 0; with any other number it is incomparable. A boolean literal does
/// not compare with a stored number: the docs say nothing of that direction.
fn order(value: &Value, literal: &Literal) -> Option<Ordering> {
    match (value, literal) {
        (Value::String(a), Literal::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::Number(a), Literal::Number(b)) => a.as_f64()?.partial_cmp(b),
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Literal::Number(n)) if *n == 0.0 || *n == 1.0 => Some(a.cmp(&(*n == 1.0))),
        _ => None,
    }
}

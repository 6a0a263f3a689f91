//! Upstash Vector's metadata filter language, parsed once and evaluated locally.
//!
//! One parser serves both stores: the Upstash client sends [`Filter::as_str`]
//! verbatim, the local index runs [`Filter::matches`], and because both read
//! the same parsed [`Expr`] a filter the remote store would refuse is refused
//! here first, at the edge.
//!
//! The grammar follows Upstash's "Metadata Filtering" page:
//!
//! ```text
//! filter    := or
//! or        := and ( OR and )*             -- AND binds tighter than OR
//! and       := primary ( AND primary )*
//! primary   := '(' or ')'
//!            | HAS FIELD path | HAS NOT FIELD path
//!            | path ( '=' | '!=' ) literal
//!            | path ( '<' | '<=' | '>' | '>=' ) number
//!            | path [NOT] GLOB string
//!            | path [NOT] IN '(' literal ( ',' literal )* ')'
//!            | path [NOT] CONTAINS literal
//! path      := key ( '.' key | '[' index ']' )*     index := digits | '#-' digits
//! literal   := string | number | TRUE | FALSE
//! ```
//!
//! Keywords are case-insensitive; strings take single or double quotes.
//!
//! Where the documentation is silent this module takes the conservative
//! reading: refuse the input, or do not match. For a support platform a filter
//! such as `appId = '…'` keeps one tenant's documents from another's, so
//! "when unsure, match less" is the safe side. Each such choice is written
//! where it is made; the list:
//!
//! - a missing field never matches a comparison, `!=`, `NOT IN`, `NOT GLOB`
//!   and `NOT CONTAINS` included (the docs say these filter keys *whose
//!   values* are not equal …; use `HAS NOT FIELD` for absence);
//! - a value of a type the operator does not apply to never matches, for the
//!   negated operators too (`score != 'x'` does not match a number);
//! - the docs say "boolean literals are represented as `1` or `0`", so `1`
//!   and `0` equal a stored `true` and `false`; `true`/`false` are accepted as
//!   well, as in the docs' own examples, but never equal a stored number;
//! - `<`, `<=`, `>`, `>=` need a number literal and `GLOB` a string one
//!   (the docs list them for numbers and strings only), refused otherwise;
//! - no escapes in string literals: a backslash is refused;
//! - numbers are `-?digits(.digits)?`: no exponent, no leading `+` or `.`;
//! - a keyword is never a field name (`HAS FIELD in` is refused), and a key
//!   after `.` must start with a letter or `_`, like the first;
//! - in a GLOB pattern, an unclosed `[`, an empty class `[]`, a reversed range
//!   `[z-a]` and a `[!…]` class (POSIX negation, undocumented here: Upstash
//!   documents `[^…]`) are refused;
//! - `JSON null` counts as a present field for `HAS FIELD` and equals nothing;
//! - parentheses nest at most [`MAX_DEPTH`] deep.

mod eval;
mod glob;
mod lex;
mod parse;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use glob::GlobPattern;

/// How deep parentheses may nest. Bounded so hostile input is an error and not
/// a stack overflow, in the parser and in every recursive walk after it.
pub const MAX_DEPTH: usize = 64;

/// A parsed filter that keeps its source text, so a remote store receives
/// exactly what the caller wrote and the local index evaluates the same thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    source: String,
    expr: Expr,
}

impl Filter {
    /// Parses `source` once into an [`Expr`].
    pub fn parse(source: &str) -> Result<Self, FilterError> {
        let expr = parse::parse(source)?;
        Ok(Self {
            source: source.to_owned(),
            expr,
        })
    }

    /// The source text, verbatim, for a store that parses it itself.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether `metadata` (a document's metadata as a JSON object) passes.
    pub fn matches(&self, metadata: &serde_json::Value) -> bool {
        self.expr.matches(metadata)
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The source text, as written.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Serialized as its source string, as Upstash's `filter` field expects.
impl Serialize for Filter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

/// Deserialized by parsing, so a bad filter is refused where it comes in.
impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        Self::parse(&source).map_err(serde::de::Error::custom)
    }
}

/// A parsed filter expression.
///
/// Parsing never builds an `And` or `Or` of fewer than two operands, and
/// flattens `a AND b AND c` into one `And`; parentheses leave no node of their
/// own. [`Display`](fmt::Display) writes the canonical text, which parses back
/// to an equal `Expr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `path = literal`, `path < number`, …
    Cmp {
        path: Path,
        op: CmpOp,
        value: Literal,
    },
    /// `path GLOB 'pattern'` or, negated, `path NOT GLOB 'pattern'`.
    Glob {
        path: Path,
        pattern: GlobPattern,
        negated: bool,
    },
    /// `path IN (a, b)` or `path NOT IN (a, b)`; never an empty list.
    In {
        path: Path,
        values: Vec<Literal>,
        negated: bool,
    },
    /// `path CONTAINS literal` or `path NOT CONTAINS literal`, for arrays.
    Contains {
        path: Path,
        value: Literal,
        negated: bool,
    },
    /// `HAS FIELD path`.
    HasField(Path),
    /// `HAS NOT FIELD path`.
    HasNotField(Path),
}

/// The symbolic comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator as written in a filter.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether the operator orders values, and so applies to numbers only.
    pub fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }
}

/// A literal on the right of an operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// Always finite: the lexer refuses anything that is not.
    Number(f64),
    Bool(bool),
}

/// A field path: `a.b[0][#-1]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<Segment>,
}

impl Path {
    /// The segments, first to last; never empty, and the first is a key.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object key (`.name`).
    Key(String),
    /// A zero-based array index (`[2]`).
    Index(usize),
    /// An index from the back (`[#-1]` is the last element, `FromEnd(1)`).
    FromEnd(usize),
}

/// Why a filter did not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at position {position}")]
pub struct FilterError {
    /// Byte offset into the source where the problem was found.
    pub position: usize,
    pub kind: ErrorKind,
}

/// What went wrong, without the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    #[error("empty filter")]
    Empty,
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    #[error("unterminated string literal")]
    UnterminatedString,
    #[error("backslash in a string literal (escapes are not supported)")]
    Backslash,
    #[error("unknown operator '{0}'")]
    UnknownOperator(String),
    #[error("number out of range")]
    NumberOutOfRange,
    #[error("array index out of range")]
    IndexOutOfRange,
    #[error("'{0}' is a keyword, not a field name")]
    Keyword(String),
    #[error("{op} needs {needs}, found {found}")]
    WrongLiteral {
        op: String,
        needs: &'static str,
        found: &'static str,
    },
    #[error("invalid GLOB pattern: {0}")]
    BadGlob(&'static str),
    #[error("unclosed '('")]
    UnclosedParen,
    #[error("unmatched ')'")]
    UnmatchedParen,
    #[error("parentheses nested deeper than {MAX_DEPTH}")]
    TooDeep,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A parsed string never holds both quote kinds (there are no
            // escapes), so one of them always delimits it.
            Literal::String(s) if s.contains('\'') => write!(f, "\"{s}\""),
            Literal::String(s) => write!(f, "'{s}'"),
            // f64's Display is the shortest text that reads back to the same
            // value, and never uses an exponent, which the lexer refuses.
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::FromEnd(n) => write!(f, "[#-{n}]")?,
            }
        }
        Ok(())
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, values: &[Literal]) -> fmt::Result {
    f.write_str("(")?;
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v}")?;
    }
    f.write_str(")")
}

/// Canonical text: keywords upper-case, single spaces, parentheses only where
/// the parsed shape needs them.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |negated: bool| if negated { "NOT " } else { "" };
        match self {
            Expr::And(items) | Expr::Or(items) => {
                let is_and = matches!(self, Expr::And(_));
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if is_and { " AND " } else { " OR " })?;
                    }
                    // An OR inside anything, or an AND inside an AND, needs
                    // parentheses to come back as the same tree.
                    let wrap =
                        matches!(item, Expr::Or(_)) || (is_and && matches!(item, Expr::And(_)));
                    if wrap {
                        write!(f, "({item})")?;
                    } else {
                        write!(f, "{item}")?;
                    }
                }
                Ok(())
            }
            Expr::Cmp { path, op, value } => write!(f, "{path} {} {value}", op.symbol()),
            Expr::Glob {
                path,
                pattern,
                negated,
            } => write!(
                f,
                "{path} {}GLOB {}",
                not(*negated),
                Literal::String(pattern.as_str().to_owned())
            ),
            Expr::In {
                path,
                values,
                negated,
            } => {
                write!(f, "{path} {}IN ", not(*negated))?;
                write_list(f, values)
            }
            Expr::Contains {
                path,
                value,
                negated,
            } => write!(f, "{path} {}CONTAINS {value}", not(*negated)),
            Expr::HasField(path) => write!(f, "HAS FIELD {path}"),
            Expr::HasNotField(path) => write!(f, "HAS NOT FIELD {path}"),
        }
    }
}

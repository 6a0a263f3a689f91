//! Tokens to [`Expr`]: recursive descent, OR over AND over primaries.

use super::lex::{Tok, Token, lex};
use super::{ErrorKind, Expr, FilterError, GlobPattern, Literal, MAX_DEPTH, Path, Segment};

/// Words that are never field names, so `HAS FIELD in` or `and = 1` is an
/// error rather than a guess at what the remote store would make of it.
const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IN", "GLOB", "CONTAINS", "HAS", "FIELD", "TRUE", "FALSE",
];

pub(super) fn parse(source: &str) -> Result<Expr, FilterError> {
    let toks = lex(source)?;
    if toks.is_empty() {
        return Err(FilterError {
            position: 0,
            kind: ErrorKind::Empty,
        });
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: source.len(),
        depth: 0,
    };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(expr),
        Some(Token {
            tok: Tok::RParen,
            pos,
        }) => Err(FilterError {
            position: *pos,
            kind: ErrorKind::UnmatchedParen,
        }),
        Some(_) => Err(p.expected("AND, OR or the end of the filter")),
    }
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Byte length of the source: the position of "end of input".
    end: usize,
    /// Open parentheses around the current point.
    depth: usize,
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    /// The position of the next token, or the end of the source.
    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn expected(&self, what: impl Into<String>) -> FilterError {
        FilterError {
            position: self.pos(),
            kind: ErrorKind::Expected {
                expected: what.into(),
                found: self
                    .peek()
                    .map_or("end of input".to_owned(), |t| t.tok.describe()),
            },
        }
    }

    /// Consumes the next token if it is the keyword `kw`.
    fn eat_keyword(&mut self, kw: &str) -> bool {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) if is_keyword(w, kw) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.and()?];
        while self.eat_keyword("OR") {
            items.push(self.and()?);
        }
        Ok(collapse(items, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.primary()?];
        while self.eat_keyword("AND") {
            items.push(self.primary()?);
        }
        Ok(collapse(items, Expr::And))
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected("a condition"));
        };
        match &token.tok {
            Tok::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(FilterError {
                        position: token.pos,
                        kind: ErrorKind::TooDeep,
                    });
                }
                self.i += 1;
                self.depth += 1;
                let inner = self.or()?;
                match self.peek() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => self.i += 1,
                    None => {
                        return Err(FilterError {
                            position: token.pos,
                            kind: ErrorKind::UnclosedParen,
                        });
                    }
                    Some(_) => return Err(self.expected("AND, OR or ')'")),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::RParen if self.depth == 0 => Err(FilterError {
                position: token.pos,
                kind: ErrorKind::UnmatchedParen,
            }),
            Tok::Word(w) if is_keyword(w, "HAS") => {
                self.i += 1;
                let negated = self.eat_keyword("NOT");
                if !self.eat_keyword("FIELD") {
                    return Err(self.expected(if negated {
                        "FIELD after HAS NOT"
                    } else {
                        "FIELD or NOT FIELD after HAS"
                    }));
                }
                let path = self.path("a field name after FIELD")?;
                Ok(if negated {
                    Expr::HasNotField(path)
                } else {
                    Expr::HasField(path)
                })
            }
            Tok::Word(_) => {
                let path = self.path("a field name")?;
                self.condition(path)
            }
            _ => Err(self.expected("a condition (a field name, HAS or '(')")),
        }
    }

    /// The next token as a field path.
    fn path(&mut self, what: &str) -> Result<Path, FilterError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w),
                pos,
            }) => {
                if let Some(kw) = KEYWORDS.iter().find(|kw| is_keyword(w, kw)) {
                    return Err(FilterError {
                        position: *pos,
                        kind: ErrorKind::Keyword((*kw).to_owned()),
                    });
                }
                let path = parse_path(w, *pos)?;
                self.i += 1;
                Ok(path)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// What follows a field path: an operator and its operand.
    fn condition(&mut self, path: Path) -> Result<Expr, FilterError> {
        let after = format!("an operator after '{path}'");
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected(after));
        };
        match token.tok {
            Tok::Op(op) => {
                self.i += 1;
                let value = self.literal(&format!("a value after '{}'", op.symbol()))?;
                if op.is_ordering() && !matches!(value.0, Literal::Number(_)) {
                    return Err(wrong_literal(
                        format!("'{}'", op.symbol()),
                        "a number",
                        &value,
                    ));
                }
                Ok(Expr::Cmp {
                    path,
                    op,
                    value: value.0,
                })
            }
            Tok::Word(ref w) => {
                self.i += 1;
                let negated = is_keyword(w, "NOT");
                let word = if negated {
                    match self.peek() {
                        Some(Token {
                            tok: Tok::Word(w), ..
                        }) if ["GLOB", "IN", "CONTAINS"]
                            .iter()
                            .any(|kw| is_keyword(w, kw)) =>
                        {
                            let w = w.clone();
                            self.i += 1;
                            w
                        }
                        _ => return Err(self.expected("GLOB, IN or CONTAINS after NOT")),
                    }
                } else {
                    w.clone()
                };
                let not = if negated { "NOT " } else { "" };
                if is_keyword(&word, "GLOB") {
                    self.glob(path, negated, not)
                } else if is_keyword(&word, "IN") {
                    let values = self.list(not)?;
                    Ok(Expr::In {
                        path,
                        values,
                        negated,
                    })
                } else if is_keyword(&word, "CONTAINS") {
                    let value = self.literal(&format!("a value after {not}CONTAINS"))?;
                    Ok(Expr::Contains {
                        path,
                        value: value.0,
                        negated,
                    })
                } else {
                    Err(FilterError {
                        position: token.pos,
                        kind: ErrorKind::UnknownOperator(word),
                    })
                }
            }
            _ => Err(self.expected(after)),
        }
    }

    fn glob(&mut self, path: Path, negated: bool, not: &str) -> Result<Expr, FilterError> {
        let value = self.literal(&format!("a pattern after {not}GLOB"))?;
        let Literal::String(text) = &value.0 else {
            return Err(wrong_literal(
                format!("{not}GLOB"),
                "a string pattern",
                &value,
            ));
        };
        // No escapes, so the pattern's bytes sit right after the opening quote.
        let pattern = GlobPattern::compile(text).map_err(|(offset, why)| FilterError {
            position: value.1 + 1 + offset,
            kind: ErrorKind::BadGlob(why),
        })?;
        Ok(Expr::Glob {
            path,
            pattern,
            negated,
        })
    }

    /// `( literal , … )` after IN; at least one value.
    fn list(&mut self, not: &str) -> Result<Vec<Literal>, FilterError> {
        match self.peek() {
            Some(Token {
                tok: Tok::LParen, ..
            }) => self.i += 1,
            _ => return Err(self.expected(format!("'(' after {not}IN"))),
        }
        let mut values = vec![self.literal(&format!("a value in the {not}IN list"))?.0];
        loop {
            match self.peek() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => {
                    self.i += 1;
                    values.push(self.literal("a value after ','")?.0);
                }
                Some(Token {
                    tok: Tok::RParen, ..
                }) => {
                    self.i += 1;
                    return Ok(values);
                }
                _ => return Err(self.expected(format!("',' or ')' in the {not}IN list"))),
            }
        }
    }

    /// A string, number or boolean, with its position.
    fn literal(&mut self, what: &str) -> Result<(Literal, usize), FilterError> {
        let pos = self.pos();
        let lit = match self.peek().map(|t| &t.tok) {
            Some(Tok::Str(s)) => Literal::String(s.clone()),
            Some(Tok::Num(n)) => Literal::Number(*n),
            Some(Tok::Word(w)) if is_keyword(w, "TRUE") => Literal::Bool(true),
            Some(Tok::Word(w)) if is_keyword(w, "FALSE") => Literal::Bool(false),
            _ => return Err(self.expected(what)),
        };
        self.i += 1;
        Ok((lit, pos))
    }
}

fn wrong_literal(op: String, needs: &'static str, value: &(Literal, usize)) -> FilterError {
    let found = match value.0 {
        Literal::String(_) => "a string",
        Literal::Number(_) => "a number",
        Literal::Bool(_) => "a boolean",
    };
    FilterError {
        position: value.1,
        kind: ErrorKind::WrongLiteral { op, needs, found },
    }
}

/// One operand stays itself; two or more become `wrap(items)`.
fn collapse(mut items: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    wrap(items)
}

/// Splits a word such as `a.b[0][#-1]` into segments.
///
/// The lexer has already held the word to Upstash's identifier characters
/// (`[A-Za-z_][A-Za-z0-9_.\[\]#-]*`); this gives it structure: keys start with
/// a letter or `_` and go on with letters, digits, `_` and `-`; `#` and
/// digits-only steps live inside brackets.
fn parse_path(word: &str, pos: usize) -> Result<Path, FilterError> {
    let bytes = word.as_bytes();
    let mut i = 0usize;
    let mut segments = Vec::new();
    let at = |i: usize, expected: &str| FilterError {
        position: pos + i,
        kind: ErrorKind::Expected {
            expected: expected.to_owned(),
            found: bytes
                .get(i)
                .map_or("the end of the field name".to_owned(), |b| {
                    format!("{:?}", char::from(*b))
                }),
        },
    };
    loop {
        let start = i;
        match bytes.get(i) {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => i += 1,
            _ => return Err(at(i, "a key (a letter or '_') in the field name")),
        }
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        {
            i += 1;
        }
        segments.push(Segment::Key(
            word.get(start..i).unwrap_or_default().to_owned(),
        ));
        while bytes.get(i) == Some(&b'[') {
            i += 1;
            let from_end = bytes.get(i) == Some(&b'#');
            if from_end {
                i += 1;
                if bytes.get(i) != Some(&b'-') {
                    return Err(at(i, "'-' after '#' in an array index"));
                }
                i += 1;
            }
            let digits_start = i;
            let mut n: usize = 0;
            while let Some(b) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(usize::from(b - b'0')))
                    .ok_or(FilterError {
                        position: pos + digits_start,
                        kind: ErrorKind::IndexOutOfRange,
                    })?;
                i += 1;
            }
            if i == digits_start {
                return Err(at(i, "a digit in the array index"));
            }
            if bytes.get(i) != Some(&b']') {
                return Err(at(i, "']' after the array index"));
            }
            i += 1;
            segments.push(if from_end {
                Segment::FromEnd(n)
            } else {
                Segment::Index(n)
            });
        }
        match bytes.get(i) {
            None => return Ok(Path { segments }),
            Some(b'.') => i += 1,
            Some(_) => return Err(at(i, "'.' or '[' in the field name")),
        }
    }
}

//! Source text to tokens, each tagged with the byte offset where it starts, so
//! every later error can point at the exact place.

use super::{CmpOp, ErrorKind, FilterError};

/// One token. Keywords are not told apart from field names here: `in` or
/// `true` is only a keyword where the grammar wants one, so the parser decides.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// An identifier-shaped word: `[A-Za-z_][A-Za-z0-9_.\[\]#-]*`, Upstash's
    /// documented identifier form. A field path or a keyword.
    Word(String),
    Str(String),
    Num(f64),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
}

impl Tok {
    /// How an error message names this token.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::Num(_) => "a number".to_owned(),
            Tok::Op(op) => format!("'{}'", op.symbol()),
            Tok::LParen => "'('".to_owned(),
            Tok::RParen => "')'".to_owned(),
            Tok::Comma => "','".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

fn err(position: usize, kind: ErrorKind) -> FilterError {
    FilterError { position, kind }
}

fn describe_char(c: Option<char>) -> String {
    match c {
        Some(c) => format!("{c:?}"),
        None => "end of input".to_owned(),
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '#' | '-')
}

/// Splits `src` into tokens. Whitespace is ASCII only: Upstash documents no
/// other separator, and a non-breaking space pasted into a filter is more
/// likely a mistake than intent.
pub(super) fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        let tok = match c {
            c if c.is_ascii_whitespace() => {
                chars.next();
                continue;
            }
            '(' | ')' | ',' => {
                chars.next();
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    _ => Tok::Comma,
                }
            }
            '=' => {
                chars.next();
                if chars.next_if(|&(_, c)| c == '=').is_some() {
                    return Err(err(pos, ErrorKind::UnknownOperator("==".to_owned())));
                }
                Tok::Op(CmpOp::Eq)
            }
            '!' => {
                chars.next();
                match chars.next() {
                    Some((_, '=')) => Tok::Op(CmpOp::Ne),
                    other => {
                        return Err(err(
                            other.map_or(src.len(), |(p, _)| p),
                            ErrorKind::Expected {
                                expected: "'=' after '!'".to_owned(),
                                found: describe_char(other.map(|(_, c)| c)),
                            },
                        ));
                    }
                }
            }
            '<' => {
                chars.next();
                if chars.next_if(|&(_, c)| c == '=').is_some() {
                    Tok::Op(CmpOp::Le)
                } else if chars.next_if(|&(_, c)| c == '>').is_some() {
                    return Err(err(pos, ErrorKind::UnknownOperator("<>".to_owned())));
                } else {
                    Tok::Op(CmpOp::Lt)
                }
            }
            '>' => {
                chars.next();
                if chars.next_if(|&(_, c)| c == '=').is_some() {
                    Tok::Op(CmpOp::Ge)
                } else {
                    Tok::Op(CmpOp::Gt)
                }
            }
            '\'' | '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(err(pos, ErrorKind::UnterminatedString)),
                        Some((_, q)) if q == c => break,
                        Some((p, '\\')) => return Err(err(p, ErrorKind::Backslash)),
                        Some((_, other)) => text.push(other),
                    }
                }
                Tok::Str(text)
            }
            '-' | '0'..='9' => lex_number(src, pos, &mut chars)?,
            c if is_word_start(c) => {
                let mut end = pos;
                while let Some((p, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                    end = p + c.len_utf8();
                }
                Tok::Word(src.get(pos..end).unwrap_or_default().to_owned())
            }
            other => return Err(err(pos, ErrorKind::UnexpectedChar(other))),
        };
        out.push(Token { tok, pos });
    }
    Ok(out)
}

/// `-?[0-9]+(\.[0-9]+)?`. Exponents, a leading `+`, `.5` and `5.` are not
/// documented by Upstash, so they are refused rather than guessed at; so is a
/// number run straight into a letter (`1e5`, `10AND`).
fn lex_number(
    src: &str,
    start: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<Tok, FilterError> {
    let mut end = start;
    if let Some((p, c)) = chars.next_if(|&(_, c)| c == '-') {
        end = p + c.len_utf8();
    }
    let digits = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, end: &mut usize| {
        let mut n = 0usize;
        while let Some((p, c)) = chars.next_if(|&(_, c)| c.is_ascii_digit()) {
            *end = p + c.len_utf8();
            n += 1;
        }
        n
    };
    if digits(chars, &mut end) == 0 {
        let next = chars.peek().copied();
        return Err(err(
            next.map_or(src.len(), |(p, _)| p),
            ErrorKind::Expected {
                expected: "a digit after '-'".to_owned(),
                found: describe_char(next.map(|(_, c)| c)),
            },
        ));
    }
    if let Some((p, c)) = chars.next_if(|&(_, c)| c == '.') {
        end = p + c.len_utf8();
        if digits(chars, &mut end) == 0 {
            let next = chars.peek().copied();
            return Err(err(
                next.map_or(src.len(), |(p, _)| p),
                ErrorKind::Expected {
                    expected: "a digit after '.'".to_owned(),
                    found: describe_char(next.map(|(_, c)| c)),
                },
            ));
        }
    }
    if let Some(&(p, c)) = chars.peek()
        && (is_word_char(c) || c == '\'' || c == '"')
    {
        return Err(err(
            p,
            ErrorKind::Expected {
                expected: "a space, operator or ')' after a number".to_owned(),
                found: describe_char(Some(c)),
            },
        ));
    }
    let text = src.get(start..end).unwrap_or_default();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Tok::Num(n)),
        _ => Err(err(start, ErrorKind::NumberOutOfRange)),
    }
}

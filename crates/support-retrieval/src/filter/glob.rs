//! The UNIX glob patterns of `GLOB` / `NOT GLOB`, compiled once at parse time.
//!
//! Upstash documents `*`, `?`, `[abc]`, `[a-z]`, `[^abc]` and `[^a-z]`, case
//! sensitive. Matching is per Unicode scalar value, and `*` also crosses `/`
//! (these are values, not file paths). With no escapes in string literals, a
//! literal `*`, `?` or `[` is written as a one-character class: `[*]`.

/// A compiled glob pattern that remembers its text.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobPattern {
    source: String,
    toks: Vec<GlobTok>,
}

#[derive(Debug, Clone, PartialEq)]
enum GlobTok {
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    One,
    Char(char),
    /// `[…]`: one character in (or, negated, not in) any of the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl GlobTok {
    fn matches_char(&self, c: char) -> bool {
        match self {
            GlobTok::Star => true,
            GlobTok::One => true,
            GlobTok::Char(p) => *p == c,
            GlobTok::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

impl GlobPattern {
    /// Compiles `source`; on error, the byte offset into `source` and why.
    ///
    /// Refused, as undocumented: an unclosed `[`, an empty class (`[]`, `[^]`;
    /// POSIX would read the `]` as a member), a reversed range (`[z-a]`), and
    /// `[!…]` (POSIX negation; Upstash documents only `^`). A `-` first or
    /// last in a class is a literal `-`, as in every glob dialect.
    pub(super) fn compile(source: &str) -> Result<Self, (usize, &'static str)> {
        let mut toks = Vec::new();
        let mut chars = source.char_indices().peekable();
        while let Some((pos, c)) = chars.next() {
            let tok = match c {
                '*' => {
                    if toks.last() == Some(&GlobTok::Star) {
                        continue;
                    }
                    GlobTok::Star
                }
                '?' => GlobTok::One,
                '[' => {
                    let negated = chars.next_if(|&(_, c)| c == '^').is_some();
                    if let Some(&(p, '!')) = chars.peek()
                        && !negated
                    {
                        return Err((p, "use '^' to negate a character class"));
                    }
                    let mut ranges = Vec::new();
                    loop {
                        let Some((p, lo)) = chars.next() else {
                            return Err((pos, "unclosed '['"));
                        };
                        if lo == ']' {
                            if ranges.is_empty() {
                                return Err((p, "empty character class"));
                            }
                            break;
                        }
                        // `a-z`, unless the `-` is the class's last character.
                        let mut ahead = chars.clone();
                        let range_hi = match (ahead.next(), ahead.next()) {
                            (Some((_, '-')), Some((_, hi))) if hi != ']' => Some(hi),
                            _ => None,
                        };
                        match range_hi {
                            Some(hi) => {
                                chars.next();
                                chars.next();
                                if hi < lo {
                                    return Err((p, "reversed range in a character class"));
                                }
                                ranges.push((lo, hi));
                            }
                            None => ranges.push((lo, lo)),
                        }
                    }
                    GlobTok::Class { negated, ranges }
                }
                c => GlobTok::Char(c),
            };
            toks.push(tok);
        }
        Ok(Self {
            source: source.to_owned(),
            toks,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether all of `text` matches the pattern.
    ///
    /// Linear backtracking to the last `*` seen: every other token takes
    /// exactly one character, so that is enough, and the cost stays at
    /// O(pattern × text) for any input.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let (mut ti, mut pi) = (0usize, 0usize);
        // Where to resume after the last `*`: (pattern index after it, text index).
        let mut star: Option<(usize, usize)> = None;
        while let Some(&c) = text.get(ti) {
            match self.toks.get(pi) {
                Some(GlobTok::Star) => {
                    pi += 1;
                    star = Some((pi, ti));
                    continue;
                }
                Some(tok) if tok.matches_char(c) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => {
                    pi = sp;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        self.toks
            .get(pi..)
            .is_some_and(|rest| rest.iter().all(|t| *t == GlobTok::Star))
    }
}

#[cfg(test)]
mod tests {
    use super::GlobPattern;

    fn m(p: &str, t: &str) -> bool {
        GlobPattern::compile(p)
            .map(|g| g.matches(t))
            .unwrap_or(false)
    }

    #[test]
    fn wildcards_and_classes() {
        // Upstash's own example: second char s or z, last char not m..z.
        assert!(m("?[sz]*[^m-z]", "Istanbul"));
        assert!(!m("?[sz]*[^m-z]", "Izmir"));
        assert!(m("?[sz]*[^m-z]", "Isparta"));
        assert!(m("A*", "Ankara"));
        assert!(!m("A*", "ankara"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("[*]x", "*x"));
        assert!(m("[a-]", "-"));
        assert!(m("é?", "éa"));
        assert!(!m("?", ""));
        assert!(m("**a", "bba"));
    }

    #[test]
    fn refused_patterns() {
        for p in ["[", "[abc", "[]", "[^]", "[z-a]", "[!a]", "a[^"] {
            assert!(GlobPattern::compile(p).is_err(), "{p}");
        }
    }
}

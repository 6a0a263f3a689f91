//! CSV in and out, without a dependency.
//!
//! Out: every table command's `--format csv`. A cell starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return gets a leading `'`, so a spreadsheet never evaluates it as a formula
//! (CSV injection); a cell containing a quote, a comma or a line break is quoted, with its
//! quotes doubled (RFC 4180).
//!
//! In: the bulk commands' `--csv FILE` (RFC 4180: quoted fields may hold commas, quotes and
//! line breaks; LF or CRLF line ends; a UTF-8 byte order mark is ignored).

use std::fmt;

/// `--format` of commands that print a table of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// RFC 4180 CSV with a header row (formula-safe).
    Csv,
}

/// One cell, escaped for CSV.
pub fn escape(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len() + 2);
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    out.push_str(cell);
    if out.contains(['"', ',', '\n', '\r']) {
        format!("\"{}\"", out.replace('"', "\"\""))
    } else {
        out
    }
}

/// One CSV line (with its `\n`).
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| escape(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// A header and rows, as a CSV document.
pub fn document<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> String {
    let mut out = line(header);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// Prints a header and rows as CSV on stdout.
pub fn print<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) {
    print!("{}", document(header, rows));
}

/// A parsed record and the line it starts on (1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a whole CSV document into records (the header included). Blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut in_quotes = false;
    // The current field was quoted (a quote closed it): only a separator may follow.
    let mut closed = false;
    let mut chars = text.chars().peekable();
    let end_record = |fields: &mut Vec<String>,
                      field: &mut String,
                      records: &mut Vec<Record>,
                      record_line: usize| {
        fields.push(std::mem::take(field));
        let fs = std::mem::take(fields);
        if !(fs.len() == 1 && fs[0].is_empty()) {
            records.push(Record {
                line: record_line,
                fields: fs,
            });
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    closed = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                closed = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                end_record(&mut fields, &mut field, &mut records, record_line);
                closed = false;
                line += 1;
                record_line = line;
            }
            '"' if field.is_empty() && !closed => in_quotes = true,
            _ if closed => {
                return Err(ParseError {
                    line,
                    message: "text after a closing quote (quote the whole field)".into(),
                });
            }
            '"' => {
                return Err(ParseError {
                    line,
                    message:
                        "a quote inside an unquoted field (quote the field and double the quote)"
                            .into(),
                });
            }
            other => field.push(other),
        }
    }
    if in_quotes {
        return Err(ParseError {
            line: record_line,
            message: "a quoted field is never closed".into(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        end_record(&mut fields, &mut field, &mut records, record_line);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_leading_quote() {
        assert_eq!(escape("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(escape("+1"), "'+1");
        assert_eq!(escape("-5"), "'-5");
        assert_eq!(escape("@cmd"), "'@cmd");
        assert_eq!(escape("\tx"), "'\tx");
        // A carriage return also needs quoting.
        assert_eq!(escape("\rx"), "\"'\rx\"");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a=b"), "a=b");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn quotes_commas_and_newlines_are_quoted_with_doubled_quotes() {
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("two\nlines"), "\"two\nlines\"");
        assert_eq!(escape("=1,2"), "\"'=1,2\"");
        assert_eq!(escape("-\"x\""), "\"'-\"\"x\"\"\"");
    }

    #[test]
    fn lines_and_documents() {
        assert_eq!(line(&["a", "b,c", "=x"]), "a,\"b,c\",'=x\n");
        assert_eq!(
            document(&["h1", "h2"], &[vec!["1", "2"], vec!["", "@"]]),
            "h1,h2\n1,2\n,'@\n"
        );
    }

    #[test]
    fn parses_what_it_writes() {
        let cells = ["a,b", "say \"hi\"", "two\nlines", "plain", ""];
        let doc = format!("x,y,z,w,v\n{}", line(&cells));
        let recs = parse(&doc).expect("parses");
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].fields, cells);
        assert_eq!(recs[1].line, 2);
    }

    #[test]
    fn parses_crlf_bom_blank_lines_and_counts_lines() {
        let recs = parse("\u{feff}h1,h2\r\n1,2\r\n\r\n\"multi\nline\",3\n4,5").expect("parses");
        assert_eq!(
            recs.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 4, 6]
        );
        assert_eq!(recs[0].fields, ["h1", "h2"]);
        assert_eq!(recs[2].fields, ["multi\nline", "3"]);
        assert_eq!(recs[3].fields, ["4", "5"]);
        assert_eq!(parse("").expect("empty"), Vec::<Record>::new());
        assert_eq!(parse("a,,b\n").expect("x")[0].fields, ["a", "", "b"]);
    }

    #[test]
    fn refuses_broken_quoting() {
        assert_eq!(parse("a\n\"open,1\n").expect_err("unclosed").line, 2);
        assert_eq!(parse("a\n\"x\"y,1\n").expect_err("after quote").line, 2);
        assert_eq!(parse("a\nx\"y,1\n").expect_err("inner quote").line, 2);
    }
}

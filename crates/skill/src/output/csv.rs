//! CSV in and out, with the `csv` crate and two rules of our own on top.
//!
//! Out: every table command's `--format csv` (RFC 4180: a cell containing a quote, a comma
//! or a line break is quoted, with its quotes doubled). Our rule: a cell starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet never
//! evaluates it as a formula (CSV injection).
//!
//! In: the bulk commands' `--csv FILE` (RFC 4180: quoted fields may hold commas, quotes and
//! line breaks; LF, CRLF or CR line ends; a UTF-8 byte order mark is ignored; blank lines
//! are skipped). Our rule: the crate reads broken quoting leniently (a stray quote is kept
//! as text, an unclosed quote runs to the end of the file); a file that an operator means
//! to act on is refused instead, with the line where its quoting breaks.

use std::borrow::Cow;
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

/// A cell a spreadsheet would evaluate as a formula, with a leading `'`.
fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// One row of cells (neutralised) as a CSV line ending in `\n`.
fn record<S: AsRef<str>>(cells: &[S]) -> String {
    if let [only] = cells
        && only.as_ref().is_empty()
    {
        // The crate writes a lone empty cell as `""` so the line is not blank; a blank line
        // is what it always was here.
        return "\n".to_owned();
    }
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    out.write_record(cells.iter().map(|c| neutralise(c.as_ref()).into_owned()))
        .expect("writing CSV to memory cannot fail");
    let bytes = out.into_inner().expect("writing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8")
}

/// One cell, escaped for CSV.
pub fn escape(cell: &str) -> String {
    let mut out = line(&[cell]);
    out.pop();
    out
}

/// One CSV line (with its `\n`).
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    record(cells)
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
    check_quoting(text)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| ParseError {
            line: e.position().map_or(1, |p| line_at(text, p.byte() as usize)),
            message: e.to_string(),
        })?;
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        // A line holding only `""` is as blank as an empty one.
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        records.push(Record {
            line: line_at(text, start),
            fields,
        });
    }
    Ok(records)
}

/// The line of the record the reader places at byte `at`: the reader's offset may sit on the
/// line ends before the record, so those are passed over first.
fn line_at(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut start = at.min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    let before = &bytes[..start];
    let lone_cr = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    1 + before.iter().filter(|&&b| b == b'\n').count() + lone_cr
}

/// Refuses the quoting the reader would accept leniently: text after a closing quote, a quote
/// inside an unquoted field, a quoted field never closed.
fn check_quoting(text: &str) -> Result<(), ParseError> {
    let mut line = 1;
    let mut record_line = 1;
    let mut in_quotes = false;
    // Nothing but a quote may open the current field.
    let mut at_field_start = true;
    // The current field was quoted (a quote closed it): only a separator may follow.
    let mut closed = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' => {
                    in_quotes = false;
                    closed = true;
                }
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            ',' => {
                at_field_start = true;
                closed = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                at_field_start = true;
                closed = false;
                line += 1;
                record_line = line;
            }
            '"' if at_field_start && !closed => {
                in_quotes = true;
                at_field_start = false;
            }
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
            _ => at_field_start = false,
        }
    }
    if in_quotes {
        return Err(ParseError {
            line: record_line,
            message: "a quoted field is never closed".into(),
        });
    }
    Ok(())
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

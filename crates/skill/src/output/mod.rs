//! How results are shown: one JSON document on stdout with `--json`, otherwise text for a
//! person (aligned tables, or CSV with `--format csv`: [`csv`]); hints and progress go to
//! stderr and only on a terminal ([`term`]). Plus the formatting every command shares:
//! times, money, clipped and indented text.

pub mod csv;
pub mod term;

use serde::Serialize;

use crate::Cli;
use crate::exit::CliError;

pub use csv::TableFormat;

pub(crate) fn emit<T: Serialize>(
    cli: &Cli,
    value: &T,
    human: impl FnOnce(&T),
) -> Result<(), CliError> {
    if cli.json {
        let out = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::failure(format!("serialise output: {e}")))?;
        println!("{out}");
    } else {
        human(value);
    }
    Ok(())
}

/// A unix-milliseconds time as the dashboard shows it.
pub(crate) fn ms(t: i64) -> String {
    support_server::http::html::when(t)
}

/// An optional time, or `-`.
pub(crate) fn opt_ms(t: Option<i64>) -> String {
    t.map(ms).unwrap_or_else(|| "-".into())
}

/// Cents as `149.00` (`-2.50` for a negative amount).
pub(crate) fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// At most `n` characters on one line, with an ellipsis when cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut out: String = one_line.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A JSON value, pretty-printed.
pub(crate) fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// Every line indented by two spaces.
pub(crate) fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_on_characters() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip("a\nb", 10), "a b");
    }

    #[test]
    fn money_formats_cents() {
        assert_eq!(money(14_900), "149.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-250), "-2.50");
    }
}

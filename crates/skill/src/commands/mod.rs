//! The commands, one module per noun; `crate::run` dispatches to them. Output helpers
//! shared by all of them are in `crate::output`.

pub mod actions;
pub mod agent;
pub mod apps;
pub mod audit;
pub mod bench;
pub mod brain;
pub mod conversations;
pub mod customers;
pub mod data;
pub mod eval;
pub mod front;
pub mod index;
pub mod kb;
pub mod keys;
pub mod models;
pub mod observe;
pub mod runs;
pub mod sandbox;
pub mod serve;
pub mod status;
pub mod stripe;

use crate::exit::{self, CliError};

/// Reads an input file: a missing one is "not found", any other error a failure.
pub(crate) fn read_file(path: &std::path::Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            exit::NOT_FOUND
        } else {
            exit::FAILURE
        };
        CliError::new(code, format!("cannot read {}: {e}", path.display()))
    })
}

/// An id safe to put in a URL path.
pub(crate) fn path_id(id: &str) -> Result<&str, CliError> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::new(exit::INVALID, format!("invalid id {id:?}")));
    }
    Ok(id)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a path segment or a
/// query value.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A non-empty id argument, encoded for a path.
pub(crate) fn id_arg(what: &str, id: &str) -> Result<String, CliError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(CliError::new(
            exit::INVALID,
            format!("{what} id must not be empty"),
        ));
    }
    Ok(enc(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_path_and_query_values() {
        assert_eq!(enc("0192-abc_x.y~"), "0192-abc_x.y~");
        assert_eq!(enc("a/b?c=d&e f"), "a%2Fb%3Fc%3Dd%26e%20f");
        assert_eq!(enc("é"), "%C3%A9");
    }
}

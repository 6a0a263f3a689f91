//! Where human output that is not the result goes: hints and progress are written to stderr,
//! and only when stderr is a terminal, so scripts and agents reading stdout (or capturing
//! stderr) see results and errors only.

use std::fmt::Display;
use std::io::{IsTerminal, Write};

/// Whether stderr is a terminal (hints and progress are shown only then).
pub fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

/// A hint for a person at a terminal: what to do next, or why nothing was printed.
pub fn hint(msg: impl Display) {
    if interactive() {
        eprintln!("{msg}");
    }
}

/// A `done/total` counter on stderr, redrawn in place; silent unless stderr is a terminal
/// (and never with `--json`).
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    enabled: bool,
}

impl Progress {
    pub fn new(label: &str, total: usize, json: bool) -> Self {
        Self {
            label: label.to_owned(),
            total,
            done: 0,
            enabled: !json && interactive(),
        }
    }

    pub fn tick(&mut self) {
        self.done += 1;
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{} {}/{}", self.label, self.done, self.total);
            let _ = err.flush();
        }
    }

    pub fn finish(&mut self) {
        if self.enabled {
            eprintln!();
            self.enabled = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

//! Where human output that is not the result goes: hints and progress are written to stderr,
//! and only when stderr is a terminal, so scripts and agents reading stdout (or capturing
//! stderr) see results and errors only.

use std::fmt::Display;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// A `done/total` counter on stderr (`done` alone when the total is not known, 0), redrawn in
/// place by `indicatif`; silent unless stderr is a terminal (and never with `--json`).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(label: &str, total: usize, json: bool) -> Self {
        if json || !interactive() {
            return Self {
                bar: ProgressBar::hidden(),
            };
        }
        let (len, template) = if total == 0 {
            (None, "{msg} {pos}")
        } else {
            (Some(total as u64), "{msg} {pos}/{len}")
        };
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(label.to_owned());
        Self { bar }
    }

    pub fn tick(&mut self) {
        self.bar.inc(1);
    }

    /// Moves the counter to `done` (a resumed job starts part of the way).
    pub fn set(&mut self, done: u64) {
        self.bar.set_position(done);
    }

    /// Leaves the last count on its line; what is printed next starts on a new one.
    pub fn finish(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

//! Exit codes: distinct per kind of failure so scripts and agents can branch on them.

use std::fmt;

pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const CONFIG: u8 = 3;
pub const AUTH: u8 = 10;
pub const UNREACHABLE: u8 = 11;
pub const DATABASE: u8 = 12;
pub const INTERRUPTED: u8 = 130;
pub const NOT_FOUND: u8 = 6;
pub const INVALID: u8 = 7;
pub const CONFLICT: u8 = 8;
pub const SERVER: u8 = 9;

pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  success
  1  failure (e.g. the address could not be bound)
  2  usage error (unknown flag or command)
  3  configuration error (bad or missing config file, no server configured)
  6  not found
  7  invalid input refused by the server
  8  conflict (already exists, or no longer possible)
  9  server error
 10  authentication or permission refused
 11  network: server unreachable
 12  database: cannot open or migrate it
130  interrupted (Ctrl-C)
With --json, a failure also prints {\"success\":false,\"error\":…,\"code\":N} on stdout.";

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    code: u8,
    message: String,
    /// The command already printed its JSON document; do not print an error document too.
    reported: bool,
}

impl CliError {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            reported: false,
        }
    }
    /// A failure whose JSON output the command has already printed.
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }
    pub fn is_reported(&self) -> bool {
        self.reported
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(CONFIG, message)
    }
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(FAILURE, message)
    }
    pub fn code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        Self::failure(format!("{e:#}"))
    }
}

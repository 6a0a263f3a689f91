//! `skill`: the one binary. Thin: parse, dispatch, map errors to exit codes.

fn main() -> std::process::ExitCode {
    skill::main()
}

//! ARCHITECTURE.md is the map a newcomer follows from a webhook to a refund: every source
//! path it names must exist. A path is a backticked token with a `/` ending in `.rs` or `/`;
//! it may be written from the repository, from `crates/`, or from inside one crate's
//! folder (`pipeline/worker.rs`, `http/webhooks.rs`), and `{a,b}` stands for both.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `a/{b,c}/d.rs` → `a/b/d.rs`, `a/c/d.rs`.
fn expand(p: &str) -> Vec<String> {
    match (p.find('{'), p.find('}')) {
        (Some(a), Some(b)) if a < b => p[a + 1..b]
            .split(',')
            .flat_map(|alt| expand(&format!("{}{alt}{}", &p[..a], &p[b + 1..])))
            .collect(),
        _ => vec![p.to_owned()],
    }
}

fn named_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.contains('/') && !t.contains(' ') && (t.ends_with(".rs") || t.ends_with('/')))
        .filter(|t| !t.starts_with("/") && !t.contains("://"))
        .map(str::to_owned)
        .collect()
}

fn roots() -> Vec<PathBuf> {
    let repo = repo();
    let mut roots = vec![repo.clone(), repo.join("crates")];
    for dir in ["crates", "examples"] {
        for e in std::fs::read_dir(repo.join(dir)).expect("crates").flatten() {
            roots.push(e.path());
            roots.push(e.path().join("src"));
            roots.push(e.path().join("tests"));
        }
    }
    roots
}

#[test]
fn every_path_architecture_md_names_exists() {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let roots = roots();
    let paths = named_paths(&text);
    assert!(paths.len() > 40, "the map names its files: {paths:?}");
    let missing: Vec<String> = paths
        .iter()
        .flat_map(|p| expand(p))
        .filter(|p| !roots.iter().any(|r| r.join(p).exists()))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}

#[test]
fn the_checker_finds_a_missing_file() {
    let roots = roots();
    let paths = named_paths("see `support-agent/src/brain.rs` and `pipeline/{worker,nope}.rs`");
    let missing: Vec<String> = paths
        .iter()
        .flat_map(|p| expand(p))
        .filter(|p| !roots.iter().any(|r| r.join(p).exists()))
        .collect();
    assert_eq!(missing, ["support-agent/src/brain.rs", "pipeline/nope.rs"]);
}

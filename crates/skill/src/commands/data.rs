//! Getting data out and working on it locally: `skill export conversations` (JSONL, PII
//! redacted unless an admin asks), `skill enrich` (adds refund outcomes and resolution
//! times to an export) and `skill sample` (a deterministic stratified sample of an export).
//!
//! These write JSON Lines (one document per line). With `--json` they write the lines to
//! `--output FILE` and print one summary document on stdout instead.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;
use serde_json::Value;
use support_types::cli_api::{ExportPage, RefundOutcomes, RefundOutcomesRequest};

use crate::client::ApiClient;
use crate::commands::observe::{parse_since, slug};
use crate::exit::{self, CliError};
use crate::output::emit;
use crate::output::term::{self, Progress};
use crate::{Cli, Command};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per conversation per line.
    #[default]
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Conversations updated since a time, with their messages, decisions and actions.
    /// Emails, phone numbers, card numbers and the customer's names (and address) are
    /// redacted as [EMAIL], [PHONE], [CARD], [NAME] unless --include-pii is given (admins
    /// only; audited).
    Conversations(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// From when: a duration back from now (1h, 7d) or an RFC 3339 time.
    #[arg(long)]
    pub since: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ExportFormat,
    /// Keep emails, phone numbers, card numbers and names (needs the admin role; audited).
    #[arg(long)]
    pub include_pii: bool,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `skill enrich`.
#[derive(Debug, clap::Args)]
pub struct EnrichArgs {
    /// An export (JSON Lines) from `skill export conversations`.
    pub file: PathBuf,
    /// Add each conversation's refund outcomes: the ledger's state and the refunds Stripe
    /// reported (asks the server).
    #[arg(long)]
    pub stripe_outcomes: bool,
    /// Add the time from the first inbound message to the first reply or draft (local).
    #[arg(long)]
    pub resolution_time: bool,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Proportional allocation per stratum, at least one per stratum when the size allows.
    #[default]
    Stratified,
}

/// `skill sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// A JSON Lines file (e.g. an export).
    pub file: PathBuf,
    /// How to draw.
    #[arg(long, value_enum, default_value_t)]
    pub strategy: Strategy,
    /// How many records to draw.
    #[arg(long, allow_negative_numbers = true)]
    pub size: i64,
    /// The field that defines the strata: a top-level key, a key of the record's
    /// `decision` (category, routing), or a dotted path.
    #[arg(long, default_value = "category")]
    pub by: String,
    /// Seed of the deterministic shuffle within each stratum.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::new(exit::USAGE, msg)
}

/// Where JSON Lines go: stdout, or a file (required with `--json`).
struct Sink {
    out: Box<dyn Write>,
    path: Option<PathBuf>,
    lines: usize,
}

impl Sink {
    fn open(cli: &Cli, output: Option<&Path>) -> Result<Self, CliError> {
        let out: Box<dyn Write> = match output {
            Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
                |e| CliError::failure(format!("cannot write {}: {e}", p.display())),
            )?)),
            None if cli.json => {
                return Err(usage(
                    "--json prints one summary document: write the JSON Lines with --output FILE",
                ));
            }
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        Ok(Self {
            out,
            path: output.map(Path::to_path_buf),
            lines: 0,
        })
    }

    fn line(&mut self, v: &impl Serialize) -> Result<(), CliError> {
        let raw =
            serde_json::to_string(v).map_err(|e| CliError::failure(format!("serialise: {e}")))?;
        self.raw(&raw)
    }

    fn raw(&mut self, raw: &str) -> Result<(), CliError> {
        writeln!(self.out, "{raw}").map_err(|e| CliError::failure(format!("write: {e}")))?;
        self.lines += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(usize, Option<PathBuf>), CliError> {
        self.out
            .flush()
            .map_err(|e| CliError::failure(format!("write: {e}")))?;
        Ok((self.lines, self.path))
    }
}

#[derive(Debug, Serialize)]
struct Summary {
    success: bool,
    command: &'static str,
    records: usize,
    output: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    strata: BTreeMap<String, StratumReport>,
}

#[derive(Debug, Serialize, Clone, Copy)]
struct StratumReport {
    population: usize,
    sampled: usize,
}

fn summary(cli: &Cli, s: &Summary) -> Result<(), CliError> {
    emit(cli, s, |s| {
        term::hint(format!(
            "{}: {} records{}",
            s.command,
            s.records,
            s.output
                .as_deref()
                .map(|p| format!(" written to {p}"))
                .unwrap_or_default()
        ));
    })
}

/// Reads a JSON Lines file: (line number, raw text, parsed value) per non-blank line. A
/// missing file is "not found"; a line that is not JSON is invalid input.
fn read_jsonl(path: &Path) -> Result<Vec<(usize, String, Value)>, CliError> {
    let text = crate::commands::read_file(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| {
            CliError::new(
                exit::INVALID,
                format!("{} line {}: not JSON: {e}", path.display(), i + 1),
            )
        })?;
        out.push((i + 1, line.to_owned(), v));
    }
    Ok(out)
}

/// Runs one of this module's commands.
pub async fn run(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Export(ExportCommand::Conversations(a)) => export(cli, a).await,
        Command::Enrich(a) => enrich(cli, a).await,
        Command::Sample(a) => sample(cli, a),
        _ => Err(CliError::failure("internal dispatch error")),
    }
}

async fn export(cli: &Cli, a: &ExportArgs) -> Result<(), CliError> {
    let app = slug(&a.app)?;
    let since = parse_since(&a.since, support_store::now_ms())?;
    let api = ApiClient::from_cli(cli)?;
    let mut sink = Sink::open(cli, a.output.as_deref())?;
    let mut after: Option<String> = None;
    let mut progress = Progress::new("exported", 0, cli.json);
    loop {
        let mut path = format!(
            "/api/v1/apps/{app}/export/conversations?since={since}&limit=200&include_pii={}",
            a.include_pii
        );
        if let Some(c) = &after {
            path.push_str(&format!("&after={}", crate::commands::enc(c)));
        }
        let page: ExportPage = api.get(&path).await?;
        for c in &page.conversations {
            sink.line(c)?;
            progress.tick();
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    progress.finish();
    let (records, output) = sink.finish()?;
    summary(
        cli,
        &Summary {
            success: true,
            command: "export",
            records,
            output: output.map(|p| p.display().to_string()),
            strata: BTreeMap::new(),
        },
    )
}

/// The first inbound message, and the first answer after it: an outbound message or a
/// draft that was written to the helpdesk (`draft_response` succeeded).
pub fn resolution(conv: &Value) -> (Option<i64>, Option<i64>) {
    let messages = conv["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let first_in = messages
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .filter_map(|m| m["created_at"].as_i64())
        .min();
    let Some(first_in) = first_in else {
        return (None, None);
    };
    let replies = messages
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .filter_map(|m| m["created_at"].as_i64());
    let drafts = conv["actions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|a| {
            matches!(a["kind"].as_str(), Some("draft_response" | "send_reply"))
                && a["state"] == "succeeded"
        })
        .filter_map(|a| a["updated_at"].as_i64());
    let first_answer = replies.chain(drafts).filter(|&t| t >= first_in).min();
    (Some(first_in), first_answer)
}

async fn enrich(cli: &Cli, a: &EnrichArgs) -> Result<(), CliError> {
    if !a.stripe_outcomes && !a.resolution_time {
        return Err(usage(
            "say what to add: --stripe-outcomes, --resolution-time, or both",
        ));
    }
    let mut records = read_jsonl(&a.file)?;
    for (line, _, v) in &records {
        if !v.is_object() || v["id"].as_str().is_none() {
            return Err(CliError::new(
                exit::INVALID,
                format!(
                    "{} line {line}: not an exported conversation (no \"id\")",
                    a.file.display()
                ),
            ));
        }
    }
    if a.stripe_outcomes {
        let api = ApiClient::from_cli(cli)?;
        let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (line, _, v) in &records {
            let app = v["app"].as_str().ok_or_else(|| {
                CliError::new(
                    exit::INVALID,
                    format!("{} line {line}: no \"app\"", a.file.display()),
                )
            })?;
            by_app
                .entry(slug(app)?.to_owned())
                .or_default()
                .push(v["id"].as_str().unwrap_or_default().to_owned());
        }
        let mut outcomes: HashMap<String, Value> = HashMap::new();
        for (app, ids) in by_app {
            for chunk in ids.chunks(500) {
                let r: RefundOutcomes = api
                    .post(
                        &format!("/api/v1/apps/{app}/refund-outcomes"),
                        &RefundOutcomesRequest {
                            conversations: chunk.to_vec(),
                        },
                    )
                    .await?;
                for (id, list) in r.conversations {
                    outcomes.insert(
                        id,
                        serde_json::to_value(list).map_err(|e| CliError::failure(e.to_string()))?,
                    );
                }
            }
        }
        for (_, _, v) in &mut records {
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            v["refund_outcomes"] = outcomes.remove(&id).unwrap_or(Value::Array(Vec::new()));
        }
    }
    if a.resolution_time {
        for (_, _, v) in &mut records {
            let (first_in, answer) = resolution(v);
            v["first_inbound_at"] = first_in.into();
            v["first_response_at"] = answer.into();
            v["resolution_time_ms"] = first_in.zip(answer).map(|(i, o)| o - i).into();
        }
    }
    let mut sink = Sink::open(cli, a.output.as_deref())?;
    for (_, _, v) in &records {
        sink.line(v)?;
    }
    let (n, output) = sink.finish()?;
    summary(
        cli,
        &Summary {
            success: true,
            command: "enrich",
            records: n,
            output: output.map(|p| p.display().to_string()),
            strata: BTreeMap::new(),
        },
    )
}

/// A record's stratum under `--by`: a top-level key, else a key of `decision`, else a dotted
/// path; `(none)` when absent.
pub fn stratum(v: &Value, by: &str) -> String {
    let found = if by.contains('.') {
        by.split('.').try_fold(v, |acc, k| acc.get(k))
    } else {
        v.get(by)
            .or_else(|| v.get("decision").and_then(|d| d.get(by)))
    };
    match found {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// SplitMix64: small, fast, and the same on every platform, so a seed reproduces a sample.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// How many to draw from each stratum: proportional to its size (largest remainders), at
/// least one per stratum when `size` allows, never more than a stratum has. With fewer
/// draws than strata, the largest strata get one each (ties by name).
pub fn allocate(sizes: &BTreeMap<String, usize>, size: usize) -> BTreeMap<String, usize> {
    let total: usize = sizes.values().sum();
    let mut alloc: BTreeMap<String, usize> = sizes.keys().map(|k| (k.clone(), 0)).collect();
    if total == 0 || size == 0 {
        return alloc;
    }
    if size >= total {
        return sizes.clone();
    }
    let k = sizes.values().filter(|&&n| n > 0).count();
    if size < k {
        let mut by_size: Vec<(&String, &usize)> = sizes.iter().filter(|(_, n)| **n > 0).collect();
        by_size.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (name, _) in by_size.into_iter().take(size) {
            alloc.insert(name.clone(), 1);
        }
        return alloc;
    }
    // Ideal shares, floored, with a floor of one.
    let ideal: BTreeMap<&String, f64> = sizes
        .iter()
        .map(|(k, &n)| (k, size as f64 * n as f64 / total as f64))
        .collect();
    for (name, &n) in sizes {
        if n > 0 {
            alloc.insert(name.clone(), (ideal[name].floor() as usize).clamp(1, n));
        }
    }
    let mut assigned: usize = alloc.values().sum();
    // Hand out what is left by largest remainder; take back (from the strata furthest above
    // their share, never below one) what the floor of one over-assigned.
    while assigned < size {
        let pick = sizes
            .iter()
            .filter(|(name, n)| alloc[*name] < **n)
            .max_by(|a, b| {
                let ra = ideal[a.0] - alloc[a.0] as f64;
                let rb = ideal[b.0] - alloc[b.0] as f64;
                ra.total_cmp(&rb).then(b.0.cmp(a.0))
            })
            .map(|(name, _)| name.clone());
        let Some(name) = pick else { break };
        *alloc.get_mut(&name).expect("known") += 1;
        assigned += 1;
    }
    while assigned > size {
        let pick = alloc
            .iter()
            .filter(|(_, a)| **a > 1)
            .max_by(|a, b| {
                let oa = *a.1 as f64 - ideal[a.0];
                let ob = *b.1 as f64 - ideal[b.0];
                oa.total_cmp(&ob).then(b.0.cmp(a.0))
            })
            .map(|(name, _)| name.clone());
        let Some(name) = pick else { break };
        *alloc.get_mut(&name).expect("known") -= 1;
        assigned -= 1;
    }
    alloc
}

/// The indices (into `strata`) of a stratified sample, in input order.
pub fn stratified(strata: &[String], size: usize, seed: u64) -> Vec<usize> {
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in strata.iter().enumerate() {
        members.entry(s.clone()).or_default().push(i);
    }
    let sizes = members.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    let alloc = allocate(&sizes, size);
    let mut chosen = Vec::with_capacity(size);
    for (name, idx) in &mut members {
        // One generator per stratum, seeded from the seed and the stratum's name, so adding
        // records to one stratum does not reshuffle the others.
        let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = SplitMix(h);
        for i in (1..idx.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            idx.swap(i, j);
        }
        chosen.extend(idx.iter().take(alloc[name]).copied());
    }
    chosen.sort_unstable();
    chosen
}

fn sample(cli: &Cli, a: &SampleArgs) -> Result<(), CliError> {
    if a.size <= 0 {
        return Err(usage(format!(
            "--size {}: the sample needs at least one record",
            a.size
        )));
    }
    let records = read_jsonl(&a.file)?;
    if records.is_empty() {
        return Err(CliError::new(
            exit::INVALID,
            format!("{} has no records to sample", a.file.display()),
        ));
    }
    let strata: Vec<String> = records.iter().map(|(_, _, v)| stratum(v, &a.by)).collect();
    let chosen = match a.strategy {
        Strategy::Stratified => stratified(&strata, a.size as usize, a.seed),
    };
    let mut report: BTreeMap<String, StratumReport> = BTreeMap::new();
    for s in &strata {
        report
            .entry(s.clone())
            .or_insert(StratumReport {
                population: 0,
                sampled: 0,
            })
            .population += 1;
    }
    let mut sink = Sink::open(cli, a.output.as_deref())?;
    for &i in &chosen {
        if let Some(r) = report.get_mut(&strata[i]) {
            r.sampled += 1;
        }
        sink.raw(&records[i].1)?;
    }
    let (n, output) = sink.finish()?;
    summary(
        cli,
        &Summary {
            success: true,
            command: "sample",
            records: n,
            output: output.map(|p| p.display().to_string()),
            strata: report,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sizes(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    }

    #[test]
    fn proportional_with_one_per_stratum() {
        let s = sizes(&[("a", 80), ("b", 15), ("c", 5)]);
        let a = allocate(&s, 10);
        assert_eq!(a.values().sum::<usize>(), 10);
        assert_eq!((a["a"], a["b"], a["c"]), (8, 1, 1));
        let a = allocate(&s, 20);
        assert_eq!((a["a"], a["b"], a["c"]), (16, 3, 1));
        // A rare stratum still gets one, at the expense of the largest.
        let s = sizes(&[("big", 98), ("rare1", 1), ("rare2", 1)]);
        let a = allocate(&s, 5);
        assert_eq!((a["big"], a["rare1"], a["rare2"]), (3, 1, 1));
        // Fewer draws than strata: the largest strata, one each.
        let s = sizes(&[("x", 5), ("y", 9), ("z", 9)]);
        let a = allocate(&s, 2);
        assert_eq!((a["x"], a["y"], a["z"]), (0, 1, 1));
        // More than there is: everything.
        assert_eq!(allocate(&s, 100), s);
    }

    #[test]
    fn sampling_is_deterministic_per_seed() {
        let strata: Vec<String> = (0..200)
            .map(|i| ["refund", "access", "spam", "legal"][i % 7 % 4].to_owned())
            .collect();
        let one = stratified(&strata, 20, 7);
        assert_eq!(one, stratified(&strata, 20, 7));
        assert_ne!(one, stratified(&strata, 20, 8));
        assert_eq!(one.len(), 20);
        assert!(
            one.windows(2).all(|w| w[0] < w[1]),
            "input order, no repeats"
        );
        for s in ["refund", "access", "spam", "legal"] {
            assert!(one.iter().any(|&i| strata[i] == s), "{s} is represented");
        }
    }

    #[test]
    fn strata_come_from_the_record_or_its_decision() {
        let v =
            json!({"status": "open", "decision": {"category": "support_refund"}, "a": {"b": 3}});
        assert_eq!(stratum(&v, "category"), "support_refund");
        assert_eq!(stratum(&v, "status"), "open");
        assert_eq!(stratum(&v, "a.b"), "3");
        assert_eq!(stratum(&json!({"decision": null}), "category"), "(none)");
    }

    #[test]
    fn resolution_time_runs_from_the_first_inbound_to_the_first_answer() {
        let v = json!({
            "messages": [
                {"direction": "inbound", "created_at": 1_000},
                {"direction": "inbound", "created_at": 5_000},
            ],
            "actions": [
                {"kind": "refund", "state": "succeeded", "updated_at": 2_000},
                {"kind": "draft_response", "state": "failed", "updated_at": 3_000},
                {"kind": "draft_response", "state": "succeeded", "updated_at": 4_500},
            ]
        });
        assert_eq!(resolution(&v), (Some(1_000), Some(4_500)));
        let none = json!({"messages": [{"direction": "inbound", "created_at": 7}], "actions": []});
        assert_eq!(resolution(&none), (Some(7), None));
        assert_eq!(resolution(&json!({})), (None, None));
    }
}

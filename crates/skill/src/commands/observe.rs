//! Investigating and observing an app: `skill history` (one customer), `skill logs` (the
//! app's audit trail and decisions since a time) and `skill metrics` (what happened in a
//! period, and how much of it needed no human).

use support_types::Email;
use support_types::cli_api::{AppLogs, AppMetrics, CustomerHistory};

use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::csv::{self, TableFormat};
use crate::output::{emit, money, ms, opt_ms, term};
use crate::{Cli, Command};

/// `skill history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The customer's email.
    pub email: String,
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// At most this many conversations (1-500).
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Output: aligned columns, or CSV with a header row.
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
}

/// `skill logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// From when: a duration back from now (30m, 1h, 2d, 1w) or an RFC 3339 time.
    #[arg(long, default_value = "1h")]
    pub since: String,
    /// At most this many entries (1-10000).
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    /// Output: aligned columns, or CSV with a header row.
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
}

/// `skill metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// The period up to now: 24h, 7d, 30d (any duration works).
    #[arg(long, default_value = "24h")]
    pub period: String,
    /// Output: aligned columns, or CSV with a header row.
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
}

/// Milliseconds in a duration like `90s`, `30m`, `1h`, `2d`, `1w`.
pub fn parse_duration_ms(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = raw.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|&ms| ms > 0)
}

/// `--since`: a duration back from `now_ms`, or an RFC 3339 time.
pub fn parse_since(raw: &str, now_ms: i64) -> Result<i64, CliError> {
    if let Some(d) = parse_duration_ms(raw) {
        return Ok(now_ms - d);
    }
    time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            CliError::new(
                exit::USAGE,
                format!(
                    "--since {raw:?}: use a duration (30m, 1h, 2d, 1w) or an RFC 3339 time (2026-01-31T09:00:00Z)"
                ),
            )
        })
}

pub(crate) fn slug(app: &str) -> Result<&str, CliError> {
    support_types::AppSlug::parse(app).map_err(|e| CliError::new(exit::USAGE, e.to_string()))?;
    Ok(app)
}

fn amount(a: Option<i64>) -> String {
    a.map(money).unwrap_or_default()
}

const HISTORY_HEADER: [&str; 11] = [
    "record",
    "conversation",
    "id",
    "at",
    "subject",
    "status",
    "category",
    "route",
    "kind",
    "state",
    "amount",
];

fn history_rows(h: &CustomerHistory) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for c in &h.conversations {
        rows.push(vec![
            "conversation".into(),
            c.id.clone(),
            c.front_conversation_id.clone(),
            opt_ms(c.last_message_at),
            c.subject.clone(),
            c.status.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
        for d in &c.decisions {
            rows.push(vec![
                "decision".into(),
                c.id.clone(),
                d.id.clone(),
                ms(d.created_at),
                String::new(),
                String::new(),
                d.category.clone(),
                d.routing.clone(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for a in &c.actions {
            rows.push(action_row(Some(&c.id), a));
        }
    }
    for a in &h.other_actions {
        rows.push(action_row(None, a));
    }
    rows
}

fn action_row(conv: Option<&String>, a: &support_types::cli_api::HistoryAction) -> Vec<String> {
    vec![
        "action".into(),
        conv.cloned().unwrap_or_default(),
        a.id.clone(),
        ms(a.created_at),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        a.kind.clone(),
        a.state.clone(),
        amount(a.amount),
    ]
}

fn print_history(h: &CustomerHistory) {
    if h.conversations.is_empty() && h.other_actions.is_empty() {
        println!("nothing on {} in {}", h.email, h.app);
        return;
    }
    for c in &h.conversations {
        println!(
            "{}  [{}] {}  (last message {}, {} messages, {})",
            c.id,
            c.status,
            c.subject,
            opt_ms(c.last_message_at),
            c.message_count,
            c.front_conversation_id
        );
        for d in &c.decisions {
            println!(
                "    decision  {}  {} → {} ({:.2})",
                ms(d.created_at),
                d.category,
                d.routing,
                d.confidence
            );
        }
        for a in &c.actions {
            println!(
                "    action    {}  {:<18} {:<10} {:>10}  {}",
                ms(a.created_at),
                a.kind,
                a.state,
                amount(a.amount),
                a.id
            );
        }
    }
    if !h.other_actions.is_empty() {
        println!("outside conversations");
        for a in &h.other_actions {
            println!(
                "    action    {}  {:<18} {:<10} {:>10}  {}  by {}",
                ms(a.created_at),
                a.kind,
                a.state,
                amount(a.amount),
                a.id,
                a.requested_by.as_deref().unwrap_or("-")
            );
        }
    }
}

fn metrics_rows(m: &AppMetrics) -> Vec<Vec<String>> {
    let mut rows = vec![
        vec![
            "conversations".into(),
            String::new(),
            m.conversations.to_string(),
        ],
        vec!["decisions".into(), String::new(), m.decisions.to_string()],
    ];
    for (k, v) in &m.decisions_by_route {
        rows.push(vec!["decisions_by_route".into(), k.clone(), v.to_string()]);
    }
    for (k, v) in &m.decisions_by_category {
        rows.push(vec![
            "decisions_by_category".into(),
            k.clone(),
            v.to_string(),
        ]);
    }
    for (kind, states) in &m.actions {
        for (state, n) in states {
            rows.push(vec![
                "actions".into(),
                format!("{kind}/{state}"),
                n.to_string(),
            ]);
        }
    }
    rows.push(vec![
        "handled_without_human".into(),
        String::new(),
        m.handled_without_human.to_string(),
    ]);
    rows.push(vec![
        "handled_without_human_share".into(),
        String::new(),
        format!("{:.4}", m.handled_without_human_share),
    ]);
    for (k, v) in [
        ("pending", m.approvals.pending),
        ("approved", m.approvals.approved),
        ("rejected", m.approvals.rejected),
        ("expired", m.approvals.expired),
    ] {
        rows.push(vec!["approvals".into(), k.into(), v.to_string()]);
    }
    rows
}

fn print_metrics(m: &AppMetrics) {
    println!("{}  {} → {}", m.app, ms(m.since), ms(m.until));
    println!("{:<38} {:>8}", "conversations", m.conversations);
    println!("{:<38} {:>8}", "decisions", m.decisions);
    for (k, v) in &m.decisions_by_route {
        println!("  route {:<32} {:>8}", k, v);
    }
    for (k, v) in &m.decisions_by_category {
        println!("  category {:<29} {:>8}", k, v);
    }
    println!("actions");
    for (kind, states) in &m.actions {
        for (state, n) in states {
            println!("  {:<36} {:>8}", format!("{kind} {state}"), n);
        }
    }
    println!(
        "{:<38} {:>8}  ({:.1}% of decisions)",
        "handled without a human",
        m.handled_without_human,
        m.handled_without_human_share * 100.0
    );
    println!(
        "approvals: {} pending, {} approved, {} rejected, {} expired",
        m.approvals.pending, m.approvals.approved, m.approvals.rejected, m.approvals.expired
    );
}

/// Runs one of this module's commands.
pub async fn run(cli: &Cli) -> Result<(), CliError> {
    let api = ApiClient::from_cli(cli)?;
    let now = support_store::now_ms();
    match &cli.command {
        Command::History(a) => {
            let email =
                Email::parse(&a.email).map_err(|e| CliError::new(exit::USAGE, e.to_string()))?;
            let h: CustomerHistory = api
                .get(&format!(
                    "/api/v1/apps/{}/customers/{}/history?limit={}",
                    slug(&a.app)?,
                    crate::commands::enc(email.as_str()),
                    a.limit
                ))
                .await?;
            emit(cli, &h, |h| match a.format {
                TableFormat::Csv => csv::print(&HISTORY_HEADER, &history_rows(h)),
                TableFormat::Table => print_history(h),
            })
        }
        Command::Logs(a) => {
            let since = parse_since(&a.since, now)?;
            let l: AppLogs = api
                .get(&format!(
                    "/api/v1/apps/{}/logs?since={since}&limit={}",
                    slug(&a.app)?,
                    a.limit
                ))
                .await?;
            emit(cli, &l, |l| {
                match a.format {
                    TableFormat::Csv => {
                        let rows: Vec<Vec<String>> = l
                            .entries
                            .iter()
                            .map(|e| {
                                vec![
                                    ms(e.at),
                                    e.source.clone(),
                                    e.seq.map(|s| s.to_string()).unwrap_or_default(),
                                    e.actor.clone(),
                                    e.action.clone(),
                                    e.subject.clone(),
                                    e.trace_id.clone().unwrap_or_default(),
                                    e.summary.clone(),
                                ]
                            })
                            .collect();
                        csv::print(
                            &[
                                "at", "source", "seq", "actor", "action", "subject", "trace",
                                "summary",
                            ],
                            &rows,
                        );
                    }
                    TableFormat::Table => {
                        if l.entries.is_empty() {
                            term::hint(format!("nothing in {} since {}", l.app, ms(l.since)));
                        }
                        for e in &l.entries {
                            println!(
                                "{}  {:<8} {:>6}  {:<26} {}",
                                ms(e.at),
                                e.source,
                                e.seq.map(|s| s.to_string()).unwrap_or_default(),
                                e.actor,
                                e.summary
                            );
                        }
                    }
                }
                if l.truncated {
                    term::hint("more entries exist: raise --limit or narrow --since");
                }
            })
        }
        Command::Metrics(a) => {
            let period = parse_duration_ms(&a.period).ok_or_else(|| {
                CliError::new(
                    exit::USAGE,
                    format!(
                        "--period {:?}: use a duration such as 24h, 7d or 30d",
                        a.period
                    ),
                )
            })?;
            let m: AppMetrics = api
                .get(&format!(
                    "/api/v1/apps/{}/metrics?since={}",
                    slug(&a.app)?,
                    now - period
                ))
                .await?;
            emit(cli, &m, |m| match a.format {
                TableFormat::Csv => csv::print(&["metric", "key", "value"], &metrics_rows(m)),
                TableFormat::Table => print_metrics(m),
            })
        }
        _ => Err(CliError::failure("internal dispatch error")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration_ms("1h"), Some(3_600_000));
        assert_eq!(parse_duration_ms("2d"), Some(172_800_000));
        assert_eq!(parse_duration_ms("30m"), Some(1_800_000));
        assert_eq!(parse_duration_ms("1w"), Some(604_800_000));
        for bad in ["", "h", "1", "1y", "-1h", "0h", "1.5h"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
        assert_eq!(parse_since("1h", 10_000_000).expect("ok"), 6_400_000);
        assert_eq!(
            parse_since("2026-01-31T09:00:00Z", 0).expect("ok"),
            1_769_850_000_000
        );
        assert_eq!(
            parse_since("yesterday", 0).expect_err("bad").code(),
            exit::USAGE
        );
    }
}

//! `skill agent` (a task in words, decided and acted on under the app's policy) and
//! `skill test` (what the brain would decide on a synthetic message, doing nothing).

use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support_types::agent::{AgentRequest, AgentResponse, TestDecision, TestMessage};
use support_types::api::ActionDetail;

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::emit;

#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The task in words, e.g. "refund the last charge for pat@example.com on first-app".
    /// Omit it to read {"task", "context"?, "app"?} as JSON on stdin, or to act on the
    /// latest customer message of --context.
    pub task: Option<String>,
    /// A conversation (our id or Front's cnv_…) the task is about.
    #[arg(long, value_name = "CONVERSATION")]
    pub context: Option<String>,
    /// The app's slug, when the task does not name it.
    #[arg(long)]
    pub app: Option<String>,
    /// Return as soon as an automatic action is started instead of waiting (up to 30 s)
    /// for its outcome.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// The customer's address (their account and purchases in the app are used).
    #[arg(long, default_value = "customer@example.com")]
    pub from: String,
    /// Subject line.
    #[arg(long, default_value = "")]
    pub subject: String,
    /// The message body.
    pub body: String,
}

/// How long `skill agent` waits for an automatic action.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(250);
const TERMINAL: [&str; 5] = ["succeeded", "failed", "uncertain", "rejected", "expired"];

fn request(args: &AgentArgs) -> Result<AgentRequest, CliError> {
    if let Some(task) = &args.task {
        return Ok(AgentRequest {
            task: task.clone(),
            context: args.context.clone(),
            app: args.app.clone(),
        });
    }
    if args.context.is_some() {
        return Ok(AgentRequest {
            task: String::new(),
            context: args.context.clone(),
            app: args.app.clone(),
        });
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::new(
            exit::USAGE,
            "give a task, --context, or JSON on stdin",
        ));
    }
    let mut raw = String::new();
    stdin
        .read_to_string(&mut raw)
        .map_err(|e| CliError::new(exit::USAGE, format!("read stdin: {e}")))?;
    let mut req: AgentRequest = serde_json::from_str(&raw).map_err(|e| {
        CliError::new(
            exit::USAGE,
            format!("stdin is not {{\"task\", \"context\"?, \"app\"?}}: {e}"),
        )
    })?;
    req.app = req.app.or_else(|| args.app.clone());
    Ok(req)
}

pub async fn agent(cli: &Cli, args: &AgentArgs) -> Result<(), CliError> {
    let api = ApiClient::from_cli(cli)?;
    let req = request(args)?;
    let mut resp: AgentResponse = api.post("/api/v1/agent", &req).await?;
    if !args.no_wait
        && resp.result["status"] == "executing"
        && let Some(id) = resp.result["actionId"].as_str().map(str::to_owned)
    {
        let started = Instant::now();
        loop {
            let d: ActionDetail = api.get(&format!("/api/v1/actions/{id}")).await?;
            if TERMINAL.contains(&d.action.state.as_str()) || started.elapsed() > WAIT {
                let done = d.action.state == "succeeded";
                if let Some(obj) = resp.result.as_object_mut() {
                    obj.insert("status".into(), json!(d.action.state));
                    obj.insert("success".into(), json!(done));
                    if let Some(r) = d.action.result {
                        obj.insert("outcome".into(), r);
                    }
                    if let Some(e) = d.action.error {
                        obj.insert("error".into(), json!(e));
                    }
                }
                break;
            }
            tokio::time::sleep(POLL).await;
        }
    }
    emit(cli, &resp, |r| {
        println!("{}", r.reasoning);
        println!("action   {}", r.action["type"].as_str().unwrap_or("none"));
        println!(
            "result   {} ({})",
            r.result["status"].as_str().unwrap_or("?"),
            if r.result["success"] == Value::Bool(true) {
                "ok"
            } else {
                "not done"
            }
        );
        if let Some(reason) = r.result["reason"].as_str() {
            println!("reason   {reason}");
        }
        if let Some(id) = r.result["actionId"].as_str() {
            println!("ledger   {id} (skill action {id})");
        }
        if let Some(d) = &r.draft_response {
            println!("\ndraft (not sent):\n{d}");
        }
    })
}

pub async fn test(cli: &Cli, args: &TestArgs) -> Result<(), CliError> {
    let api = ApiClient::from_cli(cli)?;
    let d: TestDecision = api
        .post(
            &format!("/api/v1/apps/{}/test", args.app),
            &TestMessage {
                from: args.from.clone(),
                subject: args.subject.clone(),
                body: args.body.clone(),
            },
        )
        .await?;
    emit(cli, &d, |d| {
        println!("dry run on {} — nothing was recorded or done", d.app);
        println!(
            "category {} ({:.2}), signals [{}]",
            d.category,
            d.confidence,
            d.signals.join(", ")
        );
        println!("route    {} by {}", d.routing, d.route_rule);
        println!(
            "brain    {}{}",
            d.brain,
            d.model
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        );
        for p in &d.proposals {
            println!(
                "propose  {} → {} ({})",
                p["kind"].as_str().unwrap_or("?"),
                p["verdict"]["verdict"].as_str().unwrap_or("?"),
                p["rule"].as_str().unwrap_or("?")
            );
        }
        if let Some(draft) = &d.draft {
            println!("\ndraft:\n{draft}");
        }
        for n in &d.notes {
            println!("note     {n}");
        }
    })
}

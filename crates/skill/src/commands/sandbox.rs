//! `skill sandbox`: the platform on its embedded defaults plus local fakes of everything it
//! talks to, so a newcomer sees the loop with no accounts. Every fake is a real HTTP server on
//! loopback speaking the provider's wire format; the platform is configured exactly as in
//! production, only with those base URLs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use first_app::SeedCustomer;
use support_fakes::front::InboundMessage;
use support_sandbox::{FakeWorld, FakeWorldOptions};
use support_server::Application;

use crate::commands::serve::{init_logging, load_config, print_bootstrap};
use crate::exit::CliError;

pub use support_sandbox::{DEMO_APP, DEMO_INBOX, DEMO_SLACK_CHANNEL};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Configuration file for the platform (default: ./support.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address the platform listens on [default: 127.0.0.1:3000].
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Where the sandbox keeps its databases [default: ./data/sandbox].
    #[arg(long, value_name = "DIR", default_value = "data/sandbox")]
    pub data_dir: PathBuf,
    /// Seconds between simulated customer messages.
    #[arg(long, value_name = "SECS", default_value_t = 6)]
    pub interval: u64,
    /// Stop the message stream after this many messages (0 = never stop).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub messages: u64,
}

fn now_unix() -> i64 {
    support_store::now_ms() / 1000
}

/// Walks customers and situations at different strides so every pairing comes up. Refund
/// requests rotate through customers whose purchases sit on each side of the policy's
/// windows: one hour past 30 days (a human approves), 10 and 2 days (refunded at once), and
/// 29 days 23 hours (still automatic).
fn customer_for(n: u64, customers: &[SeedCustomer]) -> &SeedCustomer {
    const REFUNDERS: [&str; 4] = ["usr_chen", "usr_jonas", "usr_liam", "usr_maya"];
    if n.is_multiple_of(8) {
        let want = REFUNDERS[(n / 8) as usize % REFUNDERS.len()];
        if let Some(c) = customers.iter().find(|c| c.user_id == want) {
            return c;
        }
    }
    let i = n as usize;
    &customers[(i * 5 + i / 8) % customers.len().max(1)]
}

/// A believable message from a seeded customer, chosen round-robin over situations that each
/// exercise a different path of the pipeline (refund windows, access, transfer, anger, legal,
/// team, presales, spam, a refund of a product the customer never bought, a question about a
/// refund's timing).
pub fn scripted_message(n: u64, customers: &[SeedCustomer]) -> InboundMessage {
    let c = customer_for(n, customers);
    let first = c.name.split_whitespace().next().unwrap_or("there");
    let product = c
        .purchases
        .first()
        .map(|p| p.product_name.clone())
        .unwrap_or_else(|| "your course".into());
    let days = c
        .purchases
        .first()
        .map(|p| p.age_secs / 86_400)
        .unwrap_or(0);
    let (subject, body) = match n % 10 {
        0 => (
            format!("Refund for {product}"),
            format!("Hi, I bought {product} about {days} days ago but it isn't what I expected. Could I get a refund please?\n\nThanks,\n{first}"),
        ),
        1 => (
            "Can't log in".to_owned(),
            format!("Hello, I can't access {product} anymore. The login link says it expired. Can you send me a new one?\n{first}"),
        ),
        2 => (
            "Transfer my license to my work email".to_owned(),
            format!("Hi! Could you move my {product} purchase to {first}.work@example.org? I bought it with my personal address.\n\n{first}"),
        ),
        3 => (
            "This is ridiculous".to_owned(),
            format!("I have emailed THREE times about {product} and nobody answers. This is absolutely unacceptable, I want my money back NOW."),
        ),
        // A legal threat without "lawyer" or "sue": read as legal recourse (decision 0017).
        4 => (
            "Formal complaint".to_owned(),
            format!("Unless {product} is refunded within 14 days, I will report your company to the Federal Trade Commission."),
        ),
        5 => (
            "Seats for my team".to_owned(),
            format!("We are a team of 12 engineers. Do you offer team licenses or bulk seats for {product}? Need an invoice too.\n{first}"),
        ),
        6 => (
            "Question before buying".to_owned(),
            "Does the course include lifetime updates, and is there a student discount?".to_owned(),
        ),
        // Grounding: nobody owns this product, so nothing is refunded (and nothing else of
        // theirs is refunded in its place); a person takes it.
        8 => (
            "Refund for Advanced Rust Patterns".to_owned(),
            format!("Hi, please refund my Advanced Rust Patterns course, I never got around to starting it.\n\n{first}"),
        ),
        // A question about a refund is not a request for one.
        9 => (
            "Refund timing".to_owned(),
            format!("Hi, quick question: how many days does a refund usually take to show up on the card?\n\n{first}"),
        ),
        _ => (
            "Partnership opportunity: SEO backlinks".to_owned(),
            "Dear site owner, we offer premium guest posts and backlink packages for your website. Reply for our price list.".to_owned(),
        ),
    };
    InboundMessage {
        inbox_id: Some(DEMO_INBOX.into()),
        conversation_id: None,
        from_email: c.email.to_string(),
        from_name: Some(c.name.clone()),
        subject,
        body_text: body,
    }
}

/// Posts product-app events (`x-support-signature`) as the example app would.
struct AppEventSender {
    http: reqwest::Client,
    url: String,
    secret: String,
}

impl AppEventSender {
    async fn send(&self, n: u64, customers: &[SeedCustomer]) {
        let c = &customers[(n as usize / 3) % customers.len().max(1)];
        let (kind, data) = match (n / 3) % 3 {
            0 => ("user.logged_in", serde_json::json!({"userId": c.user_id})),
            1 => (
                "purchase.viewed",
                serde_json::json!({"userId": c.user_id, "purchaseId": c.purchases.first().map(|p| p.id.clone())}),
            ),
            _ => (
                "user.profile_updated",
                serde_json::json!({"userId": c.user_id, "fields": ["name"]}),
            ),
        };
        let body = serde_json::json!({
            "id": format!("sandbox-{}-{n}", now_unix()),
            "type": kind,
            "occurredAt": now_unix(),
            "data": data,
        })
        .to_string();
        let header =
            support_signing::support::header(self.secret.as_bytes(), now_unix(), body.as_bytes());
        match self
            .http
            .post(&self.url)
            .header(support_signing::support::HEADER, header)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
        {
            Ok(r) => tracing::info!(
                kind,
                status = r.status().as_u16(),
                "sandbox: first-app reported an event"
            ),
            Err(e) => tracing::warn!(error = %e, "sandbox: reporting an app event failed"),
        }
    }
}

/// Waits (up to a minute) for the platform's draft on `conversation`, then sends it from
/// Front unchanged and archives the conversation, as a teammate who agrees with it would.
async fn teammate_sends_draft(
    front: std::sync::Arc<support_fakes::front::FakeFront>,
    conversation: String,
) {
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some(draft) = front.drafts(&conversation).pop() else {
            continue;
        };
        let sent = front.teammate_replies(&conversation, &draft.text).await;
        let archived = front.teammate_archives(&conversation).await;
        match (sent, archived) {
            (Ok(_), Ok(_)) => tracing::info!(
                conversation = %conversation,
                "sandbox: a teammate sent the draft as written and archived the conversation (indexed: a similar ticket and a trusted reply)"
            ),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "sandbox: the simulated teammate could not send the draft")
            }
        }
        return;
    }
    tracing::info!(conversation = %conversation, "sandbox: no draft within a minute; the simulated teammate left it");
}

pub async fn run(args: &SandboxArgs) -> Result<(), CliError> {
    let mut config = load_config(args.config.as_deref(), args.bind, None)?;
    init_logging(&config.log_format);
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| CliError::failure(format!("create {}: {e}", args.data_dir.display())))?;
    let world = FakeWorld::start(FakeWorldOptions::sandbox(&args.data_dir)).await?;
    world.apply(&mut config);
    config.data_dir = args.data_dir.clone();
    config.database_url = format!("sqlite://{}/support.db", args.data_dir.display());
    let app = Application::build(config)
        .await
        .map_err(crate::commands::serve::startup_error)?;
    world.register_demo_app(&app).await?;
    world.connect(app.url());

    let url = app.url().to_owned();
    print_bootstrap(&app);
    let login = match app.bootstrap() {
        Some(b) => format!("{} / {}", b.admin_email, b.admin_password),
        None => format!(
            "see {}",
            args.data_dir.join("admin-credentials.txt").display()
        ),
    };
    eprintln!(
        "\nSandbox running. Ctrl-C stops everything.\n\
         \x20 dashboard   {url}/login   (login: {login})\n\
         \x20 health      {url}/healthz  {url}/readyz\n\
         \x20 fake Front  {}\n\
         \x20 fake Slack  {} (channel {DEMO_SLACK_CHANNEL}: escalations, approval cards)\n\
         \x20 fake Stripe {}\n\
         \x20 first-app   {}\n\
         A customer message arrives every {} s; watch them appear in the dashboard or with `skill conversations`.\n\
         Every fifth message's webhook is lost on the way; `skill front reconcile` (or the worker, every 5 min) recovers it.\n\
         Try `skill test --app {DEMO_APP} --from <customer> \"I want a refund\"`, `skill agent \"<task>\"`, `skill stripe connect {DEMO_APP}`.\n",
        world.front.url(),
        world.slack.url(),
        world.stripe.url(),
        world.example()?.app.url(),
        args.interval
    );

    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let front = world.front.clone();
    let interval = Duration::from_secs(args.interval.max(1));
    let limit = args.messages;
    let app_events = AppEventSender {
        http: reqwest::Client::new(),
        url: format!("{url}/webhooks/app/{DEMO_APP}"),
        secret: world.example()?.secret.clone(),
    };
    let stream = tokio::spawn(async move {
        let customers = first_app::seeded_customers();
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(if n == 0 { Duration::from_millis(500) } else { interval }) => {}
                _ = stop_rx.changed() => return,
            }
            let msg = scripted_message(n, &customers);
            // Every fifth message's webhook is lost on the way: Front has it, the platform
            // does not, until reconciliation lists Front's events (`skill front reconcile`,
            // or the worker's own pass every few minutes).
            if n % 5 == 3 {
                match front.receive_inbound_undelivered(msg) {
                    Ok(d) => {
                        tracing::warn!(conversation = %d.conversation_id, "sandbox: this message's webhook was lost; `skill front reconcile` recovers it")
                    }
                    Err(e) => tracing::warn!(error = %e, "sandbox: storing a message failed"),
                }
            } else {
                match front.inject_inbound(msg).await {
                    Ok(d) => {
                        tracing::info!(conversation = %d.conversation_id, status = d.status, "sandbox: customer message delivered");
                        // The knowledge question's draft is sent as written by a simulated
                        // teammate, who then archives the conversation: the reply becomes a
                        // trusted response and the conversation a similar ticket for the
                        // next customer who asks the same (decision 0018).
                        if n % 10 == 6 {
                            tokio::spawn(teammate_sends_draft(front.clone(), d.conversation_id));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "sandbox: delivering a message failed"),
                }
            }
            // Every third tick the example app also reports something that happened on its
            // side, signed with its own secret, through the product-app webhook.
            if n % 3 == 2 {
                app_events.send(n, &customers).await;
            }
            n += 1;
            if limit > 0 && n >= limit {
                return;
            }
        }
    });

    let served = app.run(support_server::shutdown_signal()).await;
    let _ = stop_tx.send(true);
    let _ = stream.await;
    world.shutdown().await;
    served?;
    eprintln!("sandbox stopped");
    Ok(())
}

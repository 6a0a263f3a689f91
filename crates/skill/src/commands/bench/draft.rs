//! `skill bench draft`: webhook → Front draft latency on the rules path, in the sandbox
//! setup (fake Front, Slack and Stripe, the seeded example app) with the worker and the
//! engine running in the background exactly as in production, on the wall clock.
//!
//! The fake Front delivers signed webhooks at a fixed rate, one new conversation each: a
//! seeded customer who cannot log in, which the rules brain answers with a magic link and a
//! draft. Latency is the draft's creation time in the fake Front minus the moment the
//! message was handed to the fake Front for delivery. The inbound workflow waits
//! `worker.inbound_debounce_ms` (3 s in production) before deciding, on purpose, so a burst
//! of lines is decided together: each phase runs with one debounce, and the figures are
//! printed both as measured and with the debounce subtracted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use support_fakes::front::InboundMessage;
use support_server::Application;

use super::fail;
use crate::exit::CliError;
use support_sandbox::{DEMO_INBOX, FakeWorld, FakeWorldOptions};

#[derive(Debug, Serialize)]
pub struct DraftReport {
    pub backend: String,
    pub debounce_ms: u64,
    /// The worker's idle poll (`worker.poll_ms`), which also bounds the latency.
    pub worker_poll_ms: u64,
    pub rate: f64,
    pub seconds: f64,
    pub sent: usize,
    /// Webhooks the platform did not accept with 200.
    pub rejected: usize,
    pub drafts: usize,
    /// Messages sent per second, as achieved.
    pub send_rate: f64,
    /// Drafts per second, first send → last draft.
    pub drafts_per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The same latencies minus the debounce.
    pub p50_ms_ex_debounce: f64,
    pub p95_ms_ex_debounce: f64,
    pub p99_ms_ex_debounce: f64,
    /// Webhook round trip (fake Front → platform 200), p95.
    pub webhook_p95_ms: f64,
}

/// (Front conversation, handed to the fake Front at (wall ms), webhook round trip ms, status).
type Sent = (String, i64, f64, u16);

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0)
}

const ASKS: [(&str, &str); 4] = [
    (
        "Can't log in",
        "Hello, I can't log in anymore. The login link says it expired. Can you send me a new one?",
    ),
    (
        "Locked out",
        "Hi, I'm locked out of my account and can't access my course. Could you send a sign-in link?",
    ),
    (
        "Login problem",
        "I cannot access my account since yesterday, please send me a new login link.",
    ),
    (
        "Access",
        "I lost access to my course. How do I get back in? A new sign-in link would help.",
    ),
];

/// One phase: a fresh platform, `rate` messages a second for `seconds`, then wait for the
/// drafts (at most debounce + 60 s).
pub async fn run(
    backend: &str,
    rate: f64,
    seconds: f64,
    debounce_ms: u64,
    model: Option<std::path::PathBuf>,
) -> Result<DraftReport, CliError> {
    if !(rate > 0.0 && rate <= 10_000.0 && seconds > 0.0 && seconds <= 3_600.0) {
        return Err(CliError::new(
            crate::exit::INVALID,
            "--rate must be in (0, 10000] and --seconds in (0, 3600]",
        ));
    }
    let dir = tempfile::tempdir().map_err(fail)?;
    let pg = super::fresh_postgres(backend).await?;
    let world = FakeWorld::start(FakeWorldOptions::sandbox(dir.path())).await?;
    let mut config = support_server::Config {
        bind: "127.0.0.1:0".parse().map_err(fail)?,
        database_url: match &pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}/support.db", dir.path().display()),
        },
        data_dir: dir.path().join("data"),
        write_cli_config: false,
        ..support_server::Config::default()
    };
    world.apply(&mut config);
    config.worker.inbound_debounce_ms = debounce_ms;
    config.retrieval.model_dir = model;
    let worker_poll_ms = config.worker.poll_ms;
    let app = Application::build(config).await?;
    world.register_demo_app(&app).await?;
    world.connect(app.url());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));

    let customers = first_app::seeded_customers();
    let total = (rate * seconds).round().max(1.0) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let first_send_ms = support_store::now_ms();
    let mut tasks = Vec::with_capacity(total);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for n in 0..total {
        ticker.tick().await;
        let c = &customers[n % customers.len()];
        let (subject, body) = ASKS[n % ASKS.len()];
        let msg = InboundMessage {
            inbox_id: Some(DEMO_INBOX.into()),
            conversation_id: None,
            from_email: c.email.to_string(),
            from_name: Some(c.name.clone()),
            subject: subject.into(),
            body_text: body.into(),
        };
        let (front, sent) = (world.front.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let t0 = support_store::now_ms();
            let i0 = Instant::now();
            let d = front.inject_inbound(msg).await;
            let rt = i0.elapsed().as_secs_f64() * 1000.0;
            if let Ok(d) = d
                && let Ok(mut s) = sent.lock()
            {
                s.push((d.conversation_id, t0, rt, d.status));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let send_secs = started.elapsed().as_secs_f64();
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let accepted: Vec<&Sent> = sent.iter().filter(|s| s.3 == 200).collect();

    // Wait for the drafts.
    let deadline = Instant::now() + Duration::from_millis(debounce_ms) + Duration::from_secs(60);
    let mut latencies: Vec<f64>;
    let mut last_draft_ms = 0.0f64;
    loop {
        latencies = Vec::with_capacity(accepted.len());
        for (cnv, t0, _, _) in &accepted {
            if let Some(d) = world.front.drafts(cnv).first() {
                let at = d.created_at * 1000.0;
                last_draft_ms = last_draft_ms.max(at);
                latencies.push(at - *t0 as f64);
            }
        }
        if latencies.len() >= accepted.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
    server.await.map_err(fail)?.map_err(fail)?;
    world.shutdown().await;
    if let Some(db) = pg {
        db.drop_db().await;
    }

    latencies.sort_by(|a, b| a.total_cmp(b));
    let mut rts: Vec<f64> = sent.iter().map(|s| s.2).collect();
    rts.sort_by(|a, b| a.total_cmp(b));
    let d = debounce_ms as f64;
    Ok(DraftReport {
        backend: backend.to_owned(),
        debounce_ms,
        worker_poll_ms,
        rate,
        seconds,
        sent: sent.len(),
        rejected: sent.len() - accepted.len(),
        drafts: latencies.len(),
        send_rate: sent.len() as f64 / send_secs,
        drafts_per_s: if last_draft_ms > first_send_ms as f64 {
            latencies.len() as f64 / ((last_draft_ms - first_send_ms as f64) / 1000.0)
        } else {
            0.0
        },
        p50_ms: pct(&latencies, 0.50),
        p95_ms: pct(&latencies, 0.95),
        p99_ms: pct(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        p50_ms_ex_debounce: pct(&latencies, 0.50) - d,
        p95_ms_ex_debounce: pct(&latencies, 0.95) - d,
        p99_ms_ex_debounce: pct(&latencies, 0.99) - d,
        webhook_p95_ms: pct(&rts, 0.95),
    })
}

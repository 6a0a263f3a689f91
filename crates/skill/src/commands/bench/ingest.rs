//! `skill bench ingest`: the real server (in-process, the same `Application::build`) on a
//! fresh SQLite file or Postgres database, hammered with signed Front webhooks over loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use support_server::{Application, Config, Secret};

use super::fail;
use crate::exit::CliError;

const SECRET: &str = "bench-front-app-secret";

#[derive(Debug, Serialize)]
pub struct IngestReport {
    pub backend: String,
    pub concurrency: usize,
    pub requests: usize,
    pub accepted_per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub unique_sent: i64,
    pub stored: i64,
    pub duplicates_acknowledged: usize,
    pub duplicates_processed: i64,
    pub errors: usize,
}

fn body(i: usize) -> Vec<u8> {
    serde_json::json!({
        "id": format!("evt_bench_{i}"),
        "type": "inbound",
        "emitted_at": 1_767_225_600.0 + i as f64,
        "conversation": {"id": format!("cnv_bench_{}", i % 500), "subject": "Refund please"},
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": "inb_bench", "name": "Bench"}]},
        "target": {"_meta": {"type": "message"}, "data": {"id": format!("msg_bench_{i}"), "blurb": "Hi, I bought the course last week and would like a refund."}}
    })
    .to_string()
    .into_bytes()
}

pub async fn run(
    backend: &str,
    concurrency: usize,
    requests: usize,
    duplicate_every: usize,
) -> Result<IngestReport, CliError> {
    let dir = tempfile::tempdir().map_err(fail)?;
    let pg = super::fresh_postgres(backend).await?;
    let mut config = Config {
        bind: "127.0.0.1:0".parse().map_err(fail)?,
        database_url: match &pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}/support.db", dir.path().display()),
        },
        data_dir: dir.path().to_owned(),
        write_cli_config: false,
        ..Config::default()
    };
    config.worker.enabled = false;
    config.front.app_secret = Secret::new(SECRET);
    let app = Application::build(config).await?;
    let url = format!("{}/webhooks/front", app.url());
    let store = app.state().store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));

    // Request i carries event i, except every Nth, which repeats an earlier event.
    let ids: Arc<Vec<usize>> = Arc::new(
        (0..requests)
            .map(|i| {
                if duplicate_every > 0 && i % duplicate_every == duplicate_every - 1 {
                    i / 2
                } else {
                    i
                }
            })
            .collect(),
    );
    let unique: std::collections::BTreeSet<usize> = ids.iter().copied().collect();
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(fail)?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (ids, next, http, url) = (ids.clone(), next.clone(), http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut dup, mut err) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { break };
                let body = body(id);
                let ts = support_store::now_ms();
                let sig = support_signing::front::sign(SECRET.as_bytes(), ts, &body);
                let t0 = Instant::now();
                let resp = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-front-signature", sig)
                    .header("x-front-request-timestamp", ts.to_string())
                    .body(body)
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().is_success() => {
                        let text = r.text().await.unwrap_or_default();
                        lat.push(t0.elapsed());
                        if text.contains("duplicate") {
                            dup += 1;
                        }
                    }
                    _ => err += 1,
                }
            }
            (lat, dup, err)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let (mut dups, mut errors) = (0, 0);
    for t in tasks {
        let (l, d, e) = t.await.map_err(fail)?;
        latencies.extend(l);
        dups += d;
        errors += e;
    }
    let elapsed = started.elapsed();
    let (stored, queued) = store.inbound_counts("front").await.map_err(fail)?;
    let _ = stop.send(());
    server.await.map_err(fail)?.map_err(fail)?;
    if let Some(db) = pg {
        db.drop_db().await;
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Ok(IngestReport {
        backend: backend.to_owned(),
        concurrency,
        requests,
        accepted_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        unique_sent: unique.len() as i64,
        stored,
        duplicates_acknowledged: dups,
        duplicates_processed: queued - unique.len() as i64,
        errors,
    })
}

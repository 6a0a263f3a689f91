//! Plumbing shared by the fakes: binding on loopback, graceful shutdown, the request
//! log, connections that can be dropped on purpose, and small wire helpers (bearer tokens,
//! form decoding, ids, clocks).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Largest request body the fakes accept; real providers cap bodies too, and a cap keeps a
/// runaway test from eating memory.
pub(crate) const MAX_BODY: usize = 2 * 1024 * 1024;

/// How long [`Running::shutdown`] waits for in-flight requests before aborting the task, so
/// a stuck client can never hang a test run.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// One request as a fake received it, so tests can assert on exactly what the platform sent
/// (headers such as `Idempotency-Key` or `Stripe-Account`, and the raw body bytes as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method, upper case (`"POST"`).
    pub method: String,
    /// Path without the query string (`"/v1/refunds"`).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Every request header, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as received (lossy UTF-8).
    pub body: String,
}

impl RequestRecord {
    /// The first value of header `name` (case-insensitive), because most assertions are
    /// about one header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Lock a mutex, recovering the data if a previous holder panicked: a fake must keep
/// answering even after one test thread blew up.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The request log shared between the logging middleware and the inspection methods.
#[derive(Clone, Default)]
pub(crate) struct RequestLog(Arc<Mutex<Vec<RequestRecord>>>);

impl RequestLog {
    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        lock(&self.0).clone()
    }

    fn push(&self, r: RequestRecord) {
        lock(&self.0).push(r);
    }
}

async fn record_request(State(log): State<RequestLog>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    log.push(RequestRecord {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A bound listener plus the base URL clients should use. Split from [`Running::spawn`] so a
/// fake can build its state (which embeds the URL in `_links`) before serving.
pub(crate) struct Bound {
    listener: TcpListener,
    pub(crate) url: String,
}

pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<Bound> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
    let mut local = listener.local_addr()?;
    if local.ip().is_unspecified() {
        local.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    Ok(Bound {
        listener,
        url: format!("http://{local}"),
    })
}

/// A fake's server task: the URL, the shutdown trigger and the task handle.
pub(crate) struct Running {
    url: String,
    shutdown: oneshot::Sender<()>,
    join: JoinHandle<()>,
}

impl Running {
    /// Serve `router` on `bound`, logging every request into `log` before any handler (or
    /// auth check) runs.
    pub(crate) fn spawn(bound: Bound, router: Router, log: RequestLog) -> Self {
        let app = router.layer(middleware::from_fn_with_state(log, record_request));
        let (tx, rx) = oneshot::channel::<()>();
        let listener = KillListener(bound.listener);
        let join = tokio::spawn(async move {
            let serve = axum::serve(listener, app.into_make_service_with_connect_info::<Conn>())
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "fake server stopped with an error");
            }
        });
        Running {
            url: bound.url,
            shutdown: tx,
            join,
        }
    }

    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }

    /// Stop accepting, let in-flight requests finish (bounded by a grace period), and wait
    /// for the task.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let mut join = self.join;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut join)
            .await
            .is_err()
        {
            join.abort();
            let _ = join.await;
        }
    }
}

/// A TCP listener whose connections can be cut by a handler, so a fake can model "the
/// provider committed the work, then the connection died before the response arrived".
struct KillListener(TcpListener);

/// A connection that fails every read and write once its kill switch is set. Hyper then drops
/// the socket without writing a single byte of the pending response.
struct KillIo {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

fn killed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped on purpose by the fake",
    )
}

impl AsyncRead for KillIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Listener for KillListener {
    type Io = KillIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let io = KillIo {
                        inner: stream,
                        kill: Arc::new(AtomicBool::new(false)),
                    };
                    return (io, addr);
                }
                Err(e) => {
                    // Usually EMFILE; back off instead of spinning.
                    tracing::warn!(error = %e, "fake server accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// Per-connection info handed to handlers (`ConnectInfo<Conn>`), carrying the kill switch.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    kill: Arc<AtomicBool>,
}

impl Conn {
    /// Make the connection fail before any byte of the response is written.
    pub(crate) fn drop_without_response(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, KillListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        Conn {
            kill: stream.io().kill.clone(),
        }
    }
}

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(token.trim())
    } else {
        None
    }
}

/// A header's value as text, if present and valid.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// Decode `application/x-www-form-urlencoded` text into ordered pairs, keeping repeated keys
/// (Stripe's `expand[]=a&expand[]=b`). `None` on malformed percent escapes or bad UTF-8.
pub(crate) fn parse_form(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in s.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_val(*bytes.get(i + 1)?)?;
                let lo = hex_val(*bytes.get(i + 2)?)?;
                out.push((hi << 4) | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const MIXED_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `prefix_` plus `len` random lower-case base-36 characters (Front-style ids).
pub(crate) fn lower_id(prefix: &str, len: usize) -> String {
    random_id(prefix, len, LOWER_ALNUM)
}

/// `prefix_` plus `len` random mixed-case alphanumerics (Stripe-style ids).
pub(crate) fn mixed_id(prefix: &str, len: usize) -> String {
    random_id(prefix, len, MIXED_ALNUM)
}

fn random_id(prefix: &str, len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + 1 + len);
    s.push_str(prefix);
    s.push('_');
    for _ in 0..len {
        let i = rng.random_range(0..alphabet.len());
        s.push(char::from(alphabet[i]));
    }
    s
}

/// Upper-case alphanumerics only (Slack-style ids such as `V0ABC123`).
pub(crate) fn upper_token(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(LOWER_ALNUM[rng.random_range(0..LOWER_ALNUM.len())]))
        .collect::<String>()
        .to_ascii_uppercase()
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// Unix seconds, as Stripe's `created`.
pub(crate) fn now_secs() -> i64 {
    i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX)
}

/// Unix seconds with milliseconds, as Front's `created_at` / `emitted_at`.
pub(crate) fn now_secs_f64() -> f64 {
    let ms = now_ms();
    // Front timestamps carry millisecond precision.
    (ms as f64) / 1000.0
}

/// Unix milliseconds, as Front's `X-Front-Request-Timestamp`.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(since_epoch().as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_keeps_order_and_brackets() {
        let pairs = parse_form("charge=ch_1&metadata%5Bsupport_action_id%5D=a+b%2Fc&expand[]=x")
            .expect("valid form");
        assert_eq!(
            pairs,
            vec![
                ("charge".to_owned(), "ch_1".to_owned()),
                ("metadata[support_action_id]".to_owned(), "a b/c".to_owned()),
                ("expand[]".to_owned(), "x".to_owned()),
            ]
        );
        assert!(parse_form("a=%zz").is_none());
        assert!(parse_form("a=%2").is_none());
        assert!(parse_form("a=%FF").is_none());
    }

    #[test]
    fn ids_have_prefix_and_length() {
        let id = lower_id("cnv", 8);
        assert!(id.starts_with("cnv_"));
        assert_eq!(id.len(), 12);
        assert!(id[4..].bytes().all(|b| LOWER_ALNUM.contains(&b)));
        assert_eq!(upper_token(6).len(), 6);
    }
}

//! Minimal server-rendered HTML: works without JavaScript, every value escaped.

use axum::response::Html;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}\
header{background:#1f2937;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}\
header a{color:#cbd5e1;text-decoration:none}main{padding:1rem;max-width:70rem}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.35rem;text-align:left;vertical-align:top}\
.msg{border:1px solid #e5e7eb;border-radius:6px;padding:.6rem;margin:.5rem 0;white-space:pre-wrap}\
.muted{color:#6b7280}.ok{color:#047857}.bad{color:#b91c1c}form.inline{display:inline}";

/// The dashboard's Content-Security-Policy: no script at all (the pages have none), styles
/// only inline from our own `<style>`, forms only to ourselves, never framed. Even markup
/// that slipped past escaping could not run.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the browser hardening headers to every HTML response of the routes it wraps.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// A full page; `body` must already be escaped.
pub fn page(title: &str, user: Option<&str>, body: &str) -> Html<String> {
    let nav = match user {
        Some(u) => format!(
            "<a href=\"/dashboard\">Conversations</a><a href=\"/dashboard/actions\">Actions</a><a href=\"/dashboard/events\">Events</a><a href=\"/dashboard/apps\">Apps</a>\
             <a href=\"/dashboard/audit\">Audit</a><span class=\"muted\">{}</span>\
             <form class=\"inline\" method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            esc(u)
        ),
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Support</title><style>{STYLE}</style></head>\
         <body><header><strong>Support</strong>{nav}</header><main>{body}</main></body></html>",
        esc(title)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
        assert_eq!(super::when(0), "1970-01-01 00:00:00 UTC");
    }
}

//! `GET /`: a plain server-rendered page so a human running the sandbox can see the app's
//! side of the story. Every value from the database goes through [`escape`].

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sqlx::Row as _;
use support_types::Money;

use crate::AppState;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "29 d 23 h ago": days and hours, because that is the precision refund windows care about.
pub(crate) fn format_age(secs: i64) -> String {
    if secs < 0 {
        return "in the future".into();
    }
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min ago"),
        (0, h) => format!("{h} h ago"),
        (d, 0) => format!("{d} d ago"),
        (d, h) => format!("{d} d {h} h ago"),
    }
}

pub(crate) async fn index(State(state): State<Arc<AppState>>) -> Response {
    match render(&state).await {
        Ok(page) => Html(page).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "first-app: rendering customer page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn render(state: &AppState) -> Result<String, sqlx::Error> {
    let now = crate::now_unix();
    let users = sqlx::query("SELECT id, email, name FROM users ORDER BY created_at, id")
        .fetch_all(&state.pool)
        .await?;
    let purchases = sqlx::query(
        "SELECT p.user_id, pr.name AS product_name, p.amount_cents, p.currency, \
                p.purchased_at, p.status \
         FROM purchases p JOIN products pr ON pr.id = p.product_id \
         ORDER BY p.purchased_at DESC, p.id DESC",
    )
    .fetch_all(&state.pool)
    .await?;

    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>First App — customers</title></head><body>\n\
         <h1>First App — customers</h1>\n<table border=\"1\" cellpadding=\"4\">\n\
         <tr><th>Name</th><th>Email</th><th>Purchases</th></tr>\n",
    );
    for user in &users {
        let id: String = user.try_get("id")?;
        let email: String = user.try_get("email")?;
        let name: String = user.try_get("name")?;
        let mut items = String::new();
        for p in purchases.iter() {
            if p.try_get::<String, _>("user_id")? != id {
                continue;
            }
            let product: String = p.try_get("product_name")?;
            let cents: i64 = p.try_get("amount_cents")?;
            let currency: String = p.try_get("currency")?;
            let at: i64 = p.try_get("purchased_at")?;
            let status: String = p.try_get("status")?;
            let amount = match Money::new(cents, &currency) {
                Ok(m) => m.to_string(),
                Err(_) => format!("{cents} {currency}"),
            };
            let _ = write!(
                items,
                "<li>{} — {} — {} — {}</li>",
                escape(&product),
                escape(&amount),
                escape(&status),
                format_age(now - at)
            );
        }
        let purchases_cell = if items.is_empty() {
            "none".to_owned()
        } else {
            format!("<ul>{items}</ul>")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{purchases_cell}</td></tr>",
            escape(&name),
            escape(&email)
        );
    }
    out.push_str("</table>\n</body></html>\n");
    Ok(out)
}

/// `GET /refund-policy`: the page `getRefundPolicy` points customers to.
pub(crate) async fn refund_policy() -> Html<String> {
    use crate::api::{AUTO_APPROVE_DAYS, MANUAL_APPROVE_DAYS};
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>First App — refund policy</title></head><body>\n\
         <h1>Refund policy</h1>\n\
         <p>Refunds requested within {AUTO_APPROVE_DAYS} days of purchase are granted, no \
         questions asked.</p>\n\
         <p>Up to {MANUAL_APPROVE_DAYS} days after purchase, our team reviews each request.</p>\n\
         <p>After {MANUAL_APPROVE_DAYS} days, purchases are not refundable.</p>\n\
         </body></html>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn ages_read_in_days_and_hours() {
        assert_eq!(format_age(2 * 86_400), "2 d ago");
        assert_eq!(format_age(29 * 86_400 + 23 * 3_600), "29 d 23 h ago");
        assert_eq!(format_age(3_600), "1 h ago");
        assert_eq!(format_age(59), "0 min ago");
        assert_eq!(format_age(-1), "in the future");
    }
}

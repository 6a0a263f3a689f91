//! `skill conversations` and `skill conversation`.

use support_types::api::{ConversationDetail, ConversationView};

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::{emit, ms};

/// `skill conversations`.
pub async fn list(cli: &Cli, api: &ApiClient, limit: i64) -> Result<(), CliError> {
    let list: Vec<ConversationView> = api
        .get(&format!("/api/v1/conversations?limit={limit}"))
        .await?;
    emit(cli, &list, |list| {
        if list.is_empty() {
            crate::output::term::hint("no conversations yet");
        }
        for c in list {
            println!(
                "{}  {:<12} {:<28} {:>3} msg  {}",
                c.id,
                c.app_slug.as_deref().unwrap_or("-"),
                c.customer_email.as_deref().unwrap_or("-"),
                c.message_count,
                c.subject
            );
        }
    })
}

/// `skill conversation ID`.
pub async fn show(cli: &Cli, api: &ApiClient, id: &str) -> Result<(), CliError> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::new(
            exit::INVALID,
            format!("invalid conversation id {id:?}"),
        ));
    }
    let d: ConversationDetail = api.get(&format!("/api/v1/conversations/{id}")).await?;
    emit(cli, &d, |d| {
        let c = &d.conversation;
        println!("{} [{}] {}", c.subject, c.status, c.front_conversation_id);
        println!(
            "app {}  customer {}",
            c.app_slug.as_deref().unwrap_or("-"),
            c.customer_email.as_deref().unwrap_or("-")
        );
        for m in &d.messages {
            println!(
                "\n--- {} {} {}\n{}",
                m.direction,
                m.author.as_deref().unwrap_or("-"),
                ms(m.created_at),
                m.body
            );
        }
    })
}

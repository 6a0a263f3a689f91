//! `skill stripe`: an app's Stripe Connect connection.

use clap::Subcommand;

use super::path_id;
use crate::Cli;
use crate::client::ApiClient;
use crate::exit::CliError;
use crate::output::{emit, ms};

#[derive(Debug, Subcommand)]
pub enum StripeCommand {
    /// Print the URL that connects the app's Stripe account. Open it in a browser logged in
    /// to the dashboard as the same user; it works once, for 10 minutes.
    Connect {
        /// The app's slug.
        slug: String,
    },
    /// Show whether the app is connected, and to which account.
    Status {
        /// The app's slug.
        slug: String,
    },
    /// Revoke the platform's access to the app's Stripe account; refunds stop.
    Disconnect {
        /// The app's slug.
        slug: String,
    },
}

/// `skill stripe …`.
pub async fn run(cli: &Cli, api: &ApiClient, cmd: &StripeCommand) -> Result<(), CliError> {
    let show = |s: &support_types::api::StripeStatus| match (&s.account, s.connected) {
        (Some(a), true) => println!("{}: connected to Stripe account {a}", s.app),
        (Some(a), false) => println!("{}: not connected (was {a})", s.app),
        (None, _) => println!("{}: not connected", s.app),
    };
    match cmd {
        StripeCommand::Connect { slug } => {
            let r: support_types::api::StripeConnectStart = api
                .post(
                    &format!("/api/v1/apps/{}/stripe/connect", path_id(slug)?),
                    &serde_json::json!({}),
                )
                .await?;
            emit(cli, &r, |r| {
                println!("{}", r.url);
                crate::output::term::hint(format!(
                    "Open this in a browser logged in to the dashboard as you, before {}. It works once.",
                    ms(r.expires_at)
                ));
            })
        }
        StripeCommand::Status { slug } => {
            let r: support_types::api::StripeStatus = api
                .get(&format!("/api/v1/apps/{}/stripe", path_id(slug)?))
                .await?;
            emit(cli, &r, show)
        }
        StripeCommand::Disconnect { slug } => {
            let r: support_types::api::StripeStatus = api
                .post(
                    &format!("/api/v1/apps/{}/stripe/disconnect", path_id(slug)?),
                    &serde_json::json!({}),
                )
                .await?;
            emit(cli, &r, show)
        }
    }
}

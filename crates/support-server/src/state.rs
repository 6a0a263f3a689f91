//! The one state every handler gets: the pipeline's handle (store, engine, services, clock,
//! ingestion), plus what only the HTTP edge needs (the config, app secrets, Stripe Connect
//! OAuth). It derefs to the [`Pipeline`], so `state.store` reads as before.

use std::sync::Arc;

use support_stripe::StripeConnect;

use crate::config::Config;
use crate::pipeline::Pipeline;
use crate::secrets::AppSecrets;

#[derive(Clone)]
pub struct AppState {
    pub pipeline: Pipeline,
    pub config: Arc<Config>,
    pub secrets: Arc<AppSecrets>,
    pub stripe_connect: Arc<dyn StripeConnect>,
}

impl std::ops::Deref for AppState {
    type Target = Pipeline;

    fn deref(&self) -> &Pipeline {
        &self.pipeline
    }
}

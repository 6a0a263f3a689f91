//! `/healthz`: the process is up. `/readyz`: the database answers and the schema is the one
//! this build expects, so a load balancer only routes to instances that can serve.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use support_types::api::Readiness;

use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let expected = support_store::migrate::latest_version();
    let backend = state.store.backend().as_str().to_owned();
    let (database, version) = match state.store.ping().await {
        Ok(()) => match state.store.schema_version().await {
            Ok(v) => ("ok".to_owned(), v),
            Err(e) => {
                tracing::warn!(error = %e, "readiness: schema version unreadable");
                ("error".to_owned(), 0)
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            ("unreachable".to_owned(), 0)
        }
    };
    let ready = database == "ok" && version == expected;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "not_ready" }.into(),
            database,
            backend,
            schema_version: version,
            expected_schema_version: expected,
        }),
    )
}

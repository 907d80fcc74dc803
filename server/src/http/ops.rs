//! Health, readiness, metrics and the product catalogue.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::codes;
use super::error::ApiError;
use crate::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::NOT_READY,
                "the database is not reachable",
            )
            .into_response()
        }
    }
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

pub async fn products() -> Json<Value> {
    let list: Vec<Value> = crdt_schema::PRODUCTS
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "trim_in": p.trim_in, "bleed_in": p.bleed_in,
                "safe_in": p.safe_in, "gutter_in": p.gutter_in, "group": p.group,
                "core_aspect": crdt_schema::geometry::core_aspect_ratio(p.group),
            })
        })
        .collect();
    Json(Value::Array(list))
}

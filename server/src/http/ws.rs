//! The WebSocket upgrade: 401, 403 and the connection and room limits (429) are answered
//! before upgrading, then sync takes over.

use std::collections::HashMap;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::{project_role, session_for_token, AppPath};
use crate::ids::ProjectId;
use crate::sync::{serve_socket, Who};
use crate::AppState;

pub async fn upgrade(
    State(app): State<AppState>,
    AppPath(project): AppPath<ProjectId>,
    Query(params): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let token = params
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(
                codes::UNAUTHORIZED,
                "missing token: connect with ?token=<token>",
            )
        })?;
    let session = session_for_token(&app, token).await?;
    let (_, role) = project_role(&app, project, &session).await?;
    let ws = ws.map_err(|r| {
        ApiError::bad_request(
            codes::NOT_WEBSOCKET,
            format!("expected a WebSocket upgrade: {}", r.body_text()),
        )
    })?;
    // The slot is taken here and freed when the permit drops: when the connection ends,
    // whichever way, or when the upgrade never completes.
    let permit = app.limits.connections.admit(session.user.id)?;
    app.sync.open_for_socket(project)?;
    let who = Who {
        project,
        user: session.user.id,
        name: session.user.name.clone(),
        color: crate::auth::user_color(&session.user.id.0),
        session: session.id,
        session_expires: session.expires_at,
        role,
    };
    let sync = app.sync.clone();
    // Frames up to twice the limit are read whole so the reader can answer them with 4413
    // and a reason; beyond that the transport refuses them itself.
    let hard_cap = app.cfg.max_frame_bytes.saturating_mul(2).max(64 * 1024);
    // tungstenite preallocates 128 KiB read and write buffers per socket; a sync socket is
    // mostly idle and its frames small, so small buffers keep an idle connection cheap.
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(hard_cap)
        .max_frame_size(hard_cap)
        .on_upgrade(move |socket| async move {
            serve_socket(socket, sync, who).await;
            drop(permit);
        })
        .into_response())
}

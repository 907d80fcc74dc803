//! The WebSocket upgrade: 401, 403 and the connection and room limits (429) are answered
//! before upgrading, then sync takes over.

use std::collections::HashMap;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::{future, Sink, SinkExt, Stream, StreamExt};

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::{project_role, session_for_token, AppPath};
use crate::ids::ProjectId;
use crate::sync::{serve_socket, Close, Frame, SocketError, Who};
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
            serve_socket(frames(socket), sync, who).await;
            drop(permit);
        })
        .into_response())
}

/// axum's WebSocket as the stream and sink of frames that sync reads and writes.
fn frames(
    socket: WebSocket,
) -> impl Stream<Item = Result<Frame, SocketError>> + Sink<Frame, Error = axum::Error> + Send {
    socket
        .map(|read| read.map(frame_of).map_err(socket_error))
        .with(|frame| future::ready(Ok::<_, axum::Error>(message_of(frame))))
}

fn frame_of(message: Message) -> Frame {
    match message {
        Message::Binary(data) => Frame::Binary(data),
        Message::Text(_) => Frame::Text,
        Message::Ping(data) => Frame::Ping(data),
        Message::Pong(data) => Frame::Pong(data),
        Message::Close(frame) => Frame::Close(frame.map(|f| Close::new(f.code, f.reason.as_str()))),
    }
}

fn message_of(frame: Frame) -> Message {
    match frame {
        Frame::Binary(data) => Message::Binary(data),
        Frame::Text => Message::Text(Default::default()),
        Frame::Ping(data) => Message::Ping(data),
        Frame::Pong(data) => Message::Pong(data),
        Frame::Close(close) => Message::Close(close.map(|c| CloseFrame {
            code: c.code,
            reason: c.reason.into(),
        })),
    }
}

/// tungstenite reports a frame or message over its size limit as "Space limit exceeded"
/// or "... too long"; sync answers those with 4413.
fn socket_error(e: axum::Error) -> SocketError {
    let text = e.to_string();
    if text.contains("too long") || text.contains("Space limit") {
        SocketError::TooLarge
    } else {
        SocketError::Other(text)
    }
}

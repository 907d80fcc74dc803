//! `GET /api/projects/{id}/events?token=`: a project's live events as Server-Sent Events
//! (SPEC §4): `comment`, `member`, `job` and `notification` (the caller's own). They come
//! from the fan-out, so a stream on one node sees what happened on any node.
//!
//! Only members get a stream. It ends at once when the member is removed (after a last
//! `member` event saying so), when the project is deleted, or when the token is revoked.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::error::{ApiError, ApiResult};
use super::extract::{project_role, session_for_token, AppPath};
use crate::fanout::{ActivityKind, Event};
use crate::ids::{ProjectId, SessionId, UserId};
use crate::AppState;

#[derive(Deserialize)]
pub struct EventsQuery {
    token: Option<String>,
}

/// Who a stream is for, and what ends it.
struct Listener {
    project: ProjectId,
    user: UserId,
    session: SessionId,
    rx: tokio::sync::broadcast::Receiver<Event>,
    done: bool,
}

enum Step {
    Send(SseEvent),
    /// Send this, then end.
    Last(SseEvent),
    End,
    Skip,
}

impl Listener {
    fn step(&self, event: Event) -> Step {
        match event {
            Event::Member { project, user, role } if project == self.project => {
                let data = json!({ "user_id": user, "role": role, "action": if role.is_some() { "role" } else { "removed" } });
                let sse = SseEvent::default().event("member").data(data.to_string());
                if user == self.user && role.is_none() {
                    Step::Last(sse)
                } else {
                    Step::Send(sse)
                }
            }
            Event::ProjectDeleted { project } if project == self.project => Step::End,
            Event::SessionRevoked { session } if session == self.session => Step::End,
            Event::Activity { project, user, kind, data } => {
                let for_me = match kind {
                    ActivityKind::Notification => user == Some(self.user),
                    ActivityKind::Comment | ActivityKind::Job => project == Some(self.project),
                };
                if for_me {
                    Step::Send(SseEvent::default().event(kind.as_str()).data(String::from_utf8_lossy(&data)))
                } else {
                    Step::Skip
                }
            }
            _ => Step::Skip,
        }
    }
}

fn event_stream(listener: Listener) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(listener, |mut l| async move {
        if l.done {
            return None;
        }
        loop {
            let event = match l.rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => {
                    // The client missed events: tell it to reload what it shows.
                    let sse = SseEvent::default().event("resync").data(json!({ "missed": n }).to_string());
                    return Some((Ok(sse), l));
                }
                Err(RecvError::Closed) => return None,
            };
            match l.step(event) {
                Step::Send(sse) => return Some((Ok(sse), l)),
                Step::Last(sse) => {
                    l.done = true;
                    return Some((Ok(sse), l));
                }
                Step::End => return None,
                Step::Skip => continue,
            }
        }
    })
}

pub async fn stream(
    State(app): State<AppState>,
    AppPath(id): AppPath<ProjectId>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    let session = match q.token.as_deref().or(bearer).map(str::trim) {
        Some(t) if !t.is_empty() => session_for_token(&app, t).await?,
        _ => return Err(ApiError::unauthorized("unauthorized", "missing token: open the stream with ?token=<token>")),
    };
    // Subscribe before the membership check, so nothing between the two is missed.
    let rx = app.fanout.subscribe();
    project_role(&app, id, &session).await?;
    let listener = Listener { project: id, user: session.user.id, session: session.id, rx, done: false };
    let sse = Sse::new(event_stream(listener)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    Ok(([(header::CACHE_CONTROL, "no-cache"), (header::HeaderName::from_static("x-accel-buffering"), "no")], sse).into_response())
}

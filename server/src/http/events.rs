//! `GET /api/projects/{id}/events?token=`: a project's live events as Server-Sent Events
//! (SPEC §4): `comment`, `member`, `job` and `notification` (the caller's own). They come
//! from the fan-out, so a stream on one node sees what happened on any node.
//!
//! Only members get a stream. It ends at once when the member is removed (after a last
//! `member` event saying so), when the project is deleted, or when the token is revoked.
//! When events may have been missed (the stream lagged, or this node's link to the others
//! came back), membership and the session are checked in the store before going on.

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

use super::codes;
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
    /// To check again, after events may have been missed, that the stream may go on.
    store: std::sync::Arc<dyn crate::store::Store>,
    token_hash: Vec<u8>,
    rx: tokio::sync::broadcast::Receiver<Event>,
    done: bool,
}

enum Step {
    Send(SseEvent),
    /// Send this, then end.
    Last(SseEvent),
    End,
    Skip,
    /// Events may have been missed (a lag, or the link to other nodes came back).
    Recheck(u64),
}

impl Listener {
    fn step(&self, event: Event) -> Step {
        match event {
            Event::Member {
                project,
                user,
                role,
            } if project == self.project => {
                let data = json!({ "user_id": user, "role": role, "action": if role.is_some() { "role" } else { "removed" } });
                let sse = SseEvent::default().event("member").data(data.to_string());
                if user == self.user && role.is_none() {
                    Step::Last(sse)
                } else {
                    Step::Send(sse)
                }
            }
            Event::ProjectDeleted { project } if project == self.project => Step::End,
            Event::Resync => Step::Recheck(0),
            Event::SessionRevoked { session } if session == self.session => Step::End,
            Event::Activity {
                project,
                user,
                kind,
                data,
            } => {
                let for_me = match kind {
                    ActivityKind::Notification => user == Some(self.user),
                    ActivityKind::Comment | ActivityKind::Job => project == Some(self.project),
                };
                if for_me {
                    Step::Send(
                        SseEvent::default()
                            .event(kind.as_str())
                            .data(String::from_utf8_lossy(&data)),
                    )
                } else {
                    Step::Skip
                }
            }
            _ => Step::Skip,
        }
    }
}

/// What the receiver gave: an event, or how many were lost.
enum Missed {
    Event(Event),
    Count(u64),
}

impl Listener {
    async fn still_allowed(&self) -> bool {
        let member = matches!(
            self.store.role_of(self.project, self.user).await,
            Ok(Some(_))
        );
        let session = self
            .store
            .session(&self.token_hash, chrono::Utc::now())
            .await
            .is_ok_and(|s| s.id == self.session);
        member && session
    }
}

fn event_stream(listener: Listener) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(listener, |mut l| async move {
        if l.done {
            return None;
        }
        loop {
            let event = match l.rx.recv().await {
                Ok(e) => Missed::Event(e),
                Err(RecvError::Lagged(n)) => Missed::Count(n),
                Err(RecvError::Closed) => return None,
            };
            let step = match event {
                Missed::Event(e) => l.step(e),
                Missed::Count(n) => Step::Recheck(n),
            };
            match step {
                Step::Recheck(n) => {
                    // A removal, deletion or logout may be among what was missed: check the
                    // store before going on, then tell the client to reload what it shows.
                    if !l.still_allowed().await {
                        return None;
                    }
                    let sse = SseEvent::default()
                        .event("resync")
                        .data(json!({ "missed": n }).to_string());
                    return Some((Ok(sse), l));
                }
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
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let token = q
        .token
        .as_deref()
        .or(bearer)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let session = match token.as_str() {
        t if !t.is_empty() => session_for_token(&app, t).await?,
        _ => {
            return Err(ApiError::unauthorized(
                codes::UNAUTHORIZED,
                "missing token: open the stream with ?token=<token>",
            ))
        }
    };
    // Subscribe before the membership check, so nothing between the two is missed.
    let rx = app.fanout.subscribe();
    project_role(&app, id, &session).await?;
    let listener = Listener {
        project: id,
        user: session.user.id,
        session: session.id,
        store: app.store.clone(),
        token_hash: crate::auth::token_hash(&token),
        rx,
        done: false,
    };
    let sse = Sse::new(event_stream(listener))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        sse,
    )
        .into_response())
}

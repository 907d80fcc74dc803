//! A small Server-Sent Events client for `GET /api/projects/{id}/events`: reads the body as
//! it arrives (reqwest's `bytes_stream`) and splits it into `event:`/`data:` events.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;

/// One event: its type (`message` when the server named none) and its data lines joined.
#[derive(Clone, Debug)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

impl SseEvent {
    /// The data parsed as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| {
            panic!(
                "{} event with non-JSON data {:?}: {e}",
                self.event, self.data
            )
        })
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// An open event stream. Dropping it hangs up.
pub struct SseStream {
    pub content_type: String,
    body: Body,
    /// Bytes received but not yet split into whole lines.
    pending: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    ended: bool,
}

/// Opens `GET {base}/api/projects/{project}/events?token={token}`. `Err` carries the status
/// and JSON body when the server refused the stream.
pub async fn open_events(
    base: &str,
    project: &str,
    token: &str,
) -> Result<SseStream, (StatusCode, Value)> {
    open(&format!(
        "{base}/api/projects/{project}/events?token={token}"
    ))
    .await
}

/// Opens any event stream by URL.
pub async fn open(url: &str) -> Result<SseStream, (StatusCode, Value)> {
    let res = reqwest::Client::new()
        .get(url)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .send()
        .await
        .expect("events request");
    let status = res.status();
    if !status.is_success() {
        let text = res.text().await.unwrap_or_default();
        return Err((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
    }
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok(SseStream {
        content_type,
        body: Box::pin(res.bytes_stream()),
        pending: Vec::new(),
        event: None,
        data: Vec::new(),
        ended: false,
    })
}

impl SseStream {
    /// The next event; `None` once the server has ended the stream (or the connection broke).
    /// Comments (keep-alives) are skipped.
    pub async fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            // Whole lines already received first.
            while let Some(at) = self.pending.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=at).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let line = String::from_utf8(line).expect("SSE lines are UTF-8");
                if let Some(event) = self.line(&line) {
                    return Some(event);
                }
            }
            if self.ended {
                return None;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.pending.extend_from_slice(&chunk),
                Some(Err(_)) | None => self.ended = true,
            }
        }
    }

    /// Takes one line; returns the event it completes, if any.
    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.event = None;
                return None;
            }
            let event = self.event.take().unwrap_or_else(|| "message".into());
            let data = std::mem::take(&mut self.data).join("\n");
            return Some(SseEvent { event, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }

    /// The next event within `timeout`: `Err(())` when none came in time, `Ok(None)` when the
    /// stream ended.
    pub async fn next_within(&mut self, timeout: Duration) -> Result<Option<SseEvent>, ()> {
        tokio::time::timeout(timeout, self.next_event())
            .await
            .map_err(|_| ())
    }

    /// The next event of type `kind`, skipping others; panics when the stream ends or none
    /// comes within `timeout`.
    pub async fn expect_event(&mut self, kind: &str, timeout: Duration) -> SseEvent {
        let wait = async {
            loop {
                match self.next_event().await {
                    Some(e) if e.event == kind => return e,
                    Some(_) => {}
                    None => panic!("the event stream ended before a {kind} event"),
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| panic!("no {kind} event within {timeout:?}"))
    }

    /// The `job` events of job `id` (of `kind`, in `project`) until it is done, each event's
    /// job in order. Panics when it fails or a `timeout` passes without an event, and checks
    /// what every job event must hold: progress a number in [0, 1] that never goes back.
    pub async fn job_until_done(
        &mut self,
        id: &str,
        kind: &str,
        project: &str,
        timeout: Duration,
    ) -> Vec<Value> {
        let mut seen: Vec<Value> = Vec::new();
        loop {
            let data = self.expect_event("job", timeout).await.json();
            let j = data["job"].clone();
            assert!(j.is_object(), "a job event carries the job: {data}");
            if j["id"] != id {
                continue;
            }
            assert_eq!(j["kind"], kind, "{j}");
            assert_eq!(j["project_id"], project, "{j}");
            let state = j["state"].as_str().unwrap_or_default().to_owned();
            assert_ne!(state, "failed", "the job failed: {j}");
            seen.push(j);
            if state == "done" {
                break;
            }
        }
        let progress: Vec<f64> = seen
            .iter()
            .map(|j| j["progress"].as_f64().expect("progress is a number"))
            .collect();
        assert!(
            progress.iter().all(|p| (0.0..=1.0).contains(p)),
            "{progress:?}"
        );
        assert!(
            progress.windows(2).all(|w| w[0] <= w[1]),
            "progress never goes back: {progress:?}"
        );
        seen
    }

    /// Reads until the server ends the stream: every event received before the end, or `None`
    /// when the stream was still open after `timeout`.
    pub async fn until_end(&mut self, timeout: Duration) -> Option<Vec<SseEvent>> {
        let mut seen = Vec::new();
        let drain = async {
            while let Some(e) = self.next_event().await {
                seen.push(e);
            }
        };
        tokio::time::timeout(timeout, drain).await.ok()?;
        Some(seen)
    }
}

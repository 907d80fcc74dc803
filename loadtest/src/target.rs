//! The servers under test and how to open a room on each: where to connect, with which
//! framing, and (for Folio) the account and project to use.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::wire::Framing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Folio: accounts, projects and `/ws/projects/{id}?token=`.
    Folio,
    /// `@y/websocket-server`: `/{room}`.
    YWebsocket,
    /// `@hocuspocus/server`: one socket URL, document name in every frame.
    Hocuspocus,
    /// y-sweet: `POST /doc/new {docId}`, then `/d/{doc}/ws/{doc}`.
    YSweet,
    /// The bare relay in this crate: `/{room}`, no CRDT work.
    Relay,
}

/// Where one room lives.
#[derive(Debug, Clone)]
pub struct RoomAddr {
    pub url: String,
    pub framing: Framing,
    /// Hocuspocus's first message carries a token.
    pub auth: Option<String>,
    /// The user id written as `createdBy`.
    pub user: String,
}

pub struct Target {
    pub kind: Kind,
    pub base: String,
    http: reqwest::Client,
    folio: Option<(String, String)>,
}

impl Target {
    /// Prepares a target; for Folio this signs up a load-test user.
    pub async fn new(kind: Kind, base: &str) -> anyhow::Result<Target> {
        let base = base.trim_end_matches('/').to_owned();
        let http = reqwest::Client::new();
        let folio = if kind == Kind::Folio {
            let email = format!("load-{}@loadtest.invalid", uuid::Uuid::new_v4().simple());
            let res = http
                .post(format!("{base}/api/auth/signup"))
                .json(&json!({"email": email, "name": "Load Test", "password": "load-test-password"}))
                .send()
                .await
                .with_context(|| format!("signing up at {base}"))?;
            if !res.status().is_success() {
                bail!("signup at {base} failed with {}", res.status());
            }
            let body: Value = res.json().await?;
            let token = body["token"].as_str().context("signup returned no token")?.to_owned();
            let user = body["user"]["id"].as_str().context("signup returned no user id")?.to_owned();
            Some((token, user))
        } else {
            None
        };
        Ok(Target { kind, base, http, folio })
    }

    fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    /// Opens (or names) a room.
    pub async fn room(&self, name: &str) -> anyhow::Result<RoomAddr> {
        let ws = self.ws_base();
        let user = "00000000-0000-4000-8000-00000000load".to_owned();
        Ok(match self.kind {
            Kind::Folio => {
                let (token, user) = self.folio.clone().expect("folio account");
                let res = self
                    .http
                    .post(format!("{}/api/projects", self.base))
                    .bearer_auth(&token)
                    .json(&json!({"title": name}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("creating a project failed with {}", res.status());
                }
                let body: Value = res.json().await?;
                let id = body["project"]["id"].as_str().context("no project id")?;
                RoomAddr { url: format!("{ws}/ws/projects/{id}?token={token}"), framing: Framing::YWebsocket, auth: None, user }
            }
            Kind::YSweet => {
                let res = self.http.post(format!("{}/doc/new", self.base)).json(&json!({"docId": name})).send().await?;
                if !res.status().is_success() {
                    bail!("creating a y-sweet doc failed with {}", res.status());
                }
                let body: Value = res.json().await?;
                let id = body["docId"].as_str().context("no docId")?;
                RoomAddr { url: format!("{ws}/d/{id}/ws/{id}"), framing: Framing::YWebsocket, auth: None, user }
            }
            Kind::YWebsocket | Kind::Relay => RoomAddr { url: format!("{ws}/{name}"), framing: Framing::YWebsocket, auth: None, user },
            Kind::Hocuspocus => RoomAddr {
                url: format!("{ws}/"),
                framing: Framing::Hocuspocus { document: name.to_owned() },
                auth: Some("loadtest".into()),
                user,
            },
        })
    }
}

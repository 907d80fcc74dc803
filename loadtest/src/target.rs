//! The servers under test and how to open a room on each: where to connect, with which
//! framing, and (for Folio) the account and project to use.
//!
//! Folio may be given several nodes (scale-out mode: one PostgreSQL, Redis between them).
//! A room is then created once and reachable on every node, and each client of the room
//! picks the node it connects to.

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
    /// The room's WebSocket URL on `node`.
    pub url: String,
    /// The node this address points at (an index into the target's nodes).
    pub node: usize,
    /// The room's WebSocket URL on every node, in the target's order.
    pub urls: Vec<String>,
    pub framing: Framing,
    /// Hocuspocus's first message carries a token.
    pub auth: Option<String>,
    /// The user id written as `createdBy`.
    pub user: String,
}

impl RoomAddr {
    /// The same room on node `node` (modulo the number of nodes).
    pub fn on(&self, node: usize) -> RoomAddr {
        let node = node % self.urls.len().max(1);
        RoomAddr {
            url: self
                .urls
                .get(node)
                .cloned()
                .unwrap_or_else(|| self.url.clone()),
            node,
            ..self.clone()
        }
    }
}

pub struct Target {
    pub kind: Kind,
    /// The first node's HTTP base URL.
    pub base: String,
    /// Every node's HTTP base URL (`base` first).
    pub nodes: Vec<String>,
    /// Process ids of the nodes after the first, whose CPU and memory are added to the
    /// first node's (`Env::server_pid`).
    pub peer_pids: Vec<u32>,
    http: reqwest::Client,
    folio: Option<(String, String)>,
}

impl Target {
    /// Prepares a target; for Folio this signs up a load-test user.
    pub async fn new(kind: Kind, base: &str) -> anyhow::Result<Target> {
        Target::with_nodes(kind, &[base.to_owned()]).await
    }

    /// Prepares a target served by several nodes that share their state (Folio in
    /// scale-out mode). The account is made on the first node; every node must accept it.
    pub async fn with_nodes(kind: Kind, bases: &[String]) -> anyhow::Result<Target> {
        let nodes: Vec<String> = bases
            .iter()
            .map(|b| b.trim_end_matches('/').to_owned())
            .collect();
        let Some(base) = nodes.first().cloned() else {
            bail!("no server URL given")
        };
        if nodes.len() > 1 && kind != Kind::Folio {
            bail!("several nodes need a server that shares rooms between them (--target folio)");
        }
        let http = reqwest::Client::new();
        let folio = if kind == Kind::Folio {
            let email = format!("load-{}@loadtest.invalid", uuid::Uuid::new_v4().simple());
            let res = http
                .post(format!("{base}/api/auth/signup"))
                .json(
                    &json!({"email": email, "name": "Load Test", "password": "load-test-password"}),
                )
                .send()
                .await
                .with_context(|| format!("signing up at {base}"))?;
            if !res.status().is_success() {
                bail!("signup at {base} failed with {}", res.status());
            }
            let body: Value = res.json().await?;
            let token = body["token"]
                .as_str()
                .context("signup returned no token")?
                .to_owned();
            let user = body["user"]["id"]
                .as_str()
                .context("signup returned no user id")?
                .to_owned();
            // The other nodes must know the login too (they share the database).
            for node in &nodes[1..] {
                let res = http
                    .get(format!("{node}/api/me"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .with_context(|| format!("reaching {node}"))?;
                if !res.status().is_success() {
                    bail!("{node} does not accept the login made at {base} ({}): do the nodes share one database?", res.status());
                }
            }
            Some((token, user))
        } else {
            None
        };
        Ok(Target {
            kind,
            base,
            nodes,
            peer_pids: Vec::new(),
            http,
            folio,
        })
    }

    fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    /// Opens (or names) a room, on the first node.
    pub async fn room(&self, name: &str) -> anyhow::Result<RoomAddr> {
        self.room_via(name, 0).await
    }

    /// Opens (or names) a room, asking node `via` (modulo the number of nodes) to create it;
    /// the address returned points at that node.
    pub async fn room_via(&self, name: &str, via: usize) -> anyhow::Result<RoomAddr> {
        let ws = self.ws_base();
        let user = "00000000-0000-4000-8000-00000000load".to_owned();
        let single = |url: String, framing: Framing, auth: Option<String>, user: String| RoomAddr {
            urls: vec![url.clone()],
            url,
            node: 0,
            framing,
            auth,
            user,
        };
        Ok(match self.kind {
            Kind::Folio => {
                let (token, user) = self.folio.clone().expect("folio account");
                let via = via % self.nodes.len();
                let res = self
                    .http
                    .post(format!("{}/api/projects", self.nodes[via]))
                    .bearer_auth(&token)
                    .json(&json!({"title": name}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!(
                        "creating a project at {} failed with {}",
                        self.nodes[via],
                        res.status()
                    );
                }
                let body: Value = res.json().await?;
                let id = body["project"]["id"].as_str().context("no project id")?;
                let urls: Vec<String> = self
                    .nodes
                    .iter()
                    .map(|n| {
                        format!(
                            "{}/ws/projects/{id}?token={token}",
                            n.replacen("http", "ws", 1)
                        )
                    })
                    .collect();
                RoomAddr {
                    url: urls[via].clone(),
                    node: via,
                    urls,
                    framing: Framing::YWebsocket,
                    auth: None,
                    user,
                }
            }
            Kind::YSweet => {
                let res = self
                    .http
                    .post(format!("{}/doc/new", self.base))
                    .json(&json!({"docId": name}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("creating a y-sweet doc failed with {}", res.status());
                }
                let body: Value = res.json().await?;
                let id = body["docId"].as_str().context("no docId")?;
                single(
                    format!("{ws}/d/{id}/ws/{id}"),
                    Framing::YWebsocket,
                    None,
                    user,
                )
            }
            Kind::YWebsocket | Kind::Relay => {
                single(format!("{ws}/{name}"), Framing::YWebsocket, None, user)
            }
            Kind::Hocuspocus => single(
                format!("{ws}/"),
                Framing::Hocuspocus {
                    document: name.to_owned(),
                },
                Some("loadtest".into()),
                user,
            ),
        })
    }
}

//! Who is online (SPEC §12 friends): a user is online while they have a live sync
//! connection on any node.
//!
//! Each node counts its own connections per user. With Redis, each node also keeps the set of
//! its online users in `folio:presence:<node>`, rewritten whenever it changes (and every
//! `REFRESH`) with an expiry of `TTL`, and lists itself in `folio:presence:nodes`; a query
//! unions the live nodes' sets. A node that dies stops refreshing, so its users go offline
//! within `TTL`. Without Redis the node's own counts are the answer.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::fanout::NodeId;
use crate::ids::UserId;

const NODES: &str = "folio:presence:nodes";
const REFRESH: Duration = Duration::from_secs(10);
const TTL_S: u64 = 30;

fn node_key(node: &str) -> String {
    format!("folio:presence:{node}")
}

#[derive(Clone)]
pub struct Presence {
    local: Arc<Mutex<HashMap<UserId, usize>>>,
    changed: Arc<Notify>,
    redis: Option<redis::aio::ConnectionManager>,
}

/// Held while a connection is open; dropping it counts the connection out.
pub struct Online {
    presence: Presence,
    user: UserId,
}

impl Drop for Online {
    fn drop(&mut self) {
        let mut local = self.presence.local.lock().expect("presence lock");
        if let Some(n) = local.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                local.remove(&self.user);
                self.presence.changed.notify_one();
            }
        }
    }
}

impl Presence {
    /// This node's counts only.
    pub fn local() -> Presence {
        Presence {
            local: Arc::default(),
            changed: Arc::new(Notify::new()),
            redis: None,
        }
    }

    /// Shares this node's online users through Redis; `Err` when Redis cannot be reached at
    /// start (as for the fan-out, a misconfigured node does not start).
    pub async fn with_redis(url: &str, node: NodeId) -> Result<Presence, String> {
        let client =
            redis::Client::open(url).map_err(|e| format!("REDIS_URL is not usable: {e}"))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let conn = redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| format!("cannot reach Redis for presence: {e}"))?;
        let presence = Presence {
            local: Arc::default(),
            changed: Arc::new(Notify::new()),
            redis: Some(conn.clone()),
        };
        tokio::spawn(publish_loop(presence.clone(), conn, node.to_string()));
        Ok(presence)
    }

    /// Counts a connection of `user` in until the returned guard is dropped.
    pub fn connected(&self, user: UserId) -> Online {
        let mut local = self.local.lock().expect("presence lock");
        let n = local.entry(user).or_insert(0);
        *n += 1;
        if *n == 1 {
            self.changed.notify_one();
        }
        Online {
            presence: self.clone(),
            user,
        }
    }

    fn local_users(&self) -> Vec<UserId> {
        self.local
            .lock()
            .expect("presence lock")
            .keys()
            .copied()
            .collect()
    }

    /// Which of `users` are online on any node. With Redis down, this node's view.
    pub async fn online_among(&self, users: &[UserId]) -> HashSet<UserId> {
        let mut online: HashSet<UserId> = self.local_users().into_iter().collect();
        if let Some(mut conn) = self.redis.clone() {
            match everyone_online(&mut conn).await {
                Ok(all) => online.extend(all),
                Err(e) => {
                    tracing::warn!(error = %e, "presence from Redis unavailable; answering with this node's connections")
                }
            }
        }
        users
            .iter()
            .copied()
            .filter(|u| online.contains(u))
            .collect()
    }
}

async fn everyone_online(
    conn: &mut redis::aio::ConnectionManager,
) -> redis::RedisResult<HashSet<UserId>> {
    let nodes: Vec<String> = redis::cmd("SMEMBERS").arg(NODES).query_async(conn).await?;
    if nodes.is_empty() {
        return Ok(HashSet::new());
    }
    let keys: Vec<String> = nodes.iter().map(|n| node_key(n)).collect();
    let sets: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(conn).await?;
    let mut out = HashSet::new();
    for (node, set) in nodes.iter().zip(sets) {
        match set {
            Some(list) => out.extend(list.split(' ').filter_map(|s| s.parse::<UserId>().ok())),
            // Its key expired: the node is gone.
            None => {
                let _: redis::RedisResult<i64> = redis::cmd("SREM")
                    .arg(NODES)
                    .arg(node)
                    .query_async(conn)
                    .await;
            }
        }
    }
    Ok(out)
}

/// Rewrites this node's set whenever it changes, and every `REFRESH` to keep it alive.
async fn publish_loop(presence: Presence, mut conn: redis::aio::ConnectionManager, node: String) {
    let key = node_key(&node);
    loop {
        let users: Vec<String> = presence
            .local_users()
            .iter()
            .map(|u| u.to_string())
            .collect();
        let written: redis::RedisResult<()> = async {
            redis::cmd("SET")
                .arg(&key)
                .arg(users.join(" "))
                .arg("EX")
                .arg(TTL_S)
                .query_async::<()>(&mut conn)
                .await?;
            redis::cmd("SADD")
                .arg(NODES)
                .arg(&node)
                .query_async::<i64>(&mut conn)
                .await?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            tracing::debug!(error = %e, "could not share presence through Redis");
        }
        let _ = tokio::time::timeout(REFRESH, presence.changed.notified()).await;
    }
}

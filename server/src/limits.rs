//! Abuse limits of one node: login and sign-up rates per account and per client address,
//! and live WebSocket connections per user and per node.
//!
//! Each limit refuses with a `Refused` that says when to try again; the HTTP layer turns it
//! into 429 with `Retry-After`. Rooms per node are bounded by the room registry itself
//! (`sync`), and password hashes by `auth::Passwords`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::ids::UserId;

/// Why a request was refused, and when it may be tried again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("too many login attempts for this account; try again in {} s", secs(*.retry_after))]
    LoginsForAccount { retry_after: Duration },
    #[error("too many login attempts from your network address; try again in {} s", secs(*.retry_after))]
    LoginsFromAddress { retry_after: Duration },
    #[error("too many sign-ups from your network address; try again in {} s", secs(*.retry_after))]
    SignupsFromAddress { retry_after: Duration },
    #[error("you already have {max} live connections to this server, the most allowed; close a tab or window and try again")]
    UserConnections { max: usize },
    #[error("this server is at its limit of {max} live connections; try again shortly")]
    NodeConnections { max: usize },
}

impl Refused {
    /// How long the client should wait, as `Retry-After` says it: whole seconds, at least 1.
    pub fn retry_after_s(&self) -> u64 {
        match self {
            Refused::LoginsForAccount { retry_after }
            | Refused::LoginsFromAddress { retry_after }
            | Refused::SignupsFromAddress { retry_after } => secs(*retry_after),
            // A connection slot frees when someone disconnects: soon, but not predictably.
            Refused::UserConnections { .. } | Refused::NodeConnections { .. } => 5,
        }
    }

    /// A label for the refusals metric.
    fn metric(&self) -> &'static str {
        match self {
            Refused::LoginsForAccount { .. } => "login_account",
            Refused::LoginsFromAddress { .. } => "login_address",
            Refused::SignupsFromAddress { .. } => "signup_address",
            Refused::UserConnections { .. } => "connections_user",
            Refused::NodeConnections { .. } => "connections_node",
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

fn refused(r: Refused) -> Refused {
    metrics::counter!("folio_limit_refusals_total", "limit" => r.metric()).increment(1);
    r
}

/// The part of a client address that one party controls: the whole IPv4 address, or the
/// /64 prefix of an IPv6 one (a single host is usually handed a whole /64).
pub fn address_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

/// An account as the login limit counts it: the email, trimmed and lower-cased, hashed to a
/// fixed size so that long or many emails cost little memory. Unknown emails are counted
/// the same way, so a 429 says nothing about whether an account exists.
fn account_key(email: &str) -> [u8; 16] {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// How often idle keys are dropped from the keyed limiters.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// A keyed GCRA limiter: `n` attempts at once, refilled evenly over `window`.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    started: Instant,
    /// Milliseconds after `started` of the last purge of idle keys.
    purged_ms: AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    /// `None` when `n` is 0 (the limit is off).
    fn new(n: u32, window: Duration) -> Option<Keyed<K>> {
        let n = NonZeroU32::new(n)?;
        let period = (window / n.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)?.allow_burst(n);
        Some(Keyed {
            limiter: RateLimiter::dashmap(quota),
            started: Instant::now(),
            purged_ms: AtomicU64::new(0),
        })
    }

    /// `Err(wait)` when the key is over its limit.
    fn check(&self, key: &K) -> Result<(), Duration> {
        self.purge_now_and_then();
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Drops keys that are back to a full allowance, at most once a minute, so memory stays
    /// bounded by the keys seen in one window.
    fn purge_now_and_then(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.purged_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= PURGE_EVERY.as_millis() as u64
            && self
                .purged_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

/// The limits of one node, shared by every request handler.
pub struct Limits {
    login_account: Option<Keyed<[u8; 16]>>,
    login_address: Option<Keyed<IpAddr>>,
    signup_address: Option<Keyed<IpAddr>>,
    pub connections: Arc<Connections>,
}

impl Limits {
    pub fn new(cfg: &Config) -> Limits {
        let login = Duration::from_secs(cfg.login_window_s.max(1));
        let signup = Duration::from_secs(cfg.signup_window_s.max(1));
        Limits {
            login_account: Keyed::new(cfg.login_per_account, login),
            login_address: Keyed::new(cfg.login_per_address, login),
            signup_address: Keyed::new(cfg.signups_per_address, signup),
            connections: Arc::new(Connections::new(
                cfg.max_connections_per_user as usize,
                cfg.max_connections as usize,
            )),
        }
    }

    /// Counts a login attempt from `addr` for `email`. The address is checked first, so one
    /// address cannot fill the account table.
    pub fn login(&self, addr: IpAddr, email: &str) -> Result<(), Refused> {
        if let Some(l) = &self.login_address {
            l.check(&address_key(addr))
                .map_err(|retry_after| refused(Refused::LoginsFromAddress { retry_after }))?;
        }
        if let Some(l) = &self.login_account {
            l.check(&account_key(email))
                .map_err(|retry_after| refused(Refused::LoginsForAccount { retry_after }))?;
        }
        Ok(())
    }

    /// Counts a sign-up from `addr`.
    pub fn signup(&self, addr: IpAddr) -> Result<(), Refused> {
        match &self.signup_address {
            Some(l) => l
                .check(&address_key(addr))
                .map_err(|retry_after| refused(Refused::SignupsFromAddress { retry_after })),
            None => Ok(()),
        }
    }
}

/// Live WebSocket connections on this node, in total and per user.
pub struct Connections {
    max_per_user: usize,
    max: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_user: HashMap<UserId, usize>,
}

/// One admitted connection; dropping it, on whatever path the connection ends, frees its slot.
#[must_use = "the slot is freed when the permit is dropped"]
pub struct ConnectionPermit {
    connections: Arc<Connections>,
    user: UserId,
}

impl Connections {
    pub fn new(max_per_user: usize, max: usize) -> Connections {
        Connections {
            max_per_user: max_per_user.max(1),
            max: max.max(1),
            counts: Mutex::default(),
        }
    }

    /// Takes a slot for one more connection of `user`, or says which bound it would break.
    /// The check and the count happen under one lock, so concurrent upgrades never overshoot.
    pub fn admit(self: &Arc<Self>, user: UserId) -> Result<ConnectionPermit, Refused> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.total >= self.max {
            return Err(refused(Refused::NodeConnections { max: self.max }));
        }
        let mine = counts.per_user.entry(user).or_insert(0);
        if *mine >= self.max_per_user {
            return Err(refused(Refused::UserConnections {
                max: self.max_per_user,
            }));
        }
        *mine += 1;
        counts.total += 1;
        Ok(ConnectionPermit {
            connections: self.clone(),
            user,
        })
    }

    /// Live connections of `user` on this node.
    pub fn of_user(&self, user: UserId) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .per_user
            .get(&user)
            .copied()
            .unwrap_or(0)
    }

    /// Live connections on this node.
    pub fn total(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self
            .connections
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                counts.per_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserId {
        UserId(uuid::Uuid::new_v4())
    }

    #[test]
    fn connections_are_bounded_per_user_and_per_node_and_freed_on_drop() {
        let c = Arc::new(Connections::new(2, 3));
        let (a, b) = (user(), user());
        let a1 = c.admit(a).unwrap();
        let a2 = c.admit(a).unwrap();
        assert_eq!(c.admit(a).err(), Some(Refused::UserConnections { max: 2 }));
        let b1 = c.admit(b).unwrap();
        assert_eq!(c.admit(b).err(), Some(Refused::NodeConnections { max: 3 }));
        drop(a1);
        assert_eq!(c.of_user(a), 1);
        let b2 = c.admit(b).unwrap();
        drop((a2, b1, b2));
        assert_eq!(c.total(), 0);
        assert_eq!(c.of_user(a), 0);
        assert!(
            c.counts.lock().unwrap().per_user.is_empty(),
            "no empty entries are kept"
        );
    }

    #[test]
    fn concurrent_admissions_never_overshoot() {
        let c = Arc::new(Connections::new(5, 1000));
        let u = user();
        let permits: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50).map(|_| s.spawn(|| c.admit(u).ok())).collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(permits.len(), 5);
        drop(permits);
        assert_eq!(c.total(), 0);
    }

    #[test]
    fn login_attempts_are_limited_per_account_then_per_address() {
        let mut cfg = Config::test("/nonexistent");
        cfg.login_per_account = 3;
        cfg.login_per_address = 5;
        cfg.login_window_s = 300;
        let limits = Limits::new(&cfg);
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            limits.login(addr, "Ann@Example.com").unwrap();
        }
        // Case and spaces do not make a new account.
        match limits.login(addr, " ann@example.com ") {
            Err(Refused::LoginsForAccount { retry_after }) => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(100))
            }
            other => panic!("expected the account limit, got {other:?}"),
        }
        // Another account from the same address: the address has 2 attempts left (the
        // refused one was not counted against the account, but was against the address).
        limits.login(addr, "bob@example.com").unwrap();
        assert!(matches!(
            limits.login(addr, "cy@example.com"),
            Err(Refused::LoginsFromAddress { .. })
        ));
        // Another address is not affected.
        limits
            .login("192.0.2.2".parse().unwrap(), "dee@example.com")
            .unwrap();
    }

    #[test]
    fn zero_turns_a_rate_limit_off() {
        let mut cfg = Config::test("/nonexistent");
        cfg.signups_per_address = 0;
        let limits = Limits::new(&cfg);
        for _ in 0..1000 {
            limits.signup("192.0.2.1".parse().unwrap()).unwrap();
        }
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a = address_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = address_key("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = address_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(secs(Duration::from_millis(1)), 1);
        assert_eq!(secs(Duration::ZERO), 1);
        assert_eq!(secs(Duration::from_secs(30)), 30);
        assert_eq!(secs(Duration::from_millis(29_001)), 30);
    }
}

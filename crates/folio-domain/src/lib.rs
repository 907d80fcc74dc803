//! Folio's shared vocabulary: ids, roles and access rules, the node's configuration, the
//! domain events that handlers raise and subscribers handle, and the port machine work
//! writes books through.
//!
//! Every other server crate depends on this one and it depends on none of them. It does no
//! IO: the configuration is parsed from flags and environment by clap, and read by the
//! crates that act on it.

pub mod access;
pub mod config;
pub mod docs;
pub mod events;
pub mod ids;

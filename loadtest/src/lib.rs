//! A load generator that speaks the y-websocket protocol (and Hocuspocus's framing) like a
//! real client, replays a photo-book editing mix, and measures what the server delivers.
//!
//! It never links the server: it drives any server over the wire, so Folio and the servers
//! it is compared with are measured the same way (SPEC §14).

pub mod editor;
pub mod ingest;
pub mod photo_gen;
pub mod proc_stats;
pub mod relay;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod target;
pub mod wire;

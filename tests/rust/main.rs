//! End-to-end tests: real servers on port 0 (and the real binary for crash tests), driven
//! over real HTTP and WebSockets by yrs clients.

mod access;
mod automix;
mod bad_input;
mod blob_s3;
mod cluster_events;
mod durability;
mod fuzz_regressions;
mod hardening;
mod http_api;
mod invites;
mod jobs;
mod layouts;
mod limits;
mod loadtest_smoke;
mod multinode;
mod photo_meta;
mod photos;
mod preflight;
mod print_job;
mod proactive;
mod renders;
mod store;
mod sync;
mod tidy;
mod versions;
mod wall;

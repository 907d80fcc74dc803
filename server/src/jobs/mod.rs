//! Background jobs: the queue with its leases and workers (`queue`), and the job kinds this
//! build runs, each a [`JobKind`] the node registers (`registry`): versions, automix,
//! proactive books and print renders. Jobs write to books only through the
//! [`DocWriter`](folio_domain::docs::DocWriter) port; they never reach a room.

pub mod automix;
mod log_writer;
pub mod proactive;
mod queue;
pub mod render;
pub mod versions;

pub use log_writer::LogWriter;
pub use queue::{
    edit_doc, spawn_workers, JobKind, Progress, Queue, Registry, WorkerDeps, DEFAULT_ATTEMPTS,
};
pub use versions::{VersionJob, VERSION};

/// Every job kind this build runs.
pub fn registry() -> Registry {
    Registry::default()
        .with(versions::VersionKind)
        .with(automix::AutomixKind)
        .with(proactive::ProactiveKind)
        .with(render::RenderKind)
}

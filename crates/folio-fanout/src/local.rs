//! In-process fan-out for the single-node default: a broadcast channel.

use tokio::sync::broadcast;

use super::{Event, Fanout, FanoutError};

pub struct LocalFanout {
    tx: broadcast::Sender<Event>,
}

impl LocalFanout {
    pub fn new() -> LocalFanout {
        let (tx, _) = broadcast::channel(4096);
        LocalFanout { tx }
    }
}

impl Default for LocalFanout {
    fn default() -> Self {
        Self::new()
    }
}

impl Fanout for LocalFanout {
    fn publish(&self, event: Event) -> Result<(), FanoutError> {
        // With one node there is nobody else to relay document traffic to.
        if matches!(event, Event::DocUpdate { .. } | Event::Awareness { .. }) {
            return Ok(());
        }
        // No receiver just means no room is loaded; that is fine.
        let _ = self.tx.send(event);
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

//! The application's own events (`scan.progress`, `scan.completed`, `movie.updated`), pushed to
//! WebSocket clients beside the queue's job events.

use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How far a slow subscriber may fall behind before it is dropped.
const BUFFER: usize = 1024;

/// A cheap-to-clone publisher of `{ "type", "data" }` messages.
#[derive(Clone)]
pub struct AppEvents {
    sender: broadcast::Sender<Arc<str>>,
}

impl Default for AppEvents {
    fn default() -> Self {
        AppEvents::new()
    }
}

impl AppEvents {
    /// A publisher with nobody listening yet.
    pub fn new() -> AppEvents {
        AppEvents { sender: broadcast::channel(BUFFER).0 }
    }

    /// Publishes an event; free when nobody listens.
    pub fn publish(&self, kind: &str, data: &impl Serialize) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let message = serde_json::json!({ "type": kind, "data": data }).to_string();
        let _ = self.sender.send(message.into());
    }

    /// Events from now on, already serialised.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.sender.subscribe()
    }
}

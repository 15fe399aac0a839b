//! Messaging services. Each takes the connection to work in; every change
//! commits before it is published on the realtime bus.

mod access;
mod attachments;
mod files;
mod keyset;
mod messages;
mod rooms;

use std::sync::Arc;

pub use files::FileService;
pub use messages::{MessageService, history_statement};
pub use rooms::RoomService;
use trellis_kernel::{SharedClock, ports::Memberships};

use crate::{files::FileStorage, realtime::RealtimeBus};

/// What every messaging service needs.
#[derive(Clone)]
pub struct MessagingDeps {
    /// Now.
    pub clock: SharedClock,
    /// Organization memberships (who may join an organization's rooms).
    pub memberships: Arc<dyn Memberships>,
    /// Where committed changes go to reach sockets.
    pub realtime: Arc<dyn RealtimeBus>,
}

impl std::fmt::Debug for MessagingDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessagingDeps")
    }
}

/// Every messaging service.
#[derive(Debug, Clone)]
pub struct Messaging {
    /// Rooms and members.
    pub rooms: RoomService,
    /// Messages and read markers.
    pub messages: MessageService,
    /// Uploads, downloads and signed links.
    pub files: FileService,
}

impl Messaging {
    /// Wires the services; files are kept and checked as `storage` says
    /// ([`FileStorage::in_memory`] in tests).
    pub fn new(deps: MessagingDeps, storage: FileStorage) -> Self {
        let deps = Arc::new(deps);
        Self {
            rooms: RoomService::new(deps.clone()),
            messages: MessageService::new(deps.clone()),
            files: FileService::new(deps, storage),
        }
    }
}

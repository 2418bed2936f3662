//! What the organisation, as controller, needs to honour people's rights
//! and its own record of processing: the export of everything held about
//! one person, their erasure, and retention enforced by a sweeper.

pub mod erase;
pub mod export;
pub mod retention;

pub use erase::{erase_address, erase_user, resume_erasures, Erased};
pub use export::{export_address, export_user, masked};
pub use retention::{sweep, Sweeper, Swept};

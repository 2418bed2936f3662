//! `[email_in]`: the SMTP listener that takes alarms by email. Without the
//! table nothing listens for mail.

use super::reader::{Reader, TableCursor};
use std::net::SocketAddr;

/// One MiB: an alarm is a few lines of text, not an attachment.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailInConfig {
    pub listen: SocketAddr,
    /// A message larger than this is refused (552) before it is stored.
    pub max_message_bytes: usize,
}

pub(super) fn read_email_in(r: &mut Reader, t: &mut TableCursor) -> Option<EmailInConfig> {
    if !t.has("listen") {
        r.missing(t, "listen");
        return None;
    }
    let listen = r.parsed(
        t,
        "listen",
        "an address and port such as 0.0.0.0:2525",
        |s| s.parse::<SocketAddr>().ok(),
    );
    let max_message_bytes = r
        .integer(
            t,
            "max_message_bytes",
            1024,
            64 * 1024 * 1024,
            "a number of bytes from 1024 to 67108864",
        )
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
    Some(EmailInConfig {
        listen: listen?,
        max_message_bytes,
    })
}

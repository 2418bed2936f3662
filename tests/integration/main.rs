//! Integration tests: the real `tocsin` binary, over real HTTPS, with sled in a
//! temporary directory. One test binary, because each file under tests/ is a
//! separate slow link.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::indexing_slicing
)]

mod access_review;
mod alerts;
mod api;
mod app;
mod app_places;
mod audit_trail;
mod browser;
mod cap;
mod checkin_crash;
mod cli;
mod console;
mod continuity;
mod crash;
mod devices;
mod durability;
mod email;
mod email_in;
mod fixtures;
mod history;
mod identity;
mod inbox;
mod inbox_crash;
mod inprocess;
mod isolation;
mod loopback;
mod map;
mod pdu_spec;
mod places;
mod privacy;
mod privileges;
mod retention_crash;
mod rsyslog;
mod scim;
mod sms;
mod smtp;
mod sshd;
mod support;
mod systemd;
mod tetra;
mod tls;
mod voice;
mod voice_crash;
mod webhooks;

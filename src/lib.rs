//! Tocsin: a self-hosted critical-communications appliance. The binary is a thin
//! command line over this library, so tests and benchmarks drive the same code.

pub mod access_review;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cap;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod daemon;
pub mod demo;
pub mod devices;
pub mod dispatch;
pub mod geo;
pub mod hw;
pub mod ids;
pub mod inbox;
pub mod live;
pub mod metrics;
pub mod pem;
pub mod places;
pub mod provisioning;
pub mod secret;
pub mod security;
pub mod service_manager;
pub mod speech;
pub mod standby;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod validate;
pub mod web;
pub mod webhooks;

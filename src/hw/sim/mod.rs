//! Simulated devices that speak the same bytes as real ones over a
//! pseudo-terminal, faults included.

// A simulated device keeps its own time, as a real one does.
#![allow(clippy::disallowed_methods)]

pub mod modem;
pub mod radio;
mod shell;

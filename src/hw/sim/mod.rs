//! Simulated devices that speak the same bytes as real ones over a
//! pseudo-terminal, faults included.

pub mod modem;
pub mod radio;

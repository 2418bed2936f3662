//! Who may do what: password hashing, API keys, roles and their permissions.

pub mod apikey;
pub mod password;
pub mod roles;

pub use roles::{Permission, Role};

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

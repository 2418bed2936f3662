//! Who may do what: passwords and their policy, logins, sessions, second
//! factors, API keys, roles and their permissions.

pub mod apikey;
pub mod login;
pub mod password;
pub mod policy;
pub mod roles;
pub mod second_factor;
pub mod session;
pub mod token;

pub use roles::{Access, Permission};

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

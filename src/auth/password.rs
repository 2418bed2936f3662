//! Password hashing with argon2id (RFC 9106), stored as PHC strings so that the
//! parameters travel with each hash and can be raised without a migration.

use argon2::{Config, Variant, Version};

/// Chosen by measurement on a 2-core appliance (see README, "Passwords"):
/// 64 MiB and 3 passes is about 0.15 s per hash in a release build, slow enough
/// to make offline guessing expensive and fast enough for a login under load.
/// Memory is bounded: a handful of parallel logins stay well under 1 GiB.
pub const MEMORY_KIB: u32 = 64 * 1024;
pub const PASSES: u32 = 3;
pub const LANES: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the system random generator failed: {0}")]
    Random(#[from] getrandom::Error),
    #[error("password hashing failed: {0}")]
    Hash(#[from] argon2::Error),
}

fn config<'a>() -> Config<'a> {
    Config {
        variant: Variant::Argon2id,
        version: Version::Version13,
        mem_cost: MEMORY_KIB,
        time_cost: PASSES,
        lanes: LANES,
        hash_length: 32,
        ..Config::default()
    }
}

/// At most this many hashes run at once: each takes [`MEMORY_KIB`], and a
/// burst of logins must queue rather than exhaust the service's memory.
const PARALLEL_HASHES: usize = 4;

struct Slots {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

static SLOTS: Slots = Slots {
    free: std::sync::Mutex::new(PARALLEL_HASHES),
    freed: std::sync::Condvar::new(),
};

/// Runs `f` holding one of the hashing slots.
fn in_slot<T>(f: impl FnOnce() -> T) -> T {
    {
        let mut free = SLOTS
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *free == 0 {
            free = SLOTS
                .freed
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= 1;
    }
    let result = f();
    let mut free = SLOTS
        .free
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *free += 1;
    SLOTS.freed.notify_one();
    result
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt: [u8; 16] = super::random_bytes()?;
    Ok(in_slot(|| {
        argon2::hash_encoded(password.as_bytes(), &salt, &config())
    })?)
}

/// False for a wrong password and for a hash that can't be read: either way the
/// caller must refuse the login.
pub fn verify(encoded: &str, password: &str) -> bool {
    in_slot(|| argon2::verify_encoded(encoded, password.as_bytes())).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let encoded = hash("correct horse battery staple").unwrap();
        assert!(
            encoded.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"),
            "{encoded}"
        );
        assert!(verify(&encoded, "correct horse battery staple"));
        assert!(!verify(&encoded, "correct horse battery stapler"));
        assert!(!verify("not a hash", "anything"));
    }
}

//! Requests per client address (logins, answer links): a fixed window in
//! memory. Account lockouts and used links live in the store; this only
//! blunts one address spraying many accounts or links, so losing it on
//! restart is harmless. Also the organisations' guard against alarm storms
//! from integrations.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct AddressLimiter {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl std::fmt::Debug for AddressLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressLimiter")
            .field("limit", &self.limit)
            .finish()
    }
}

impl AddressLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        AddressLimiter {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `Err(seconds)` says how long this address must wait.
    pub fn attempt(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut seen) = self.seen.lock() else {
            return Ok(());
        };
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = seen.entry(network_of(ip)).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            Err(left.as_secs().max(1))
        } else {
            Ok(())
        }
    }
}

/// Whom an address stands for: an IPv4 address, or an IPv6 /64 (one
/// subscriber's network, where every address is theirs to use).
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let limiter = AddressLimiter::new(2, Duration::from_secs(300));
        let now = Instant::now();
        for host in ["2001:db8:1:2::1", "2001:db8:1:2::ffff"] {
            assert!(limiter.attempt(host.parse().unwrap(), now).is_ok());
        }
        assert!(limiter
            .attempt("2001:db8:1:2:aaaa::9".parse().unwrap(), now)
            .is_err());
        assert!(limiter
            .attempt("2001:db8:1:3::1".parse().unwrap(), now)
            .is_ok());
        assert_eq!(
            network_of("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn an_address_is_held_back_after_the_limit_until_the_window_ends() {
        let limiter = AddressLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.attempt(ip, start).is_ok());
        }
        assert_eq!(
            limiter.attempt(ip, start + Duration::from_secs(10)),
            Err(50)
        );
        assert!(limiter.attempt("192.0.2.8".parse().unwrap(), start).is_ok());
        assert!(limiter.attempt(ip, start + Duration::from_secs(61)).is_ok());
    }
}

/// Alerts sent by integrations per organisation in the last minute: a guard
/// against alarm storms from a runaway integration.
#[derive(Debug, Default)]
pub struct AlertRateGuard {
    sent: Mutex<HashMap<crate::ids::Id, std::collections::VecDeque<Instant>>>,
}

impl AlertRateGuard {
    /// Counts an alert and says whether it is within `per_minute`.
    pub fn allow(&self, org: crate::ids::Id, per_minute: u32, now: Instant) -> bool {
        let Ok(mut sent) = self.sent.lock() else {
            return true;
        };
        let recent = sent.entry(org).or_default();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            recent.pop_front();
        }
        if recent.len() >= usize::try_from(per_minute).unwrap_or(usize::MAX) {
            return false;
        }
        recent.push_back(now);
        true
    }
}

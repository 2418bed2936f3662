//! What security monitoring keeps between runs: how far it has read each
//! organisation's audit chain, and the networks each person logs in from.

use super::keys::Kind;
use super::{OrgStore, Result, Store};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The last audit event of an organisation that monitoring has checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityMark {
    pub seq: u64,
    pub hash: Option<String>,
}

/// How many networks are remembered per person; the least recently used
/// one is forgotten first.
const NETWORKS_KEPT: usize = 20;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KnownNetworks {
    /// Network and when it was last used, most recent last.
    networks: Vec<(String, i64)>,
}

/// Whether a login from a network was the person's first ever, from a
/// network they used before, or from a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkSeen {
    FirstLogin,
    Known,
    New,
}

impl Store {
    pub fn security_mark(&self, org: Id) -> Result<Option<SecurityMark>> {
        self.get(Id::SYSTEM, Kind::SecurityMark, org)
    }

    pub fn set_security_mark(&self, org: Id, mark: &SecurityMark) -> Result<()> {
        self.transaction(|tx| tx.put(Id::SYSTEM, Kind::SecurityMark, org, mark))
    }
}

impl OrgStore {
    /// Remembers that `user` logged in from `network` at `at`.
    pub fn remember_network(
        &self,
        user: Id,
        network: &str,
        at: OffsetDateTime,
    ) -> Result<NetworkSeen> {
        let org = self.org_id();
        self.store().transaction(|tx| {
            let mut known: KnownNetworks =
                tx.get(org, Kind::KnownNetworks, user)?.unwrap_or_default();
            let seen = match known.networks.iter().position(|(n, _)| n == network) {
                Some(i) => {
                    known.networks.remove(i);
                    NetworkSeen::Known
                }
                None if known.networks.is_empty() => NetworkSeen::FirstLogin,
                None => NetworkSeen::New,
            };
            known
                .networks
                .push((network.to_owned(), at.unix_timestamp()));
            if known.networks.len() > NETWORKS_KEPT {
                known.networks.remove(0);
            }
            tx.put(org, Kind::KnownNetworks, user, &known)?;
            Ok(seen)
        })
    }
}

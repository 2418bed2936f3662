//! Everything Tocsin keeps lives in one sled database, and only this module
//! touches it.
//!
//! Layout (few trees, as sled grows badly with many):
//! - `records`: `org id (16) | kind (1) | record id (16)` → JSON of the record.
//! - `index`: `org id (16) | index kind (1) | index value` → record id (16).
//! - the default tree: store metadata (schema version).
//!
//! Every key starts with the owning organisation's id, and record access goes
//! through an [`OrgStore`] bound to one organisation, so a handle for one
//! organisation can't reach another's records. The organisation directory itself
//! lives under [`Id::SYSTEM`].
//!
//! Writes are durable only after [`Store::flush`]; callers that acknowledge a
//! write to someone flush first.

mod alerts;
mod apikeys;
mod at_rest;
mod audit;
mod cap;
mod devices;
mod groups;
mod inbound;
mod keys;
mod orgs;
mod places;
mod retention;
mod reviews;
mod roles;
mod schema;
mod security;
mod senders;
mod sessions;
mod sms;
mod snapshot;
mod templates;
mod throttle;
mod user_secrets;
mod users;
mod watch;
mod webhooks;

#[cfg(test)]
pub(crate) use alerts::fixtures;
pub use alerts::{
    Alert, AlertEvent, AlertState, AppDelivery, Channel, Cursors, Delivery, DeliveryRef,
    DeliveryState, DueTimer, Escalation, Location, NewAlertBatch, Recipient, Response, SealedBody,
    SendOutcome, Severity, TetraCallout, TimerAction,
};
pub use apikeys::{ApiKeyRecord, NewApiKey};
pub use at_rest::{AtRestError, AtRestKey, FILE_NAME as AT_REST_KEY_FILE};
pub use audit::{
    Actor, ActorKind, AuditEvent, AuditFilter, ChainHead, Checkpoint, Outcome, Queued,
};
pub use devices::DeviceRecord;
pub use groups::{Group, GroupChange, NewGroup, ScimGroupLink};
pub use inbound::{Handling, InboundFilter, InboundMessage, PartNumber, PartialSms, Said};
pub use orgs::{
    CapRule, EmailRule, LocationPolicy, OrgSettings, Organisation, Retention, SecurityMonitoring,
    SmsTrigger, TetraRule, APPLIANCE_SLUG,
};
pub use places::{CheckInTimer, DueCheckIn, FollowedArea, Position, TimerState};
pub use retention::Erasure;
pub use reviews::{AccessReview, Decision, ReviewItem, ReviewState, ReviewStatus, ReviewSubject};
pub use roles::{BuiltInRole, Permission, RoleChange, RoleRecord, ADMIN, BUILT_IN, OPERATOR};
pub use schema::SCHEMA_VERSION;
pub use security::{NetworkSeen, SecurityMark};
pub use senders::{
    sms_sender, tetra_sender, Assignments, PinFailures, CALLOUT_HOLD, PIN_ATTEMPTS, PIN_LOCKOUT,
};
pub use sessions::{SessionRecord, SessionStage};
pub use sms::{Peer, Report};
pub use snapshot::{Change, Tally, TreeId};
pub use templates::{Fired, Template};
pub use throttle::{Gate, LoginLimits, LoginSource, LoginThrottle};
pub use user_secrets::{recovery_code_matches, recovery_code_record, sms_code_hash};
pub use users::{
    Contact, NewUser, ScimLink, ScimName, ScimValue, SmsCode, TotpState, User, UserChange,
};
pub use watch::{SessionKeys, Watch};
pub use webhooks::{
    Webhook, WebhookJob, WebhookJobKey, WebhookState, WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT,
};

use crate::ids::Id;
use keys::Kind;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {} is in use by another process (is the tocsin service running?)", path.display())]
    Locked { path: PathBuf },
    #[error("the store at {} cannot be opened: {source}", path.display())]
    Open { path: PathBuf, source: sled::Error },
    #[error(
        "the store at {} has schema version {found}, newer than the {supported} this tocsin understands; install the newer tocsin again or restore a backup",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("storage failure: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored {kind} record is unreadable: {source}")]
    Corrupt {
        kind: &'static str,
        source: serde_json::Error,
    },
    #[error("{what} {value:?} already exists")]
    Duplicate { what: &'static str, value: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    AtRest(AtRestError),
    #[error("a store task ended without finishing: {0}")]
    Task(String),
}

/// The most threads each runtime lends to store work. Store calls are short
/// and mostly CPU on a small appliance: a few thousand of them at once (an
/// alert reaching every open live stream) run fastest queued on a few
/// threads, where hundreds of threads would spend the cores switching
/// between each other and hold their stacks.
pub const BLOCKING_THREADS: usize = 16;

/// Runs `f`, which calls the store and so blocks, on the blocking pool,
/// inside the caller's tracing span so its log lines stay with the work
/// they belong to. The one way async code reaches the store.
pub async fn blocking<T, E>(
    f: impl FnOnce() -> std::result::Result<T, E> + Send + 'static,
) -> std::result::Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let span = tracing::Span::current();
    match tokio::task::spawn_blocking(move || span.in_scope(f)).await {
        Ok(result) => result,
        Err(e) => Err(E::from(StoreError::Task(e.to_string()))),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `f` of each item, in order, the work shared with a second thread from
/// `worth_a_thread` items on: a big alert reads and writes thousands of
/// records while its sender waits, and an appliance has more than one core.
fn in_halves<T: Sync, R: Send>(
    items: &[T],
    worth_a_thread: usize,
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    if items.len() < worth_a_thread.max(2) {
        return items.iter().map(&f).collect();
    }
    let (mine, theirs) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| theirs.iter().map(&f).collect::<Result<Vec<R>>>());
        let mut done = mine.iter().map(&f).collect::<Result<Vec<R>>>()?;
        match other.join() {
            Ok(rest) => done.extend(rest?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Ok(done)
    })
}

const CACHE_BYTES: u64 = 160 * 1024 * 1024;

/// Where the sealed answer-link key is kept in the default tree.
const LINK_KEY: &[u8] = b"answer_link_key_sealed";
const LINK_KEY_CONTEXT: &str = "answer link key";

/// Every write holds it shared for the one sled call it makes; a snapshot
/// holds it alone for an instant, twice, to know that no write is half
/// done ([`snapshot`]).
#[derive(Debug, Default)]
struct WriteGate(std::sync::RwLock<()>);

impl WriteGate {
    fn shared(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn exclusive(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The trees, for one write: the gate is held while this lives, which is
/// to the end of the statement that asked for it.
struct Writing<'a> {
    _gate: std::sync::RwLockReadGuard<'a, ()>,
    db: &'a sled::Db,
    records: &'a sled::Tree,
    index: &'a sled::Tree,
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    records: sled::Tree,
    index: sled::Tree,
    path: PathBuf,
    watches: std::sync::Arc<watch::Watches>,
    at_rest: AtRestKey,
    gate: std::sync::Arc<WriteGate>,
    /// Whether audit events are also queued for the log server.
    ships_audit: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the store and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let db = sled::Config::new()
            .path(path)
            // sled's default is 1 GiB. With 100,000 people and a million
            // records, a smaller cache accepts big alerts no slower, and
            // leaves room for 20,000 live streams within 1 GiB.
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|source| match &source {
                sled::Error::Io(io) if is_lock_conflict(io) => StoreError::Locked {
                    path: path.to_path_buf(),
                },
                _ => StoreError::Open {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let at_rest = at_rest::load(&db, path)?;
        let store = Store {
            at_rest,
            records: db.open_tree("records")?,
            index: db.open_tree("index")?,
            db,
            path: path.to_path_buf(),
            watches: std::sync::Arc::default(),
            gate: std::sync::Arc::default(),
            ships_audit: std::sync::Arc::default(),
        };
        schema::upgrade(&store)?;
        store.flush_blocking()?;
        Ok(store)
    }

    /// The appliance's secret for signing answer links, made on first use
    /// and kept in the store sealed with the at-rest key (so it moves with a
    /// restored backup, and a copy of the store alone can't forge links).
    pub fn answer_link_key(&self) -> Result<[u8; 32]> {
        let fresh: [u8; 32] = at_rest::random()?;
        let sealed = self.at_rest.seal(LINK_KEY_CONTEXT, &fresh)?;
        // Two first starts racing keep the one that landed first.
        let _ = self.w().db.compare_and_swap(
            LINK_KEY,
            None as Option<&[u8]>,
            Some(sealed.as_bytes()),
        )?;
        let stored = self.db.get(LINK_KEY)?.unwrap_or_default();
        let unusable = || AtRestError::Unsealable {
            what: "answer-link key",
        };
        let text = std::str::from_utf8(&stored).map_err(|_| unusable())?;
        let plain = self
            .at_rest
            .open(LINK_KEY_CONTEXT, text, "answer-link key")?;
        Ok(<[u8; 32]>::try_from(plain.as_slice()).map_err(|_| unusable())?)
    }

    /// This appliance's id, made at first use: backups name where they
    /// came from with it.
    pub fn appliance_id(&self) -> Result<String> {
        const KEY: &[u8] = b"appliance_id";
        let fresh = Id::new().to_string();
        let _ = self
            .w()
            .db
            .compare_and_swap(KEY, None as Option<&[u8]>, Some(fresh.as_bytes()))?;
        let stored = self.db.get(KEY)?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&stored).into_owned())
    }

    /// Where this store's at-rest key is read from.
    pub fn at_rest_key_path(&self) -> PathBuf {
        at_rest::key_path(&self.path)
    }

    /// Marks an answer link used; `false` when it was used before.
    pub fn use_answer_link(&self, link_hash: &[u8]) -> Result<bool> {
        let mut key = keys::kind_prefix(Id::SYSTEM, Kind::AnswerLinkUsed);
        key.extend_from_slice(link_hash);
        Ok(self
            .w()
            .records
            .compare_and_swap(key, None as Option<&[u8]>, Some(&[1u8][..]))?
            .is_ok())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The handle through which one organisation's records are read and written.
    pub fn org(&self, org: Id) -> OrgStore {
        OrgStore {
            store: self.clone(),
            org,
        }
    }

    /// Makes every write so far durable. Runs sled's blocking flush on the
    /// blocking pool: sled 0.34's `flush_async` was seen to never complete under
    /// concurrent writers.
    pub async fn flush(&self) -> Result<()> {
        let db = self.db.clone();
        blocking(move || db.flush().map(|_| ()).map_err(StoreError::from)).await
    }

    pub fn flush_blocking(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }

    /// How many records the store holds. Reads them all: for sizing and
    /// benchmarks, not for a request.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Proves the store still takes writes and reads them back (health checks).
    pub fn probe(&self) -> Result<()> {
        schema::probe(self)
    }

    fn get<R: DeserializeOwned>(&self, org: Id, kind: Kind, id: Id) -> Result<Option<R>> {
        match self.records.get(keys::record(org, kind, id))? {
            Some(bytes) => decode(kind, &bytes).map(Some),
            None => Ok(None),
        }
    }

    fn list<R: DeserializeOwned>(&self, org: Id, kind: Kind) -> Result<Vec<R>> {
        self.records
            .scan_prefix(keys::kind_prefix(org, kind))
            .values()
            .map(|value| decode(kind, &value?))
            .collect()
    }

    /// Changes one record in place, atomically; `f` may run more than once.
    fn modify<R: Serialize + DeserializeOwned>(
        &self,
        org: Id,
        kind: Kind,
        id: Id,
        f: impl Fn(&mut R) -> Result<()>,
    ) -> Result<R> {
        self.transaction(|tx| {
            let mut record: R = tx
                .get(org, kind, id)?
                .ok_or(abort(StoreError::NotFound { what: kind.name() }))?;
            f(&mut record).map_err(abort)?;
            tx.put(org, kind, id, &record)?;
            Ok(record)
        })
    }

    fn insert<R: Serialize>(&self, org: Id, kind: Kind, id: Id, record: &R) -> Result<()> {
        self.transaction(|tx| tx.put(org, kind, id, record))
    }

    fn lookup(&self, org: Id, index: keys::IndexKind, value: &str) -> Result<Option<Id>> {
        Ok(self
            .index
            .get(keys::index(org, index, value))?
            .and_then(|bytes| Id::from_slice(&bytes)))
    }

    /// The trees for one write statement (see [`Writing`]). Never hold it
    /// across a call that writes again: the gate is not reentrant.
    fn w(&self) -> Writing<'_> {
        Writing {
            _gate: self.gate.shared(),
            db: &self.db,
            records: &self.records,
            index: &self.index,
        }
    }

    /// Runs `f` as one atomic transaction over both trees. sled may run `f` more
    /// than once on conflict, so it must not have side effects of its own.
    fn transaction<T>(&self, f: impl Fn(&Tx) -> Result<T, TxError>) -> Result<T> {
        let written = std::cell::RefCell::new(Vec::new());
        let gated = self.w();
        let result = (gated.records, gated.index)
            .transaction(|(records, index)| {
                written.borrow_mut().clear();
                f(&Tx {
                    records,
                    index,
                    written: &written,
                })
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => StoreError::Sled(e),
            })?;
        drop(gated);
        self.watches.committed(&written.borrow());
        Ok(result)
    }

    /// Wakes the returned watch whenever the session, its device, its
    /// user, or the organisation's roles or settings change.
    pub fn watch_session(&self, keys: SessionKeys) -> Watch {
        Watch::session(self.watches.clone(), keys)
    }

    /// Wakes the returned watch whenever the API key or the organisation's
    /// roles change.
    pub fn watch_api_key(&self, org: Id, key: Id) -> Watch {
        Watch::api_key(self.watches.clone(), org, key)
    }

    /// How many watches listen now (for leak checks).
    pub fn watches(&self) -> usize {
        self.watches.listening()
    }
}

type TxError = ConflictableTransactionError<StoreError>;

/// The view of both trees inside a transaction.
struct Tx<'a> {
    records: &'a TransactionalTree,
    index: &'a TransactionalTree,
    /// Keys of watched kinds this attempt wrote, for waking their watches
    /// once it commits.
    written: &'a std::cell::RefCell<Vec<Vec<u8>>>,
}

impl Tx<'_> {
    fn put<R: Serialize>(&self, org: Id, kind: Kind, id: Id, record: &R) -> Result<(), TxError> {
        let bytes = serde_json::to_vec(record).map_err(|source| {
            abort(StoreError::Corrupt {
                kind: kind.name(),
                source,
            })
        })?;
        let key = keys::record(org, kind, id);
        self.records.insert(key.as_slice(), bytes)?;
        self.wrote(kind, key);
        Ok(())
    }

    fn remove(&self, org: Id, kind: Kind, id: Id) -> Result<bool, TxError> {
        let key = keys::record(org, kind, id);
        let existed = self.records.remove(key.as_slice())?.is_some();
        self.wrote(kind, key);
        Ok(existed)
    }

    fn wrote(&self, kind: Kind, key: Vec<u8>) {
        if watch::is_watched(kind) {
            self.written.borrow_mut().push(key);
        }
    }

    fn release(&self, org: Id, index: keys::IndexKind, value: &str) -> Result<(), TxError> {
        self.index.remove(keys::index(org, index, value))?;
        Ok(())
    }

    fn get<R: DeserializeOwned>(&self, org: Id, kind: Kind, id: Id) -> Result<Option<R>, TxError> {
        match self.records.get(keys::record(org, kind, id))? {
            Some(bytes) => decode(kind, &bytes).map(Some).map_err(abort),
            None => Ok(None),
        }
    }

    /// Claims a unique index entry, failing if another record holds it.
    fn claim(
        &self,
        org: Id,
        index: keys::IndexKind,
        value: &str,
        id: Id,
        what: &'static str,
    ) -> Result<(), TxError> {
        let key = keys::index(org, index, value);
        match self.index.get(&key)? {
            Some(existing) if existing.as_ref() != id.to_bytes() => {
                Err(abort(StoreError::Duplicate {
                    what,
                    value: value.to_owned(),
                }))
            }
            _ => {
                self.index.insert(key, &id.to_bytes())?;
                Ok(())
            }
        }
    }
}

/// sled reports a held lock as an I/O error wrapping EWOULDBLOCK.
fn is_lock_conflict(io: &std::io::Error) -> bool {
    let inner = io
        .get_ref()
        .and_then(|e| e.downcast_ref::<std::io::Error>());
    [Some(io), inner]
        .into_iter()
        .flatten()
        .any(|e| e.kind() == std::io::ErrorKind::WouldBlock)
        || io.to_string().contains("could not acquire lock")
}

fn abort(e: StoreError) -> TxError {
    ConflictableTransactionError::Abort(e)
}

fn decode<R: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<R> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        kind: kind.name(),
        source,
    })
}

/// One organisation's view of the store. Every method reads and writes only keys
/// under this organisation's id.
#[derive(Clone, Debug)]
pub struct OrgStore {
    store: Store,
    org: Id,
}

impl OrgStore {
    pub fn org_id(&self) -> Id {
        self.org
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

#[cfg(test)]
mod tests;

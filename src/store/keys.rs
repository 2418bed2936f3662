//! Key layout. Kinds are single bytes so keys stay short and a kind's records
//! sort together under their organisation; never reuse a retired byte.

use crate::ids::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Organisation = 1,
    User = 2,
    Group = 3,
    ApiKey = 4,
    Role = 5,
    Session = 6,
    Device = 7,
    Audit = 8,
    /// Under [`Id::SYSTEM`]: failed-login counters, keyed by a hash of the
    /// organisation and username typed (which may not exist).
    LoginThrottle = 9,
    Alert = 10,
    Recipient = 11,
    // 12 held deliveries before they moved inside their recipient's record.
    AlertEvent = 13,
    // 14 and 15 held a feed and a user index, now one: `UserAlert`.
    UserAlert = 20,
    /// Under [`Id::SYSTEM`]: deliveries waiting for their channel.
    Outbox = 16,
    /// Under [`Id::SYSTEM`]: deliveries being sent right now.
    InFlight = 17,
    /// Under [`Id::SYSTEM`]: escalation timers by due time.
    Timer = 18,
    Template = 19,
    /// Under [`Id::SYSTEM`]: a sent SMS part by modem, number and network
    /// reference, for matching its status report.
    SmsTrack = 21,
    /// Under [`Id::SYSTEM`]: parts of a multipart SMS delivered so far.
    SmsPartsDelivered = 22,
    /// Under [`Id::SYSTEM`]: who was texted about which alert, newest last,
    /// for matching replies.
    SmsPeer = 23,
    /// Under [`Id::SYSTEM`]: received parts of a multipart SMS not yet complete.
    SmsPart = 24,
    /// A message received on any channel, under the organisation it concerns
    /// (or [`Id::SYSTEM`] when nobody is known).
    Inbound = 25,
    /// Under [`Id::SYSTEM`]: fingerprints of received messages, so one read
    /// twice (after a restart) is handled once.
    InboundSeen = 26,
    /// Under [`Id::SYSTEM`]: answer links already used, by a hash of the link.
    AnswerLinkUsed = 27,
    /// Under [`Id::SYSTEM`]: received messages stored but not yet handled.
    InboxPending = 28,
    /// Under [`Id::SYSTEM`]: wrong SMS trigger PINs per organisation and number.
    PinFailures = 29,
    /// An organisation's senders (SMS numbers, TETRA SSIs), as the appliance
    /// operator assigned them.
    Assignments = 30,
    /// Under [`Id::SYSTEM`], by organisation: the head of its audit chain.
    AuditHead = 31,
    /// An organisation's signed audit chain heads, by sequence number.
    AuditCheckpoint = 32,
    /// Under [`Id::SYSTEM`], by organisation and sequence number: audit
    /// events waiting for the log server.
    AuditQueue = 33,
    /// Under [`Id::SYSTEM`], by organisation: how far security monitoring
    /// has read its audit chain.
    SecurityMark = 34,
    /// The networks each user has logged in from, by user.
    KnownNetworks = 35,
    /// Each member's last known position, by user.
    Position = 36,
    /// Each member's check-in timer, by user.
    CheckInTimer = 37,
    /// Under [`Id::SYSTEM`]: check-in timers by the time of their next step.
    CheckInDue = 38,
    /// Active alerts that members entering their area receive, by alert.
    FollowedArea = 39,
    /// The alert each CAP message started, by a digest of its sender and
    /// identifier.
    CapMessage = 40,
    /// An organisation's access reviews, by review; the nil id holds the
    /// organisation's review state (the open review, the last reminder).
    AccessReview = 41,
    /// A person erased, by user id (or a fresh id for an address without
    /// an account): the pseudonym that stands for them, and while the
    /// erasure runs, what it still has to do.
    Erasure = 42,
    /// An organisation's webhook subscriptions.
    Webhook = 57,
    /// Under [`Id::SYSTEM`]: webhook events waiting, by subscription and
    /// sequence number.
    WebhookOutbox = 58,
    /// An alert's recipients as accepted, many to a record, until each has
    /// a record of their own.
    RecipientSheet = 59,
    /// Under [`Id::SYSTEM`], by organisation and alert: alerts whose
    /// recipients are still on sheets.
    Spreading = 60,
    /// Scratch records written by health probes.
    Probe = 0xFF,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Organisation => "organisation",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::ApiKey => "api key",
            Kind::Role => "role",
            Kind::Session => "session",
            Kind::Device => "device",
            Kind::Audit => "audit event",
            Kind::LoginThrottle => "login throttle",
            Kind::Alert => "alert",
            Kind::Recipient => "recipient",
            Kind::AlertEvent => "alert event",
            Kind::UserAlert => "user alert index",
            Kind::Outbox => "outbox entry",
            Kind::InFlight => "in-flight entry",
            Kind::Timer => "timer",
            Kind::Template => "template",
            Kind::SmsTrack => "sms tracking entry",
            Kind::SmsPartsDelivered => "sms part counter",
            Kind::SmsPeer => "sms peer",
            Kind::SmsPart => "sms part",
            Kind::Inbound => "inbound message",
            Kind::InboundSeen => "inbound fingerprint",
            Kind::AnswerLinkUsed => "used answer link",
            Kind::InboxPending => "pending inbound message",
            Kind::PinFailures => "sms pin failures",
            Kind::Assignments => "sender assignments",
            Kind::AuditHead => "audit chain head",
            Kind::Position => "position",
            Kind::CheckInTimer => "check-in timer",
            Kind::CheckInDue => "check-in timer due entry",
            Kind::FollowedArea => "followed area",
            Kind::CapMessage => "cap message",
            Kind::AccessReview => "access review",
            Kind::AuditCheckpoint => "audit checkpoint",
            Kind::AuditQueue => "queued audit event",
            Kind::SecurityMark => "security monitoring mark",
            Kind::KnownNetworks => "known login networks",
            Kind::Erasure => "erasure",
            Kind::Webhook => "webhook",
            Kind::WebhookOutbox => "webhook outbox entry",
            Kind::RecipientSheet => "recipient sheet",
            Kind::Spreading => "spreading marker",
            Kind::Probe => "probe",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IndexKind {
    /// Under [`Id::SYSTEM`]: organisation slug → organisation id.
    OrgSlug = 1,
    Username = 2,
    GroupName = 3,
    RoleName = 4,
    Idempotency = 5,
    TemplateName = 6,
    /// Under [`Id::SYSTEM`]: a sender ("sms:+358…", "tetra:4711") → the
    /// organisation it is assigned to.
    Sender = 7,
    /// Under [`Id::SYSTEM`]: a TETRA call-out number (1–15) → the alert
    /// holding it (organisation id, then alert id).
    CalloutNumber = 8,
}

pub(super) fn record(org: Id, kind: Kind, id: Id) -> Vec<u8> {
    let mut key = kind_prefix(org, kind);
    key.extend_from_slice(&id.to_bytes());
    key
}

pub(super) fn kind_prefix(org: Id, kind: Kind) -> Vec<u8> {
    let mut key = Vec::with_capacity(33);
    key.extend_from_slice(&org.to_bytes());
    key.push(kind as u8);
    key
}

/// Index values are case-folded so "JDoe" and "jdoe" can't both exist.
pub(super) fn index(org: Id, index: IndexKind, value: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(17 + value.len());
    key.extend_from_slice(&org.to_bytes());
    key.push(index as u8);
    key.extend_from_slice(value.to_lowercase().as_bytes());
    key
}

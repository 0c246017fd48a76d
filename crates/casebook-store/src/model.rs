use crate::raw::CompressedRaw;
use casebook_mail::{AutomatedKind, EmailAddress, ParsedMessage};
use casebook_vocabulary::{Direction, MessageId, Sha256, ThreadId};
pub use casebook_vocabulary::{ThreadRow, ThreadUpdate};
use time::OffsetDateTime;

/// A message ready to be stored: parsed, classified and compressed.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sha256: Sha256,
    pub size: u64,
    pub raw: CompressedRaw,
    pub parsed: ParsedMessage,
    pub direction: Direction,
    pub correspondent: Option<EmailAddress>,
    pub folder: String,
    pub source: String,
    /// Its link keys (see `message_links`): worked out by the caller, who
    /// knows how threads are made; the store only records them.
    pub links: Vec<i64>,
    /// What statistics group it under (casebook-policy's `topic_of`),
    /// worked out by the caller.
    pub topic: &'static str,
}

/// What storing a batch did, and the change number its rows carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// One per message of the batch, in its order.
    pub outcomes: Vec<Stored>,
    pub seq: u64,
}

/// What storing one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A message the archive did not have.
    New(MessageId),
    /// New bytes for a Message-ID the archive has: kept as a copy of `primary`.
    Copy { id: MessageId, primary: MessageId },
    /// The same bytes were already stored; only the place was recorded.
    Duplicate(MessageId),
}

impl Stored {
    /// The archive's row for the message, whatever storing it did.
    pub fn id(&self) -> MessageId {
        match self {
            Stored::New(id) | Stored::Duplicate(id) | Stored::Copy { id, .. } => *id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    To,
    Cc,
    Bcc,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub address: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredAttachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

/// One line of a listing: enough to show and sort, no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: MessageId,
    /// The Message-ID header, without angle brackets (`id` is the row).
    pub message_id_header: Option<String>,
    pub thread_id: Option<ThreadId>,
    pub direction: Direction,
    pub automated: Option<AutomatedKind>,
    pub correspondent: Option<String>,
    pub from_address: Option<String>,
    /// The display name the From header gives.
    pub from_name: Option<String>,
    pub date: Option<OffsetDateTime>,
    pub subject: String,
    pub reply_id: Option<MessageId>,
    pub response_secs: Option<i64>,
}

/// Everything the store holds about one message, but its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub summary: MessageSummary,
    pub sha256: String,
    pub size: u64,
    /// Set when this row is a copy of another message with the same Message-ID.
    pub primary_id: Option<MessageId>,
    pub recipients: Vec<Recipient>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub body: String,
    pub html_only: bool,
    pub attachments: Vec<StoredAttachment>,
    pub warnings: Vec<String>,
    /// (folder, source) of every place it was seen.
    pub locations: Vec<(String, String)>,
    /// Other copies: the primary lists its copies, a copy lists the primary's.
    pub copies: Vec<MessageId>,
}

/// What the search index needs of a message.
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub id: MessageId,
    pub change_seq: u64,
    pub date: Option<i64>,
    pub direction: Direction,
    pub from: String,
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub has_attachments: bool,
    pub tags: Vec<String>,
}

/// The archive in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// Distinct messages (copies counted once).
    pub messages: u64,
    /// Extra copies kept of messages (same Message-ID, other bytes).
    pub copies: u64,
    pub threads: u64,
    pub inbound: u64,
    pub outbound: u64,
    pub automated: u64,
    pub answered: u64,
    pub unanswered: u64,
    /// Answered inbound messages whose response time is known (the median
    /// response time is theirs).
    pub timed: u64,
    pub correspondents: u64,
}

/// How far an IMAP folder has been stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// A folder's new watermark, stored with the messages below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub account: String,
    pub folder: String,
    pub uid_validity: u32,
    pub last_uid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedMessage {
    pub account: String,
    pub folder: String,
    pub uid_validity: u32,
    pub uid: u32,
    pub size: u64,
    pub reason: String,
}

/// A synced folder as `casebook accounts` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderRecord {
    pub account: String,
    pub folder: String,
    pub uid_validity: u32,
    pub last_uid: u32,
    pub server_messages: Option<u64>,
    /// Places in the archive that came from this folder.
    pub archived: u64,
    pub last_sync: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    /// (uid, size, reason) of messages passed over.
    pub skipped: Vec<(u32, u64, String)>,
}

/// What a user may do. Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Searches and reads correspondence.
    Agent,
    /// Sees approved testimonials and aggregate statistics, never a message
    /// or an address.
    Marketing,
    /// Everything, including users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Marketing => "marketing",
            Role::Admin => "admin",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Role::Agent),
            "marketing" => Some(Role::Marketing),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// argon2id, as a PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
    /// The time zone they chose for the pages (an IANA name).
    pub display_timezone: Option<String>,
}

/// Where a testimonial stands. (A candidate is a suggestion no one has
/// decided on yet; it has no row.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestimonialState {
    Approved,
    Rejected,
    /// Approved once, then withdrawn (the customer withdrew consent, …).
    Revoked,
}

impl TestimonialState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// A decision on a customer's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestimonialRecord {
    pub id: i64,
    pub message: MessageId,
    pub excerpt: String,
    pub attribution: String,
    pub edited: bool,
    pub consent_message: Option<MessageId>,
    pub consent_note: Option<String>,
    pub topic: String,
    pub state: TestimonialState,
    pub reason: Option<String>,
    pub decided_by: String,
    pub decided_at: i64,
    pub expires_at: Option<i64>,
    /// When the customer wrote it.
    pub message_date: Option<i64>,
    /// The customer's address (never shown to marketing).
    pub customer: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON.
    pub detail: String,
    /// The persons (normalised addresses) the entry concerns, kept in
    /// `audit_people`: what a person's export and erasure select by.
    pub people: Vec<String>,
}

/// What an audit entry is about, written one way everywhere: the
/// `subject` column holds its [`std::fmt::Display`] form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSubject<'a> {
    /// A person, by one of their addresses (the entry concerns them).
    Person(&'a str),
    /// A person who was erased: named nowhere.
    ErasedPerson,
    Message(casebook_vocabulary::MessageId),
    Testimonial(i64),
    /// Marketing's export of usable testimonials.
    Testimonials,
    List(&'a str),
    Partner(&'a str),
    /// A legal hold's target, `thread:12` or `tag:litigation`.
    Hold {
        kind: &'a str,
        target: &'a str,
    },
    /// A retention run.
    OlderThan {
        days: u32,
    },
    /// Messages named in the entry's detail (a removal).
    Messages,
    /// The raw store as a whole (a change of key).
    RawStore,
}

impl std::fmt::Display for AuditSubject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Person(a) => write!(f, "person {a}"),
            Self::ErasedPerson => f.write_str("person (erased)"),
            Self::Message(id) => write!(f, "message {}", id.0),
            Self::Testimonial(id) => write!(f, "testimonial {id}"),
            Self::Testimonials => f.write_str("testimonials"),
            Self::List(name) => write!(f, "list {name}"),
            Self::Partner(name) => write!(f, "partner {name}"),
            Self::Hold { kind, target } => write!(f, "{kind}:{target}"),
            Self::OlderThan { days } => write!(f, "mail older than {days} days"),
            Self::Messages => f.write_str("messages"),
            Self::RawStore => f.write_str("raw store"),
        }
    }
}

/// Whether a person may receive marketing unrelated to what they wrote
/// about. Nobody may unless they opted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarketingChoice {
    OptIn,
    /// An unsubscribe: honoured everywhere, including testimonials.
    OptOut,
}

impl MarketingChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptIn => "opt-in",
            Self::OptOut => "opt-out",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "opt-in" => Some(Self::OptIn),
            "opt-out" => Some(Self::OptOut),
            _ => None,
        }
    }
}

/// Whether a person's data may go to business partners. Allowed unless
/// they objected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerChoice {
    Allow,
    /// The person objected to disclosure.
    Deny,
}

impl PartnerChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(Self::Allow),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// A choice with when, by whom and on what evidence it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated<T> {
    pub value: T,
    pub at: i64,
    pub by: String,
    /// A message id ("message 42") or a note of how we learnt it.
    pub source: String,
}

/// What one address told us; a choice never stated is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceRecord {
    pub address: String,
    pub marketing: Option<Stated<MarketingChoice>>,
    pub partners: Option<Stated<PartnerChoice>>,
}

/// An agent's answer to a message flagged as a privacy request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestDecision {
    /// The preference it asks for was recorded.
    Confirmed,
    /// Not a request after all.
    Dismissed,
}

impl RequestDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Dismissed => "dismissed",
        }
    }
}

/// A customer or partner list as imported.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerList {
    pub id: i64,
    pub name: String,
    /// The business partner whose list it is; `None`: ours.
    pub partner: Option<String>,
    pub source_file: String,
    pub imported_at: i64,
    pub imported_by: String,
    #[sqlx(try_from = "i64")]
    pub records: u64,
}

/// One record of a list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerRecordRow {
    pub id: i64,
    /// The list's name.
    #[sqlx(rename = "list_name")]
    pub list: String,
    pub partner: Option<String>,
    pub line: i64,
    pub address: String,
    pub domain: String,
    pub name: Option<String>,
    pub company: Option<String>,
    pub account: Option<String>,
    /// Every column of the row (JSON object).
    pub fields: String,
}

/// Records of one list sharing a domain: the first, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainMatch {
    pub first: CustomerRecordRow,
    pub records: u64,
}

/// What statistics keep of an erased message: nothing that identifies
/// anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedMessage {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub direction: String,
    pub topic: String,
    pub answered: bool,
    pub response_secs: Option<i64>,
    /// A random number shared by one erasure's messages.
    pub erasure: String,
    /// The conversation it was in (the archive's number for it).
    pub thread: Option<i64>,
}

/// A legal hold on a thread or a tag.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Hold {
    /// `thread` or `tag`.
    pub kind: String,
    pub target: String,
    pub reason: String,
    pub held_by: String,
    pub held_at: i64,
}

//! The words every layer names mail by: a message's number in the
//! archive ([`MessageId`]), a conversation's ([`ThreadId`]), the SHA-256 of
//! a message's raw bytes ([`Sha256`]) and who a message is from, seen from
//! the company ([`Direction`]); what threading reads of a message and
//! decides for it ([`ThreadRow`], [`ThreadUpdate`]), and which thread each
//! message is in ([`ThreadMap`]). Kept apart from MIME parsing so the store,
//! the index and the customer lists can name a message without depending
//! on how mail is read. Depends on nothing of ours.

mod digest;
mod ids;
mod set;
mod thread;
mod thread_map;

pub use digest::Sha256;
pub use ids::{Direction, MessageId, ThreadId};
pub use set::MessageSet;
pub use thread::{ThreadRow, ThreadUpdate};
pub use thread_map::{BeyondThreadMap, ThreadMap};

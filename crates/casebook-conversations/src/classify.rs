//! Which way a message went and whose conversation it belongs to.

use casebook_mail::{EmailAddress, ParsedMessage};
use casebook_vocabulary::Direction;

/// Outbound when From is one of ours (`is_ours` says which addresses
/// are: the config's domains and addresses); automated when a machine
/// sent it.
pub fn direction(is_ours: impl Fn(&EmailAddress) -> bool, m: &ParsedMessage) -> Direction {
    if m.automated.is_some() {
        Direction::Automated
    } else if m.from.as_ref().is_some_and(|f| is_ours(&f.address)) {
        Direction::Outbound
    } else {
        Direction::Inbound
    }
}

/// The customer the message is with: the sender of inbound (and automated)
/// mail, the first recipient of ours.
pub fn correspondent(direction: Direction, m: &ParsedMessage) -> Option<EmailAddress> {
    match direction {
        Direction::Outbound => {
            m.to.iter()
                .chain(&m.cc)
                .chain(&m.bcc)
                .next()
                .map(|b| b.address.clone())
        }
        Direction::Inbound | Direction::Automated => m.from.as_ref().map(|f| f.address.clone()),
    }
}

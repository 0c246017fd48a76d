//! Which conversation a message belongs to, as pure functions the archive
//! calls: [`classify`] (which way a message went, and the customer it is
//! with) and [`threading`] (threads over Message-ID links, reply pairs,
//! and the link keys the store records). No I/O and no store: the
//! compiler keeps them pure; the rows they read and the updates they
//! return are `casebook-vocabulary`'s.

pub mod classify;
pub mod threading;

//! casebook-archive

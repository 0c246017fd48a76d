//! casebook-corpus

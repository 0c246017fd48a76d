//! casebook-mail against mail nobody here wrote: mail-parser's own test
//! messages and address cases (read from the cargo registry's copy of the
//! crate this build uses), and real clients' headers.

mod clients;
mod mail_parser_resources;

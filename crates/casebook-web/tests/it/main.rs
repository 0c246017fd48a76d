//! The web crate's own tests: its router in-process (no sockets, no
//! binary), so who may use which route is checked where it is decided.
//! The CLI's tests drive the same routes through `casebook serve`.

mod routes;

//! Real servers for tests, started on loopback ports in temp dirs and
//! stopped (by their process id) when dropped. Used only by tests.
//!
//! ```no_run
//! let dovecot = casebook_testkit::Dovecot::start(&[("support", "secret")]);
//! dovecot.deliver("support", "INBOX", b"Subject: hi\r\n\r\nbody\r\n");
//! println!("IMAP on 127.0.0.1:{}", dovecot.port);
//! ```
//!
//! Architecture invariant: test-only; nothing in the product depends on it,
//! and it only ever listens on loopback addresses.

mod certificate;
mod chromium;
mod database;
mod dovecot;
mod oauth;

pub use certificate::make_certificate;
pub use chromium::{Chromium, Element};
pub use database::{backend, behind_the_back, database_url, other_database_url, query_text};
pub use dovecot::Dovecot;
pub use oauth::TokenIntrospection;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A port the kernel just handed out on 127.0.0.1, free again for a server
/// to take (the window in which another process could take it is tiny).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the kernel gives out a loopback port")
}

/// Waits until something accepts connections on `port`, or panics with
/// `what` after `deadline`.
pub fn wait_for_port(port: u16, deadline: Duration, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < deadline,
            "{what} did not listen on port {port} within {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

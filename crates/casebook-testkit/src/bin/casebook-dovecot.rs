//! Starts a private Dovecot for benchmarks and manual trials, loaded with
//! a Maildir tree, and keeps it running until standard input closes.
//!
//!     casebook-dovecot USER PASSWORD [MAILDIR]
//!
//! Prints `port N` once the server listens. MAILDIR (with `.Sent` and other
//! Dovecot subfolders) is copied in as USER's mail.

use casebook_testkit::Dovecot;
use std::io::Read;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(user), Some(password)) = (args.first(), args.get(1)) else {
        eprintln!("usage: casebook-dovecot USER PASSWORD [MAILDIR]");
        std::process::exit(2);
    };
    let dovecot = Dovecot::start(&[(user.as_str(), password.as_str())]);
    if let Some(source) = args.get(2) {
        if let Err(e) = dovecot.load_maildir(user, Path::new(source)) {
            eprintln!("cannot copy {source}: {e}");
            std::process::exit(1);
        }
    }
    println!("port {}", dovecot.port);
    // Serve until whoever started us closes our standard input.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(dovecot);
}

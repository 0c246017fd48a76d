//! The IMAP client against a real, private Dovecot on loopback.

use casebook_imap::{connect, ImapError, Login, Security, Server};
use casebook_testkit::Dovecot;
use std::time::Duration;

fn server(port: u16, security: Security) -> Server {
    Server {
        timeout: Duration::from_secs(10),
        ..Server::new("127.0.0.1", port, security)
    }
}

fn login(password: &str) -> Login {
    Login::Password {
        user: "support".into(),
        password: password.into(),
    }
}

fn message(n: u32) -> Vec<u8> {
    format!("From: c{n}@customer.example\r\nSubject: question {n}\r\nMessage-ID: <m{n}@customer.example>\r\n\r\nbody {n}\r\n").into_bytes()
}

#[tokio::test]
async fn lists_folders_and_fetches_every_message_byte_exact_without_marking_it_read() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    for n in 1..=3 {
        dovecot.deliver("support", "INBOX", &message(n));
    }
    let mut session = connect(&server(dovecot.port, Security::Plain), &login("secret"))
        .await
        .expect("login");
    let folders = session.folders().await.expect("list");
    assert!(folders.iter().any(|f| f.name == "INBOX" && !f.sent));
    assert!(
        folders.iter().any(|f| f.name == "Sent" && f.sent),
        "{folders:?}"
    );

    let status = session.examine("INBOX").await.expect("examine");
    assert_eq!(status.exists, 3);
    let sizes = session.uid_sizes(1).await.expect("sizes");
    assert_eq!(sizes.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(sizes[0].1 as usize, message(1).len());
    let mut got = Vec::new();
    session
        .fetch(&[1, 2, 3], &mut |uid, bytes| got.push((uid, bytes)))
        .await
        .expect("fetch");
    got.sort();
    assert_eq!(got, vec![(1, message(1)), (2, message(2)), (3, message(3))]);
    assert!(
        session.uid_sizes(4).await.expect("sizes").is_empty(),
        "nothing above the last UID"
    );
    session.logout().await;
    assert_eq!(
        dovecot.seen_count("support", "INBOX"),
        0,
        "nothing was marked \\Seen"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_login_error_naming_the_user() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    let err = connect(&server(dovecot.port, Security::Plain), &login("wrong"))
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, ImapError::Login { .. }), "{err}");
    assert!(
        err.to_string().contains("refused the login of support"),
        "{err}"
    );
}

#[tokio::test]
async fn tls_and_starttls_trust_only_a_known_certificate() {
    let dovecot = Dovecot::start_with_tls(&[("support", "secret")]);
    let tls_port = dovecot.tls_port.expect("imaps port");

    let untrusted = connect(&server(tls_port, Security::Tls), &login("secret"))
        .await
        .err()
        .expect("refused");
    assert!(matches!(untrusted, ImapError::Tls { .. }), "{untrusted}");
    assert!(untrusted.to_string().contains("set ca_file"), "{untrusted}");

    let trusted = Server {
        ca_file: dovecot.ca_file.clone(),
        ..server(tls_port, Security::Tls)
    };
    let mut session = connect(&trusted, &login("secret"))
        .await
        .expect("TLS with ca_file");
    assert_eq!(session.examine("INBOX").await.expect("examine").exists, 0);
    session.logout().await;

    let starttls = Server {
        ca_file: dovecot.ca_file.clone(),
        ..server(dovecot.port, Security::StartTls)
    };
    connect(&starttls, &login("secret"))
        .await
        .expect("STARTTLS with ca_file")
        .logout()
        .await;
    let untrusted = connect(&server(dovecot.port, Security::StartTls), &login("secret"))
        .await
        .err()
        .expect("refused");
    assert!(matches!(untrusted, ImapError::Tls { .. }), "{untrusted}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // A listener that accepts and then says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let quiet = Server {
        timeout: Duration::from_millis(300),
        ..server(port, Security::Plain)
    };
    let err = connect(&quiet, &login("x")).await.err().expect("timed out");
    assert!(matches!(err, ImapError::Timeout { .. }), "{err}");
    assert!(
        err.to_string().contains("waiting for the greeting"),
        "{err}"
    );
    drop(listener);
}

//! Issue 20: one request must never take the service down. Each test
//! sends what an attacker (or a careless agent) would, to the real binary.

use crate::web::{add_user, token, Server};

/// 5,000 negations, 4,000 nested parentheses, 8,000 unclosed ones: each
/// overflowed the stack and killed the process. Now each is a clear error
/// on the command line, a 400 on the API and the page, and the server
/// goes on answering.
#[test]
fn a_deeply_nested_query_is_refused_not_a_crash() {
    let cb = crate::with_conversation();
    let hostile = [
        format!("{}a", "-".repeat(5_000)),
        format!("{}a{}", "(".repeat(4_000), ")".repeat(4_000)),
        "(".repeat(8_000),
        format!("{}voicemail", "-".repeat(40)),
    ];
    for q in &hostile {
        let out = cb.run(&["search", "--", q]);
        assert_eq!(out.status.code(), Some(1), "an error, not a signal");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("longer than 2000 characters") || err.contains("nest more than 32 deep"),
            "{}",
            &err[..err.len().min(300)]
        );
    }

    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let bearer = token(&cb, "amy");
    let cookie = server.log_in("amy");
    let encode = |q: &str| q.replace('(', "%28").replace(')', "%29");
    for q in &hostile {
        let api = server.api(&format!("/api/v1/search?q={}", encode(q)), &bearer);
        assert_eq!(api.status, 400, "{}", &api.body[..api.body.len().min(300)]);
        let page = server.page(&format!("/search?q={}", encode(q)), &cookie);
        assert_eq!(
            page.status,
            400,
            "{}",
            &page.body[..page.body.len().min(300)]
        );
    }
    let fine = server.api("/api/v1/search?q=voicemail", &bearer);
    assert_eq!(fine.status, 200, "the server is still up");
}

//! The database a test's archive lives in. `scripts/test` runs the suite
//! twice: on the embedded SQLite default, then with
//! `CASEBOOK_TEST_BACKEND=postgres` against the private PostgreSQL server it
//! started (its URL in `CASEBOOK_TEST_POSTGRES`). Each test's data folder
//! gets its own fresh PostgreSQL database.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// Which backend this test run uses.
pub fn backend() -> &'static str {
    match std::env::var("CASEBOOK_TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        Ok("sqlite") | Err(_) => "sqlite",
        Ok(other) => panic!("CASEBOOK_TEST_BACKEND={other:?}: use sqlite or postgres"),
    }
}

/// The database URL for the archive whose data folder is `data_dir`: none
/// on SQLite (the archive's default file in the folder), else a PostgreSQL
/// database of its own, created on first use. The same folder always
/// gets the same database, so reopening an archive finds its mail.
pub fn database_url(data_dir: &Path) -> Option<String> {
    if backend() == "sqlite" {
        return None;
    }
    let server = std::env::var("CASEBOOK_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CASEBOOK_TEST_BACKEND=postgres needs CASEBOOK_TEST_POSTGRES, the URL of a server \
             (postgres://casebook@127.0.0.1:PORT); scripts/test starts one"
        )
    });
    let name = format!(
        "casebook_{:016x}",
        fnv1a(data_dir.to_string_lossy().as_bytes())
    );
    static CREATED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if created
        .get_or_insert_with(HashSet::new)
        .insert(name.clone())
    {
        create_database(&server, &name);
    }
    Some(format!("{}/{name}", server.trim_end_matches('/')))
}

/// A second database on the test server, for copies.
pub fn other_database_url(data_dir: &Path, purpose: &str) -> String {
    let server = std::env::var("CASEBOOK_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!("CASEBOOK_TEST_POSTGRES is not set; scripts/test starts a PostgreSQL server")
    });
    let name = format!(
        "casebook_{:016x}",
        fnv1a(format!("{}#{purpose}", data_dir.display()).as_bytes())
    );
    create_database(&server, &name);
    format!("{}/{name}", server.trim_end_matches('/'))
}

fn create_database(server: &str, name: &str) {
    let admin = format!("{}/postgres", server.trim_end_matches('/'));
    let out = Command::new("psql")
        .arg(&admin)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql runs (apt-get install postgresql-client)");
    assert!(
        out.status.success(),
        "cannot create the test database {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs `sql` on the archive database at `url` (`sqlite://PATH` or a
/// PostgreSQL URL) as an outside tool would, behind the archive's back and
/// with references unchecked (SQLite's own default; PostgreSQL's replica
/// role): for tests of what `casebook check` finds.
pub fn behind_the_back(url: &str, sql: &str) {
    outside_tool(
        url,
        "c = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()",
        &[],
        &format!("SET session_replication_role = replica; {sql}"),
        sql,
    );
}

/// The first column of the first row `sql` returns on the database at
/// `url` (`sqlite://PATH` or PostgreSQL), as text: for tests that look in
/// the database itself for what must not be there.
pub fn query_text(url: &str, sql: &str) -> String {
    outside_tool(
        url,
        "row = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()\nprint('' if row is None else row[0])",
        &["-t", "-A"],
        sql,
        sql,
    )
}

/// Runs SQL on `url` with tools that are not casebook: Python's sqlite3
/// (`script`, given the path and `sqlite_sql`) or psql (`psql_args`,
/// `postgres_sql`). Returns standard output, trimmed; fails the test on an
/// error.
fn outside_tool(
    url: &str,
    script: &str,
    psql_args: &[&str],
    postgres_sql: &str,
    sqlite_sql: &str,
) -> String {
    let out = match url.strip_prefix("sqlite://") {
        Some(path) => Command::new("python3")
            .args([
                "-c",
                &format!("import sqlite3, sys\n{script}"),
                path,
                sqlite_sql,
            ])
            .output()
            .expect("python3 runs (scripts/test installs it)"),
        None => Command::new("psql")
            .arg(url)
            .args(["-v", "ON_ERROR_STOP=1", "-q"])
            .args(psql_args)
            .args(["-c", postgres_sql])
            .output()
            .expect("psql runs"),
    };
    assert!(
        out.status.success(),
        "{sqlite_sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

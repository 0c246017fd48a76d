//! The `casebook` binary driven as a person or a script would: real files,
//! a fresh data folder per test, output and exit status checked.

mod abuse;
mod bounds;
mod crash;
mod customers;
mod disk;
mod encryption;
mod erasure;
mod identity;
mod integrity;
mod privacy;
mod queue;
mod reading;
mod shared;
mod sync;
mod testimonials;
mod web;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One `casebook` process's view: its own data folder (and so its own
/// search index) and a database, by default this run's backend's.
pub(crate) struct Casebook {
    data: tempfile::TempDir,
    mail: tempfile::TempDir,
    pub(crate) config: PathBuf,
    /// Given to every command as CASEBOOK_DATABASE_URL; none: the SQLite
    /// file in the data folder.
    database_url: Option<String>,
}

impl Casebook {
    pub(crate) fn new() -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let mail = tempfile::tempdir().expect("tempdir");
        let config = data.path().join("casebook.toml");
        std::fs::write(&config, "our_domains = [\"casebook.example\"]\n").expect("config");
        let database_url = casebook_testkit::database_url(&data.path().join("archive"));
        Self {
            data,
            mail,
            config,
            database_url,
        }
    }

    /// Another process on the same archive: same config and database, a
    /// data folder (and search index) of its own.
    pub(crate) fn another_process(&self) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let mail = tempfile::tempdir().expect("tempdir");
        let config = data.path().join("casebook.toml");
        std::fs::copy(&self.config, &config).expect("copy config");
        Self {
            data,
            mail,
            config,
            database_url: Some(self.database_url()),
        }
    }

    /// A process on the archive in the database at `url`.
    pub(crate) fn on_database(url: &str) -> Self {
        let mut cb = Self::new();
        cb.database_url = Some(url.to_owned());
        cb
    }

    /// The URL of this archive's database, whichever backend.
    pub(crate) fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data.path().join("archive/casebook.db").display()
            )
        })
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("casebook runs")
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_casebook"));
        let data = self.data.path().join("archive");
        command.env_remove("CASEBOOK_DATABASE_URL");
        if let Some(url) = &self.database_url {
            command.env("CASEBOOK_DATABASE_URL", url);
        }
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--data")
            .arg(data)
            .args(args);
        command
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "casebook {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("one JSON document")
    }

    pub(crate) fn data_path(&self) -> &Path {
        self.data.path()
    }

    pub(crate) fn write_mail(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.mail.path().join(name);
        std::fs::write(&path, bytes).expect("write mail");
        path
    }

    /// Generates `messages` of support mail (seed `seed`) into this
    /// process's data folder and returns its Maildir.
    pub(crate) fn corpus(&self, messages: usize, seed: u64) -> PathBuf {
        let out = self.data_path().join(format!("corpus-{seed}"));
        self.ok(&[
            "corpus",
            "--messages",
            &messages.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().expect("utf-8 temp path"),
        ]);
        out.join("Maildir")
    }

    pub(crate) fn mail_dir(&self) -> &str {
        self.mail.path().to_str().expect("utf-8 temp path")
    }
}

pub(crate) const QUESTION: &[u8] = b"From: Ann Lee <ann@customer.example>\r\nTo: support@casebook.example\r\nSubject: Voicemail greeting broken\r\nDate: Tue, 1 Jul 2008 10:00:00 +0200\r\nMessage-ID: <q1@customer.example>\r\n\r\nOur voicemail plays the wrong greeting.   \r\n";
pub(crate) const ANSWER: &[u8] = b"From: Sam <sam@casebook.example>\nTo: ann@customer.example\nSubject: Re: Voicemail greeting broken\nDate: Tue, 1 Jul 2008 13:30:00 +0200\nMessage-ID: <a1@casebook.example>\nIn-Reply-To: <q1@customer.example>\n\nPlease record the unavailable greeting again.\n\n> Our voicemail plays the wrong greeting.\n";

fn with_conversation() -> Casebook {
    let cb = Casebook::new();
    cb.write_mail("question.eml", QUESTION);
    cb.write_mail("answer.eml", ANSWER);
    cb.ok(&["import", cb.mail_dir()]);
    cb
}

pub(crate) fn id_of(cb: &Casebook, message_id: &str) -> i64 {
    cb.ok(&["list", "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .find(|v| v["message_id"] == message_id)
        .and_then(|v| v["id"].as_i64())
        .expect("message listed")
}

#[test]
fn import_reports_and_a_second_import_stores_nothing() {
    let cb = Casebook::new();
    cb.write_mail("question.eml", QUESTION);
    cb.write_mail("answer.eml", ANSWER);
    let first = cb.ok(&["import", cb.mail_dir()]);
    assert!(first.contains("2 files, 2 messages read, stored 2 new, 0 copies of known messages, 0 duplicates skipped, 0 could not be stored"), "{first}");
    let second = cb.ok(&["import", cb.mail_dir()]);
    assert!(
        second.contains("2 files, 2 messages read, stored 0 new, 0 copies of known messages, 2 duplicates skipped"),
        "{second}"
    );
}

/// git's and ripgrep's convention: options before or after the query, and
/// a word starting with `-` is an option unless it comes after `--` (or
/// inside one quoted argument), never silently searched for.
#[test]
fn search_options_may_follow_the_query() {
    let cb = with_conversation();
    let after = cb.json(&["search", "voicemail", "--limit", "1", "--json"]);
    assert_eq!(after["query"], "voicemail", "{after}");
    assert_eq!(after["total"], 2, "{after}");
    assert_eq!(after["hits"].as_array().map(Vec::len), Some(1), "{after}");
    let before = cb.json(&["search", "--json", "--limit", "1", "voicemail"]);
    for field in ["query", "total", "hits"] {
        assert_eq!(before[field], after[field], "{field}");
    }
    let negated = cb.json(&["search", "--json", "--", "voicemail", "-unavailable"]);
    assert_eq!(negated["total"], 1, "{negated}");
    let quoted = cb.json(&["search", "--json", "voicemail -unavailable"]);
    assert_eq!(quoted["total"], 1, "{quoted}");
    let unknown = cb.run(&["search", "voicemail", "-unavailable"]);
    assert!(!unknown.status.success(), "a stray option is refused");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("use '-- -u'"),
        "the error says how to search for it: {err}"
    );
}

/// `casebook list | head`: a reader that has gone away is no error (git's
/// and ripgrep's convention). Each command writes into a pipe whose reading
/// end is already closed, so every write it makes fails.
#[test]
fn a_closed_pipe_is_not_an_error() {
    let cb = with_conversation();
    let id = id_of(&cb, "q1@customer.example").to_string();
    let thread = cb.json(&["search", "--json", "greeting"])["hits"][0]["thread_id"].to_string();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["search", "voicemail"],
        vec!["search", "--json", "voicemail"],
        vec!["show", &id],
        vec!["thread", &thread],
        vec!["raw", &id],
        vec!["stats"],
        vec!["stats", "--aggregate"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = cb
            .command(&args)
            .stdout(writer)
            .output()
            .expect("casebook runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "casebook {args:?} into a closed pipe: {:?} {err}",
            out.status
        );
    }
}

/// Completions and manual pages come from the command-line definitions,
/// so they name every command and need no config or archive.
#[test]
fn completions_and_manual_pages_cover_every_command() {
    let cb = Casebook::new();
    std::fs::write(&cb.config, "this is not = = toml").expect("config");
    for shell in ["bash", "zsh", "fish"] {
        let script = cb.ok(&["completions", shell]);
        for word in ["search", "import", "limit", "retention"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let page = cb.ok(&["man"]);
    assert!(
        page.starts_with(".ie") && page.contains(".TH casebook 1"),
        "{page}"
    );
    let dir = cb.data_path().join("man");
    std::fs::create_dir(&dir).expect("a folder");
    cb.ok(&["man", "--out", dir.to_str().expect("utf-8 temp path")]);
    let search = std::fs::read_to_string(dir.join("casebook-search.1")).expect("a page for search");
    assert!(search.contains("\\-\\-limit"), "{search}");
    let missing = cb.run(&["man", "--out", "/nonexistent/folder"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/folder"));
}

#[test]
fn raw_gives_back_the_original_bytes() {
    let cb = with_conversation();
    let id = id_of(&cb, "q1@customer.example");
    let out = cb.run(&["raw", &id.to_string()]);
    assert!(out.status.success());
    assert_eq!(out.stdout, QUESTION, "CRLF and trailing spaces kept");
}

#[test]
fn search_json_has_hits_with_snippets_and_the_original_offset() {
    let cb = with_conversation();
    let v = cb.json(&["search", "--json", "greeting", "is:inbound"]);
    assert_eq!(v["total"], 1);
    let hit = &v["hits"][0];
    assert_eq!(hit["message_id"], "q1@customer.example");
    assert_eq!(hit["direction"], "inbound");
    assert_eq!(hit["correspondent"], "ann@customer.example");
    assert_eq!(hit["subject"], "Voicemail greeting broken");
    assert_eq!(hit["date"], "2008-07-01T10:00:00+02:00");
    assert!(hit["thread_id"].is_i64());
    assert!(hit["snippet"]["text"]
        .as_str()
        .is_some_and(|s| s.contains("greeting")));
    let unanswered = cb.json(&["search", "--json", "is:unanswered"]);
    assert_eq!(unanswered["total"], 0, "the question was answered");
}

#[test]
fn thread_and_show_pair_the_question_with_our_reply() {
    let cb = with_conversation();
    let q = id_of(&cb, "q1@customer.example");
    let a = id_of(&cb, "a1@casebook.example");
    let show = cb.json(&["show", "--json", &q.to_string()]);
    assert_eq!(show["reply_id"], a);
    assert_eq!(show["response_secs"], 3 * 3600 + 1800);
    assert_eq!(show["thread"].as_array().map(Vec::len), Some(2));
    let thread = show["thread_id"].as_i64().expect("threaded");
    let text = cb.ok(&["thread", &thread.to_string()]);
    assert!(
        text.contains(&format!("answered by {a} after 3h 30m")),
        "{text}"
    );
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], 2);
    assert_eq!(stats["threads"], 1);
    assert_eq!(stats["answered"], 1);
    assert_eq!(stats["median_first_response_secs"], 12_600);
}

#[test]
fn list_json_is_one_object_per_line() {
    let cb = with_conversation();
    let lines: Vec<Value> = cb
        .ok(&["list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for key in [
        "id",
        "message_id",
        "thread_id",
        "direction",
        "correspondent",
        "date",
        "subject",
    ] {
        assert!(
            lines.iter().all(|l| l.get(key).is_some()),
            "{key} in every line"
        );
    }
}

#[test]
fn a_bad_query_points_at_the_column() {
    let cb = with_conversation();
    let out = cb.run(&["search", "voicemail", "after:tomorrow"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("at column 17: expected a date like 2008-01-31"),
        "{err}"
    );
    assert!(
        err.contains("  voicemail after:tomorrow\n                  ^\n"),
        "{err}"
    );
}

#[test]
fn a_bad_config_names_the_key() {
    let cb = Casebook::new();
    std::fs::write(&cb.config, "our_addresses = [\"support\"]\n").expect("config");
    let out = cb.run(&["stats"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`our_addresses[0]` = \"support\": not an e-mail address"),
        "{err}"
    );
}

#[test]
fn unreadable_inputs_are_named_and_the_rest_is_stored() {
    let cb = Casebook::new();
    cb.write_mail("question.eml", QUESTION);
    cb.write_mail("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00");
    let missing = cb.mail.path().join("no-such-folder");
    let out = cb.run(&["import", cb.mail_dir(), missing.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "failures give exit status 2");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("photo.jpg: not a mail message"), "{text}");
    assert!(text.contains("no-such-folder does not exist"), "{text}");
    assert!(text.contains("stored 1 new"), "{text}");
}

#[test]
fn quickstart_imports_sample_mail_and_shows_a_search() {
    let data = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .current_dir(data.path())
        .args(["--data", "qs", "quickstart", "--messages", "300"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Imported 30"), "{text}");
    assert!(text.contains("search 'voicemail is:unanswered'"), "{text}");
    assert!(Path::new(data.path()).join("qs/casebook.db").exists());
}

#[test]
fn copies_of_one_message_are_kept_and_their_differences_shown() {
    let cb = Casebook::new();
    cb.write_mail("first.eml", QUESTION);
    let mut second = b"Received: from mx2.casebook.example\r\n".to_vec();
    second.extend_from_slice(QUESTION);
    cb.write_mail("second.eml", &second);
    // Without a Message-ID, equal-looking mail is never merged.
    cb.write_mail(
        "no-id-1.eml",
        b"From: x@customer.example\nSubject: Help\n\nsame words\n",
    );
    cb.write_mail(
        "no-id-2.eml",
        b"From: x@customer.example\nSubject: Help\n\nsame words \n",
    );
    let report = cb.ok(&["import", cb.mail_dir()]);
    assert!(
        report.contains("stored 3 new, 1 copies of known messages"),
        "{report}"
    );

    let id = id_of(&cb, "q1@customer.example");
    let show = cb.json(&["show", "--json", &id.to_string()]);
    let copies = show["copies"].as_array().expect("copies listed");
    assert_eq!(copies.len(), 1);
    let other = if show["copy_of"].is_null() {
        &copies[0]["only_in_copy"]
    } else {
        &copies[0]["only_in_this"]
    };
    assert_eq!(
        other,
        &serde_json::json!(["Received: from mx2.casebook.example"])
    );
    assert_eq!(copies[0]["bodies_differ"], false);
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], 3, "copies count once");
    assert_eq!(stats["copies"], 1);
}

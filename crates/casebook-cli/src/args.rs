use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Casebook: a support inbox and correspondence archive.
#[derive(Parser)]
#[command(name = "casebook", version, about)]
pub struct Args {
    /// The config file (default: config/casebook.toml if it exists).
    #[arg(long, global = true, env = "CASEBOOK_CONFIG")]
    pub config: Option<PathBuf>,
    /// The folder holding the search index and, unless a database URL says
    /// otherwise, the SQLite database (default: ./casebook-data).
    #[arg(long, global = true, env = "CASEBOOK_DATA")]
    pub data: Option<PathBuf>,
    /// The database: postgres://user@host:port/name for a shared archive,
    /// sqlite:///path/casebook.db for another file (default: the config's
    /// database_url, else casebook.db in the data folder).
    #[arg(
        long,
        global = true,
        env = "CASEBOOK_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    #[command(flatten)]
    Archive(ArchiveCommand),
    /// Generate sample correspondence, import it and show searches to try.
    Quickstart {
        /// How many generated messages to import into the demo archive.
        #[arg(long, default_value_t = 2000)]
        messages: usize,
    },
    /// Serve the web app and the JSON API (/api/v1/) until Ctrl-C or SIGTERM.
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Mark the session cookie Secure: the app is reached over HTTPS
        /// (through a proxy that terminates TLS).
        #[arg(long)]
        secure_cookies: bool,
        /// A reverse proxy in front of the app (an IP address; repeat for
        /// several): its X-Forwarded-For names the client, whose address
        /// failed logins are counted by. Without it, the connection's
        /// address is the client.
        #[arg(long = "trusted-proxy", value_name = "ADDRESS")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Bring the database's schema up to date (opening an archive does it
    /// too; run this before starting the processes of a shared archive).
    Migrate,
    /// Copy an archive into another, empty database (SQLite to PostgreSQL or
    /// back), verified by counts and checksums. The search index is rebuilt
    /// by each process on first use.
    MigrateStore {
        /// The archive to copy, e.g. sqlite:///srv/casebook-data/casebook.db
        #[arg(long)]
        from: String,
        /// The empty database to copy into, e.g. postgres://casebook@db/casebook
        #[arg(long)]
        to: String,
    },
    /// Restore a backup made by `casebook backup DIR` into this archive's
    /// database, which must be empty; verified like migrate-store.
    Restore {
        /// The folder a backup was written into.
        dir: PathBuf,
    },
    /// Print the completion script for a shell: `casebook completions bash
    /// > /etc/bash_completion.d/casebook`.
    Completions {
        /// The shell the script is for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print casebook's manual page (roff: `casebook man | man -l -`), or
    /// write one page per command into a folder.
    Man {
        /// Write casebook.1 and a page for every command (casebook-search.1,
        /// …) into this existing folder instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a new random key for encryption at rest to FILE (readable by
    /// its owner only); point encryption_key_file at it.
    Keygen {
        /// Where to write the new key (a file that must not exist yet; readable by its owner only).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a generated corpus of support mail (for tests and benchmarks).
    #[command(hide = true)]
    Corpus {
        /// At least this many messages (the last conversation may add a few).
        #[arg(long, default_value_t = 30_000)]
        messages: usize,
        /// The same seed writes the same corpus, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How the mail is dressed: `compact` (about 1 KB a message) or
        /// `realistic` (as Outlook, Gmail, Apple Mail, Thunderbird, scripts
        /// and web forms write it: relay headers, signatures, quoted
        /// history, HTML, attachments; mostly 2–20 KB). Same conversations.
        #[arg(long, value_enum, default_value_t = CorpusProfile::Compact)]
        profile: CorpusProfile,
        /// The folder to write Maildir/, mbox/ and truth.json into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// How `casebook corpus` dresses its mail.
#[derive(Clone, Copy, ValueEnum)]
pub enum CorpusProfile {
    /// About 1 KB a message.
    Compact,
    /// As real mail programs write it, mostly 2–20 KB.
    Realistic,
}

impl From<CorpusProfile> for casebook_corpus::Profile {
    fn from(profile: CorpusProfile) -> Self {
        match profile {
            CorpusProfile::Compact => Self::Compact,
            CorpusProfile::Realistic => Self::Realistic,
        }
    }
}

/// Commands that work on an archive in the data folder.
#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// Import Maildir folders, mbox files, .eml files and folders of them.
    Import {
        /// Maildir folders, mbox files, .eml files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the report as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Write a message's original bytes, unchanged, to standard output
    /// (refused when they no longer match their SHA-256).
    Raw {
        /// The archive's number of the message.
        id: i64,
        /// Write the bytes even if they no longer match their SHA-256
        /// (a warning goes to standard error).
        #[arg(long)]
        force: bool,
    },
    /// Show a message: headers, text, attachments, its thread and our reply.
    Show {
        /// The archive's number of the message.
        id: i64,
        /// Print the message as one JSON document (the shape the API and an export use).
        #[arg(long)]
        json: bool,
    },
    /// Show a thread: each customer message with our reply and the time it took.
    Thread {
        /// The thread's number (`show` and `search` give it).
        id: i64,
        /// Print the thread as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The conversations waiting for us, oldest waiting first: the
    /// customer has written since our last reply and has no answer yet.
    Queue {
        /// Only customers on this customer list.
        #[arg(long)]
        list: Option<String>,
        /// Only conversations with a message carrying this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only conversations about this topic (sip-trunk, voicemail,
        /// dialplan, licence, invoice, codec, queue, other).
        #[arg(long)]
        topic: Option<String>,
        /// How many conversations to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Skip this many conversations first (for the next page).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Print one JSON object per conversation, a line each.
        #[arg(long)]
        json: bool,
    },
    /// How we answered this before: the earlier conversations most like
    /// message ID that we answered, closest first, with the first lines of
    /// our reply (found by the customer's own words, not what they quote).
    Similar {
        /// The archive's number of the customer's message.
        id: i64,
        /// How many conversations to show.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Print {"similar": [...]} as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// List every message (with --json, one JSON object per line).
    List {
        /// Print one JSON object per message, a line each.
        #[arg(long)]
        json: bool,
        /// Only messages whose person could not be read (no usable From
        /// header on a customer's mail, no recipient on ours): nobody's
        /// erasure or export can find them by address.
        #[arg(long)]
        unattributed: bool,
    },
    /// Search: words, "phrases", from: to: subject: body:, -word (quoted, or after --), OR,
    /// after:YYYY-MM-DD before:, has:attachment, is:inbound|outbound|automated|answered|unanswered, thread:ID.
    Search {
        /// The query: words, "phrases", field:value terms, AND/OR/NOT and
        /// parentheses (README, Query language). Options may come before or
        /// after it; a word starting with `-` (not) goes inside one quoted
        /// argument (`'voicemail -spam'`) or after `--`.
        #[arg(required = true)]
        query: Vec<String>,
        /// The order of the results.
        #[arg(long, value_enum, default_value_t = SortArg::Newest)]
        sort: SortArg,
        /// How many results to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Skip this many results first (for the next page).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// List conversations instead of messages: each with its
        /// customer, whether it waits for us, and a passage of the
        /// customer's own words; --limit and --offset count conversations.
        #[arg(long)]
        threads: bool,
        /// Print the results as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Counts: messages, threads, inbound, outbound, answered, response times.
    Stats {
        /// Print the figures as one JSON document.
        #[arg(long)]
        json: bool,
        /// Volumes per month and topic, answer rates and response times,
        /// with every cell of fewer than k_anonymity people suppressed:
        /// figures that identify nobody.
        #[arg(long)]
        aggregate: bool,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Remove messages from the archive (and from every process's index).
    Remove {
        /// The archive's numbers of the messages to remove.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Pull new mail from the IMAP accounts in the config, then exit.
    /// Reads every message whatever its flags; changes nothing on the server.
    Sync {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Print each folder's report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sync, then keep watching for new mail (IDLE, or polling where the
    /// server lacks it), reconnecting after failures; stops on Ctrl-C or SIGTERM.
    Watch {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
    },
    /// The people who use the web app: add, list, disable, set a password.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens for scripts (sent as `Authorization: Bearer TOKEN`).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Testimonials: suggest, approve, reject, revoke, list, export.
    Testimonial {
        #[command(subcommand)]
        action: TestimonialAction,
    },
    /// Customer and partner lists: import CSV exports, match senders,
    /// export for a partner.
    Customers {
        #[command(subcommand)]
        action: CustomersAction,
    },
    /// Addresses of one person: merge, separate, list, suggestions.
    Person {
        #[command(subcommand)]
        action: PersonAction,
    },
    /// A person's privacy choices (marketing, partners) and the mail that
    /// asks to unsubscribe or to stop sharing.
    Privacy {
        #[command(subcommand)]
        action: PrivacyAction,
    },
    /// Move every raw message to one key: the config's encryption_key_file,
    /// or --to FILE (then set encryption_key_file to FILE), or --decrypt.
    Rekey {
        /// Move raw mail to the key in this file (then set encryption_key_file to it).
        #[arg(long, conflicts_with = "decrypt")]
        to: Option<PathBuf>,
        /// Store raw mail unencrypted (then remove encryption_key_file from the config).
        #[arg(long)]
        decrypt: bool,
    },
    /// Verify the archive: every raw message against its SHA-256, rows that
    /// point nowhere, threads, the search index against the store. Exit
    /// status 2 if anything is wrong.
    Check {
        /// Fix what can be fixed without losing mail (rebuild messages from
        /// orphaned raw bytes, read unknown senders again, mend links,
        /// threads and the index; quarantine what the chain does not hold)
        /// and check again.
        #[arg(long)]
        repair: bool,
        /// A chain head noted earlier (printed by every check): fail if
        /// the chain no longer holds it (cut back or rewritten).
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
        /// With --repair: enter messages the chain does not hold into it,
        /// vouching (audited) that the archive stored them, e.g. an
        /// archive from before the chain began.
        #[arg(long, requires = "repair")]
        accept_unchained: bool,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A consistent snapshot of the archive (SQLite) in a new folder, made
    /// while it is in use.
    Backup {
        /// A new folder to write the backup into.
        dir: PathBuf,
    },
    /// Erase mail past the config's retention_days.
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
    /// Legal holds: `hold thread:ID|tag:NAME --reason "…"` keeps that mail
    /// through erasure and retention; `--list`; `--release TARGET`.
    Hold {
        /// thread:ID or tag:NAME.
        #[arg(required_unless_present_any = ["list", "release"])]
        target: Option<String>,
        /// Why the mail is held (a case, an order); recorded in the audit log.
        #[arg(long, requires = "target")]
        reason: Option<String>,
        /// List the holds in force.
        #[arg(long, conflicts_with_all = ["target", "release"])]
        list: bool,
        /// End the hold on TARGET.
        #[arg(long, value_name = "TARGET", conflicts_with = "target")]
        release: Option<String>,
        /// With --list: print the holds as one JSON array.
        #[arg(long, requires = "list")]
        json: bool,
    },
    /// Who did what and when: testimonial decisions, exports, privacy.
    Audit {
        /// Print the entries as one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Tag a message (searchable as tag:NAME).
    Tag {
        /// The archive's number of the message.
        id: i64,
        /// The tag: letters, digits and - _ . /.
        tag: String,
    },
    /// The IMAP folders synced so far: UIDVALIDITY, last UID, counts, last sync and error.
    Accounts {
        /// Print each folder's state as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum UserAction {
    /// Add a user; the password is read from the terminal (or one line of
    /// standard input).
    Add {
        /// The user's login name: letters, digits and . _ - @.
        name: String,
        /// What the user may do: agent (mail), marketing (approved testimonials and statistics), admin (everything).
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Every user with their role.
    List {
        /// Print the users as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: their sessions end and their API tokens stop working.
    Disable {
        /// The user to disable.
        name: String,
    },
    /// Set a user's password (read like `add`); their sessions end.
    Passwd {
        /// The user whose password to set.
        name: String,
    },
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Create an API token for a user; it is shown once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "nightly export".
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Subcommand)]
pub enum TestimonialAction {
    /// Customer messages that praise us and no one has decided on, best first.
    Suggest {
        /// How many suggestions to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print the suggestions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve an excerpt of a customer's message as a testimonial.
    #[command(group(clap::ArgGroup::new("consent").required(true).args(["consent_message", "consent_note"])))]
    Approve {
        /// The archive's number of the customer's message.
        message: i64,
        /// The words to quote, as the customer wrote them.
        #[arg(long)]
        excerpt: String,
        /// "Name, Company", or anonymous: "A customer in telecoms".
        #[arg(long)]
        attribution: String,
        /// A message of the customer's in which they agreed to be quoted.
        #[arg(long)]
        consent_message: Option<i64>,
        /// How consent was obtained otherwise.
        #[arg(long)]
        consent_note: Option<String>,
        /// The excerpt is edited, not word for word (marketing sees this).
        #[arg(long)]
        edited: bool,
        /// Last day it may be used (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<String>,
    },
    /// Reject a suggestion so it is not suggested again.
    Reject {
        /// The archive's number of the suggested message.
        message: i64,
        /// Why it is rejected; recorded in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// Revoke an approved testimonial (e.g. the customer withdrew consent).
    Revoke {
        /// The testimonial's number (`testimonial list` gives it).
        id: i64,
        /// Why it is revoked; recorded in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// Testimonials by state (default: approved and usable).
    List {
        /// Which testimonials to list.
        #[arg(long, value_enum, default_value_t = StatusArg::Approved)]
        status: StatusArg,
        /// Print the testimonials as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What marketing may use, as JSON, CSV or an HTML page on standard
    /// output: excerpt, attribution, date, topic, edited, id — nothing else.
    Export {
        /// The form of the export.
        #[arg(long, value_enum)]
        format: ExportFormat,
    },
}

#[derive(Subcommand)]
pub enum CustomersAction {
    /// Import a CSV export (comma, semicolon or tab; UTF-8 or Latin-1);
    /// it replaces the list of that name unless --merge.
    Import {
        /// The list file (CSV, with a header row).
        file: PathBuf,
        /// The list's name (searched as customer:NAME).
        #[arg(long)]
        list: String,
        /// The business partner whose list it is.
        #[arg(long)]
        partner: Option<String>,
        /// Where a field is when the header does not say: email=3 (from
        /// 1) or company="Firm"; fields: email, name, company, account.
        #[arg(long = "column", value_name = "FIELD=COLUMN")]
        columns: Vec<String>,
        /// Add to the list instead of replacing it.
        #[arg(long)]
        merge: bool,
    },
    /// The lists with their source file, import time and size.
    Lists {
        /// Print the lists as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Which correspondents are on which lists, by address or company
    /// domain, and who is on none.
    Match {
        /// Match against this list only (default: every list).
        #[arg(long)]
        list: Option<String>,
        /// Print the matches as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print the matches as CSV.
        #[arg(long)]
        csv: bool,
    },
    /// The matched correspondents a partner may receive (everyone on the
    /// partner's lists but those who objected to disclosure), as CSV.
    ExportForPartner {
        /// The partner whose records to export (as named at import).
        partner: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum PersonAction {
    /// Make OTHER an address of the person PRIMARY: search, show, exports
    /// and erasure then act on both.
    Merge {
        /// The address the person is known by.
        primary: String,
        /// Another address of the same person.
        other: String,
    },
    /// Undo a merge: ADDRESS is a person of its own again.
    Separate {
        /// The address to make a person of its own again.
        address: String,
    },
    /// Every merged person with their addresses.
    List {
        /// Print the persons as one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Addresses the lists suggest are one person (same account id, or
    /// same name and company).
    Suggest {
        /// Print the suggestions as one JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PrivacyAction {
    /// Record a person's choice: marketing opt-in or opt-out (an
    /// unsubscribe, which also revokes their testimonials), and disclosure
    /// to partners allowed or denied.
    #[command(group(clap::ArgGroup::new("choice").required(true).multiple(true).args(["marketing", "partners"])))]
    Set {
        /// The person's address.
        email: String,
        /// Whether the person wants marketing mail.
        #[arg(long, value_enum)]
        marketing: Option<MarketingArg>,
        /// Whether the person objects to their data going to business partners.
        #[arg(long, value_enum)]
        partners: Option<PartnersArg>,
        /// Where this comes from: "message 42", "phone call with Ann, 3 May".
        #[arg(long)]
        source: String,
    },
    /// A person's choices as they stand, with when, by whom and the source.
    Show {
        /// The person's address.
        email: String,
        /// Print what is held as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every address with a recorded choice.
    List {
        /// Print the choices as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inbound mail that asks to unsubscribe or to stop sharing, waiting
    /// for an agent to confirm or dismiss.
    Requests {
        /// Print the requests as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Confirm a flagged message: record what it asks for from its sender.
    Confirm {
        /// The archive's number of the message holding the request.
        message: i64,
    },
    /// A flagged message that is not a request after all.
    Dismiss {
        /// The archive's number of the message flagged as a request.
        message: i64,
    },
    /// Correct what is held on a person at their request: the name they go
    /// by, or a customer list whose match was wrong for them.
    #[command(group(clap::ArgGroup::new("correction").required(true).multiple(true).args(["name", "not_on_list"])))]
    Correct {
        /// The person's address.
        email: String,
        /// The name to use for them from now on.
        #[arg(long)]
        name: Option<String>,
        /// This person is not the customer the list LIST matched.
        #[arg(long, value_name = "LIST")]
        not_on_list: Option<String>,
    },
    /// Write everything held on a person (every address merged with them)
    /// into a new folder: messages (.eml and JSON), our replies, list
    /// matches, choices, testimonials, audit entries, and a README.
    Export {
        /// The person's address.
        email: String,
        /// The folder to write the export into (must be new or empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Erase a person (and every address merged with them): their mail and
    /// our replies, list records, choices and links, from the store and
    /// every index. A keyed hash keeps their mail from coming back; held
    /// mail is kept.
    Erase {
        /// The person's address (every address merged with it is erased too).
        email: String,
        /// Only say what would be erased.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
pub enum RetentionAction {
    /// Erase mail older than `retention_days` (the config's), but held mail.
    Apply {
        /// Say what would be erased, and erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MarketingArg {
    OptIn,
    /// An unsubscribe.
    OptOut,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PartnersArg {
    Allow,
    /// The person objects to disclosure to partners.
    Deny,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    /// Approved, unexpired, unrevoked: usable.
    Approved,
    Rejected,
    Revoked,
    Expired,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Searches and reads correspondence.
    Agent,
    /// Sees approved testimonials and aggregate statistics only.
    Marketing,
    /// Everything, including users.
    Admin,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortArg {
    Newest,
    Relevance,
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::CommandFactory;

    /// Every option and argument of every command says what it does in
    /// `--help`, as git's and ripgrep's do.
    #[test]
    fn every_option_has_help() {
        fn bare(command: &clap::Command, path: &str, out: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    out.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                bare(sub, &format!("{path} {}", sub.get_name()), out);
            }
        }
        let mut missing = Vec::new();
        bare(&Args::command(), "casebook", &mut missing);
        assert!(missing.is_empty(), "options without help: {missing:?}");
    }
}

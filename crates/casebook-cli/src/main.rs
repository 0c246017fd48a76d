//! The `casebook` command: the binary's edge, where configuration is read,
//! errors become messages for the person at the terminal, and output takes
//! its shape (text on a terminal, `--json` for scripts).

mod args;
mod customers;
mod output;
mod privacy;
mod progress;
mod quickstart;

use anyhow::{bail, Context, Result};
use args::{
    ArchiveCommand, Args, Command, ExportFormat, RoleArg, SortArg, StatusArg, TestimonialAction,
    TokenAction, UserAction,
};
use casebook_archive::{
    Archive, ArchiveError, MessageId, Role, SearchRequest, Sort, StoreLocation, ThreadId,
    WatchEvent,
};
use casebook_config::Config;
use clap::Parser;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The command's allocator, for every allocation in the process (SQLite's
/// and zstd's too, and the server's): jemalloc, with two arenas. glibc's,
/// held to two arenas for memory (with one per thread, a million-message
/// import peaked at 843 MB while its heap in use stayed near 300 MB),
/// spent about a fifth of an import in its arenas' locks and in
/// consolidating free chunks: jemalloc keeps a cache of small blocks per
/// thread and takes no lock for them. Importing 30,000 realistic messages
/// (BENCHMARKS.md, session 24), four rounds interleaved: glibc 6.71–9.30 s
/// and 227–232 MB at the peak, jemalloc 5.66–6.24 s and 268–271 MB; the
/// compact million 240.1 s and 294 MB against glibc's 282.5 s and 263 MB.
/// Pages freed are given back after a second (`dirty_decay_ms`), not ten,
/// at once from then on (`muzzy_decay_ms`), and their addresses unmapped
/// (`retain:false`): memory follows what is in use, and the kernel's limit
/// on a process's data (RLIMIT_DATA, which the memory-bound tests set)
/// counts the addresses mapped, which jemalloc otherwise keeps.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read by it at its first allocation (before main).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(transparent)]
struct AllocatorSettings(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal, never written.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
unsafe impl Sync for AllocatorSettings {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
#[export_name = "malloc_conf"]
static ALLOCATOR_SETTINGS: AllocatorSettings =
    AllocatorSettings(c"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0,retain:false".as_ptr());

const DEFAULT_CONFIG: &str = "config/casebook.toml";
const DEFAULT_DATA: &str = "casebook-data";

fn main() -> ExitCode {
    let args = Args::parse();
    // Made from the command-line definitions alone: no config, no archive.
    if let Some(written) = shell_aid(&args.command) {
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if output::reader_went_away(&e) => ExitCode::SUCCESS,
            Err(e) => {
                report_error(&e);
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // The web server answers many requests at once; every other command
    // does one thing at a time.
    let runtime = match &args.command {
        Command::Serve { .. } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        // The reader went away (`casebook list | head`): what it wanted
        // it has, as with git and ripgrep; nothing to say.
        Err(e) if output::reader_went_away(&e) => ExitCode::SUCCESS,
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// `casebook completions SHELL` and `casebook man`, from clap's
/// definitions; `None` for every other command.
fn shell_aid(command: &Command) -> Option<Result<()>> {
    use clap::CommandFactory;
    use std::io::Write;
    let print = |bytes: Vec<u8>| -> Result<()> {
        let mut out = output::stdout();
        out.write_all(&bytes)?;
        Ok(out.flush()?)
    };
    match command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Args::command(), "casebook", &mut script);
            Some(print(script))
        }
        Command::Man { out: None } => {
            let mut page = Vec::new();
            Some(
                clap_mangen::Man::new(Args::command())
                    .render(&mut page)
                    .map_err(anyhow::Error::from)
                    .and_then(|()| print(page)),
            )
        }
        Command::Man { out: Some(dir) } => Some(
            clap_mangen::generate_to(Args::command(), dir).with_context(|| {
                format!(
                    "cannot write the manual pages into {} (it must be an existing folder)",
                    dir.display()
                )
            }),
        ),
        _ => None,
    }
}

fn report_error(e: &anyhow::Error) {
    if let Some(ArchiveError::Query { query, source }) = e.downcast_ref::<ArchiveError>() {
        eprintln!("error: cannot parse the query {source}");
        eprintln!("  {query}");
        let column = query.chars().take(source.position).count();
        eprintln!("  {}^", " ".repeat(column));
        return;
    }
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if e.chain().any(casebook_archive::is_disk_full) {
        eprintln!(
            "The disk is full. Everything stored before this point is kept (`casebook check` \
             verifies it). Free space on the disk of the data folder (or, for PostgreSQL, of the \
             database server) and run the command again: it carries on where it stopped."
        );
    }
}

async fn run(args: Args) -> Result<ExitCode> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(url) = &args.database_url {
        config.database_url = Some(parse_database_url(url, "--database-url")?);
    }
    let data = args
        .data
        .clone()
        .or_else(|| config.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
    match args.command {
        Command::Serve {
            listen,
            secure_cookies,
            trusted_proxies,
        } => {
            let tls = match &config.tls {
                Some(files) => Some(casebook_web::tls_acceptor(&files.cert, &files.key)?),
                None => None,
            };
            let display_zone = casebook_web::DisplayZone::named(&config.display_timezone)
                .context("display_timezone in the config")?;
            let archive = Archive::open(&data, config)
                .await
                .with_context(|| format!("cannot open the archive in {}", data.display()))?;
            let archive = std::sync::Arc::new(archive);
            let options = casebook_web::WebOptions {
                secure_cookies: secure_cookies || tls.is_some(),
                trusted_proxies: trusted_proxies.iter().map(|ip| ip.to_canonical()).collect(),
                display_zone,
            };
            let app = casebook_web::router(archive.clone(), options);
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}; is another server using it? choose another with --listen"))?;
            let address = listener.local_addr()?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            println!("listening on {scheme}://{address}");
            std::io::stdout().flush()?;
            match tls {
                Some(acceptor) => {
                    casebook_web::serve_tls(listener, app, acceptor, wait_for_stop_signal()).await
                }
                None => casebook_web::serve(listener, app, wait_for_stop_signal()).await,
            }
            .context("the web server stopped")?;
            if let Ok(archive) = std::sync::Arc::try_unwrap(archive) {
                archive.close().await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let location = config.store_location(&data);
            let version = casebook_archive::migrate(&location)
                .await
                .with_context(|| format!("cannot migrate the database {location}"))?;
            println!("{location}: schema version {version}, up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::MigrateStore { from, to } => {
            let from = parse_database_url(&from, "--from")?;
            let to = parse_database_url(&to, "--to")?;
            let bar = progress::CountBar::new("messages copied");
            let keys: Vec<_> = config.encryption_key()?.into_iter().collect();
            let report =
                casebook_archive::migrate_store(&from, &to, &keys, config.page_caches(), |n| {
                    bar.set(n)
                })
                .await
                .with_context(|| format!("cannot copy the archive from {from} to {to}"))?;
            bar.finish();
            output::copy_report(&mut output::stdout(), &from, &to, &report)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { dir } => {
            let from = StoreLocation::sqlite(&dir.join(casebook_archive::BACKUP_FILE));
            if !dir.join(casebook_archive::BACKUP_FILE).is_file() {
                bail!(
                    "{} holds no backup ({} is missing); give the folder `casebook backup` wrote",
                    dir.display(),
                    casebook_archive::BACKUP_FILE
                );
            }
            let to = config.store_location(&data);
            let keys: Vec<_> = config.encryption_key()?.into_iter().collect();
            let bar = progress::CountBar::new("messages restored");
            let report =
                casebook_archive::migrate_store(&from, &to, &keys, config.page_caches(), |n| {
                    bar.set(n)
                })
                .await
                .with_context(|| format!("cannot restore {} into {to}", dir.display()))?;
            bar.finish();
            output::copy_report(&mut output::stdout(), &from, &to, &report)?;
            Ok(ExitCode::SUCCESS)
        }
        // Answered in `main`, before any config is read.
        Command::Completions { .. } | Command::Man { .. } => Ok(ExitCode::SUCCESS),
        Command::Keygen { out } => {
            let text = casebook_archive::RawKey::generate_hex()?;
            write_private(&out, text.as_bytes())
                .with_context(|| format!("cannot write the key file {}", out.display()))?;
            let key = casebook_archive::RawKey::from_hex(&text)
                .context("the new key does not read back")?;
            println!(
                "wrote a new key (fingerprint {}) to {}; keep a copy apart from the data: without it the raw mail cannot be read",
                key.fingerprint(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Quickstart { messages } => {
            let data = args
                .data
                .unwrap_or_else(|| PathBuf::from("casebook-quickstart"));
            quickstart::run(&data, messages).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Corpus {
            messages,
            seed,
            profile,
            out,
        } => {
            let spec = casebook_corpus::Spec {
                messages,
                seed,
                profile: profile.into(),
            };
            let truth = casebook_corpus::generate(&spec, &out)
                .with_context(|| format!("cannot write the corpus to {}", out.display()))?;
            println!(
                "wrote {} messages in {} threads to {} (Maildir/, mbox/, truth.json)",
                truth.messages.len(),
                truth.threads,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Archive(command) => {
            let archive = Archive::open(&data, config)
                .await
                .with_context(|| format!("cannot open the archive in {}", data.display()))?;
            let code = on_archive(&archive, command).await?;
            archive.close().await?;
            Ok(code)
        }
    }
}

/// A database URL from the command line or the environment.
fn parse_database_url(url: &str, flag: &str) -> Result<StoreLocation> {
    StoreLocation::parse(url).with_context(|| {
        format!("{flag} (or CASEBOOK_DATABASE_URL) is not a database URL: use postgres://user@host:port/name or sqlite:///path/casebook.db")
    })
}

/// The commands that work on an open archive.
async fn on_archive(archive: &Archive, command: ArchiveCommand) -> Result<ExitCode> {
    let out = &mut output::stdout();
    match command {
        ArchiveCommand::Import { paths, json } => return import(archive, &paths, json).await,
        ArchiveCommand::Raw { id, force } => raw(archive, id, force, out).await?,
        ArchiveCommand::Show { id, json } => {
            let shown = archive
                .message_in_context(MessageId(id))
                .await?
                .with_context(|| no_message(id))?;
            output::show(out, &shown, json)?;
        }
        ArchiveCommand::Thread { id, json } => {
            let messages = archive.thread(ThreadId(id)).await?;
            if messages.is_empty() {
                bail!("there is no thread {id}; `casebook show MESSAGE_ID` tells which thread a message is in");
            }
            output::thread(out, ThreadId(id), &messages, json)?;
        }
        ArchiveCommand::Queue {
            list,
            tag,
            topic,
            limit,
            offset,
            json,
        } => {
            let request = casebook_archive::QueueRequest {
                list,
                tag,
                topic,
                limit,
                offset,
            };
            let page = archive.queue(&request).await?;
            output::queue(out, &page, &request, json)?;
        }
        ArchiveCommand::Similar { id, limit, json } => {
            let found = archive.similar(MessageId(id), limit.min(100)).await?;
            output::similar(out, id, &found, json)?;
        }
        ArchiveCommand::List { json, unattributed } => {
            list(archive, json, unattributed, out).await?
        }
        ArchiveCommand::Search {
            query,
            sort,
            limit,
            offset,
            threads,
            json,
        } => {
            let request = SearchRequest {
                query: query.join(" "),
                sort: match sort {
                    SortArg::Newest => Sort::NewestFirst,
                    SortArg::Relevance => Sort::Relevance,
                },
                limit,
                offset,
                // A command counts every match: it is asked once, not by
                // many at a time.
                counting: casebook_archive::Counting::Every,
            };
            let terminal = std::io::stdout().is_terminal();
            if threads {
                let page = archive.search_conversations(&request).await?;
                output::conversations(out, &request.query, &page, json, terminal)?;
            } else {
                let page = archive.search(&request).await?;
                output::search(out, &request.query, &page, json, terminal)?;
            }
        }
        ArchiveCommand::Stats {
            json,
            aggregate: false,
        } => output::stats(out, &archive.stats().await?, json)?,
        ArchiveCommand::Stats {
            json,
            aggregate: true,
        } => output::aggregate(out, &archive.aggregate_stats().await?, json)?,
        ArchiveCommand::Reindex => {
            let n = archive.integrity().reindex().await?;
            writeln!(out, "reindexed {n} messages")?;
        }
        ArchiveCommand::Remove { ids } => {
            let ids: Vec<MessageId> = ids.into_iter().map(MessageId).collect();
            let n = archive.remove(&ids, &cli_actor()).await?;
            writeln!(out, "removed {n} of {} messages", ids.len())?;
            if n < ids.len() as u64 {
                writeln!(out, "(the others were not in the archive)")?;
            }
        }
        ArchiveCommand::Sync { account, json } => {
            let bar = progress::SyncBar::new(std::io::stderr().is_terminal() && !json);
            let reports = archive.sync(account.as_deref(), &bar).await?;
            bar.finish();
            output::sync(out, &reports, json)?;
            // Each failure was named; the status lets a cron job notice.
            if reports.iter().any(|r| r.error.is_some()) {
                return Ok(ExitCode::from(2));
            }
        }
        ArchiveCommand::Watch { account } => watch(archive, account, out).await?,
        ArchiveCommand::User { action } => users(archive, action, out).await?,
        ArchiveCommand::Token {
            action: TokenAction::Create { user, label },
        } => {
            let token = archive.users().create_token(&user, &label).await?;
            writeln!(out, "{token}")?;
            if std::io::stdout().is_terminal() {
                eprintln!("This token is shown once; casebook keeps only its digest.");
            }
        }
        ArchiveCommand::Testimonial { action } => testimonials(archive, action, out).await?,
        ArchiveCommand::Customers { action } => customers::customers(archive, action, out).await?,
        ArchiveCommand::Person { action } => customers::person(archive, action, out).await?,
        ArchiveCommand::Check {
            repair,
            head,
            accept_unchained,
            json,
        } => {
            let bar = progress::CountBar::new("raw messages verified");
            let options = casebook_archive::CheckOptions {
                repair,
                head,
                accept_unchained,
                actor: cli_actor(),
            };
            let report = archive
                .integrity()
                .check_with(&options, |n| bar.set(n))
                .await?;
            bar.finish();
            output::check(out, &report, json)?;
            if !report.is_clean() {
                return Ok(ExitCode::from(2));
            }
        }
        ArchiveCommand::Backup { dir } => {
            let file = archive.integrity().backup(&dir).await?;
            writeln!(out, "wrote a consistent snapshot to {}", file.display())?;
        }
        ArchiveCommand::Rekey { to, decrypt } => rekey(archive, to, decrypt, out).await?,
        ArchiveCommand::Retention {
            action: args::RetentionAction::Apply { dry_run },
        } => {
            let report = archive
                .privacy()
                .apply_retention(dry_run, &cli_actor())
                .await?;
            privacy::erasure(out, &report, "of")?;
        }
        ArchiveCommand::Hold {
            target,
            reason,
            list,
            release,
            json,
        } => hold(archive, target, reason, (list, json), release, out).await?,
        ArchiveCommand::Privacy { action } => privacy::run(archive, action, out).await?,
        ArchiveCommand::Audit { json } => output::audit(out, &archive.audit_log().await?, json)?,
        ArchiveCommand::Tag { id, tag } => {
            if !archive.tag(MessageId(id), &tag, None).await? {
                bail!("{}", no_message(id));
            }
            writeln!(out, "tagged message {id} {tag}")?;
        }
        ArchiveCommand::Accounts { json } => {
            output::accounts(out, &archive.folder_records().await?, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn raw(archive: &Archive, id: i64, force: bool, out: &mut impl Write) -> Result<()> {
    let (bytes, matches) = archive
        .raw_unverified(MessageId(id))
        .await?
        .with_context(|| no_message(id))?;
    if !matches && !force {
        anyhow::bail!(
            "the bytes of message {id} no longer match the SHA-256 they were stored with, so they are not the mail that arrived; `casebook check` lists damage, `--force` writes them anyway"
        );
    }
    if !matches {
        eprintln!("warning: the bytes of message {id} no longer match their SHA-256");
    }
    out.write_all(&bytes)?;
    Ok(())
}

async fn list(
    archive: &Archive,
    json: bool,
    unattributed: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut after = MessageId(0);
    loop {
        let page = archive.list(after, 1000, unattributed).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in &page {
            output::list_line(out, m, json)?;
        }
    }
    Ok(())
}

async fn watch(archive: &Archive, account: Option<String>, out: &mut impl Write) -> Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopper = tokio::spawn(async move {
        wait_for_stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let report = |event: WatchEvent| {
        let mut out = output::stdout();
        let _ = output::watch_event(&mut out, &event);
    };
    archive.watch(account.as_deref(), stop_rx, &report).await?;
    stopper.abort();
    writeln!(out, "stopped")?;
    Ok(())
}

async fn rekey(
    archive: &Archive,
    to: Option<PathBuf>,
    decrypt: bool,
    out: &mut impl Write,
) -> Result<()> {
    let to_key = match &to {
        Some(path) => Some(casebook_config::read_key(path)?),
        None => None,
    };
    let bar = progress::CountBar::new("messages re-encrypted");
    let n = archive
        .integrity()
        .rekey(to_key, decrypt, &cli_actor(), |n| bar.set(n))
        .await?;
    bar.finish();
    match (&to, decrypt) {
        (_, true) => writeln!(out, "decrypted {n} raw messages; the raw store is compressed only")?,
        (Some(path), _) => writeln!(
            out,
            "re-encrypted {n} raw messages with {}; now set encryption_key_file = {:?} in the config",
            path.display(),
            path.display().to_string()
        )?,
        (None, false) => writeln!(out, "encrypted {n} raw messages with the config's key")?,
    }
    Ok(())
}

async fn hold(
    archive: &Archive,
    target: Option<String>,
    reason: Option<String>,
    (list, json): (bool, bool),
    release: Option<String>,
    out: &mut impl Write,
) -> Result<()> {
    if let Some(target) = release {
        archive
            .privacy()
            .release_hold(&target, &cli_actor())
            .await?;
        writeln!(out, "released {target}")?;
    } else if let Some(target) = target {
        archive
            .privacy()
            .hold(&target, reason.as_deref().unwrap_or(""), &cli_actor())
            .await?;
        writeln!(
            out,
            "holding {target}: it is kept through erasure and retention"
        )?;
    } else if list && json {
        let holds: Vec<serde_json::Value> = archive
            .privacy()
            .holds()
            .await?
            .iter()
            .map(|h| {
                serde_json::json!({
                    "target": format!("{}:{}", h.kind, h.target),
                    "reason": h.reason,
                    "held_by": h.held_by,
                    "held_at": casebook_archive::view::rfc3339_secs(h.held_at),
                })
            })
            .collect();
        serde_json::to_writer(&mut *out, &holds)?;
        writeln!(out)?;
    } else if list {
        for h in archive.privacy().holds().await? {
            writeln!(
                out,
                "{}:{}  {}  (by {})",
                h.kind, h.target, h.reason, h.held_by
            )?;
        }
    }
    Ok(())
}

async fn users(archive: &Archive, action: UserAction, out: &mut impl Write) -> Result<()> {
    match action {
        UserAction::Add { name, role } => {
            let role = match role {
                RoleArg::Agent => Role::Agent,
                RoleArg::Marketing => Role::Marketing,
                RoleArg::Admin => Role::Admin,
            };
            let password = read_password(&name)?;
            archive.users().add(&name, role, &password).await?;
            writeln!(out, "added {name} ({})", role.as_str())?;
        }
        UserAction::List { json } => output::users(out, &archive.users().list().await?, json)?,
        UserAction::Disable { name } => {
            archive.users().disable(&name).await?;
            writeln!(
                out,
                "disabled {name}: their sessions ended and their API tokens no longer work"
            )?;
        }
        UserAction::Passwd { name } => {
            let password = read_password(&name)?;
            archive.users().set_password(&name, &password).await?;
            writeln!(out, "set a new password for {name}; their sessions ended")?;
        }
    }
    Ok(())
}

/// Who is at the terminal, for the audit log.
pub(crate) fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    )
}

async fn testimonials(
    archive: &Archive,
    action: TestimonialAction,
    out: &mut impl Write,
) -> Result<()> {
    use casebook_archive::{Approval, Consent, TestimonialFilter};
    match action {
        TestimonialAction::Suggest { limit, json } => {
            let mut found = archive.testimonials().suggest().await?;
            found.truncate(limit);
            output::suggestions(out, &found, json)?;
        }
        TestimonialAction::Approve {
            message,
            excerpt,
            attribution,
            consent_message,
            consent_note,
            edited,
            expires,
        } => {
            let consent = match (consent_message, consent_note) {
                (Some(id), _) => Consent::Message(MessageId(id)),
                (None, Some(note)) => Consent::Note(note),
                (None, None) => bail!("give --consent-message ID or --consent-note TEXT"),
            };
            let expires_at = match expires.as_deref() {
                None => None,
                Some(day) => Some(casebook_archive::last_second_of(day).with_context(|| {
                    format!("--expires {day:?} is not a date; write it as 2027-12-31")
                })?),
            };
            let id = archive
                .testimonials()
                .approve(&Approval {
                    message: MessageId(message),
                    excerpt,
                    attribution,
                    edited,
                    consent,
                    expires_at,
                    actor: cli_actor(),
                })
                .await?;
            writeln!(out, "approved testimonial {id} from message {message}")?;
        }
        TestimonialAction::Reject { message, reason } => {
            let id = archive
                .testimonials()
                .reject(MessageId(message), &reason, &cli_actor())
                .await?;
            writeln!(
                out,
                "rejected message {message} (decision {id}); it will not be suggested again"
            )?;
        }
        TestimonialAction::Revoke { id, reason } => {
            archive
                .testimonials()
                .revoke(id, &reason, &cli_actor())
                .await?;
            writeln!(
                out,
                "revoked testimonial {id}; it is in no list or export any more"
            )?;
        }
        TestimonialAction::List { status, json } => {
            let filter = match status {
                StatusArg::Approved => TestimonialFilter::Usable,
                StatusArg::Rejected => TestimonialFilter::Rejected,
                StatusArg::Revoked => TestimonialFilter::Revoked,
                StatusArg::Expired => TestimonialFilter::Expired,
                StatusArg::All => TestimonialFilter::All,
            };
            output::testimonials(out, &archive.testimonials().list(filter).await?, json)?;
        }
        TestimonialAction::Export { format } => {
            let name = match format {
                ExportFormat::Json => "json",
                ExportFormat::Csv => "csv",
                ExportFormat::Html => "html",
            };
            let list = archive.testimonials().export(&cli_actor(), name).await?;
            match format {
                ExportFormat::Json => output::published_json(out, &list)?,
                ExportFormat::Csv => output::published_csv(out, &list)?,
                ExportFormat::Html => output::published_html(out, &list)?,
            }
        }
    }
    Ok(())
}

/// Writes a new file readable by its owner only; refuses to overwrite.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A password from the terminal (typed twice, not shown) or, for scripts,
/// the first line of standard input.
fn read_password(name: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        if password.is_empty() {
            bail!("no password on standard input; pipe it in (printf '%s\\n' \"$PASSWORD\" | casebook user add …) or run in a terminal");
        }
        Ok(password)
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn wait_for_stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

fn no_message(id: i64) -> String {
    format!("there is no message {id}; `casebook list` or `casebook search` shows message ids")
}

async fn import(archive: &Archive, paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let progress = progress::ImportBar::new(std::io::stderr().is_terminal() && !json);
    let report = archive.import(paths, &progress).await?;
    progress.finish();
    output::import_report(&mut output::stdout(), &report, json)?;
    // Failures were reported one by one; the exit status lets scripts notice.
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `--config PATH` must exist; without it `config/casebook.toml` is used if
/// present, else the defaults.
fn load_config(explicit: Option<&Path>) -> Result<Config> {
    match explicit {
        Some(path) => Ok(Config::load(path)?),
        None if Path::new(DEFAULT_CONFIG).exists() => Ok(Config::load(Path::new(DEFAULT_CONFIG))?),
        None => Ok(Config::default()),
    }
}

//! `casebook quickstart`: sample correspondence, imported, with searches to try.

use anyhow::{Context, Result};
use casebook_archive::{Archive, NoProgress, SearchRequest};
use casebook_config::Config;

pub async fn run(data: &std::path::Path, messages: usize) -> Result<()> {
    let corpus_dir = data.join("sample-mail");
    println!(
        "Generating {messages} sample support messages in {} …",
        corpus_dir.display()
    );
    let spec = casebook_corpus::Spec::compact(messages, 2008);
    casebook_corpus::generate(&spec, &corpus_dir)
        .with_context(|| format!("cannot write sample mail to {}", corpus_dir.display()))?;
    let config_text = format!("our_domains = [\"{}\"]\n", casebook_corpus::OUR_DOMAIN);
    let config = Config::parse(&config_text, std::path::Path::new("(quickstart)"))?;
    let archive = Archive::open(data, config)
        .await
        .with_context(|| format!("cannot open the archive in {}", data.display()))?;
    let started = std::time::Instant::now();
    let report = archive
        .import(&[corpus_dir.join("Maildir")], &NoProgress)
        .await?;
    println!(
        "Imported {} messages ({} new, {} copies, {} duplicates) in {:.1} s into {}",
        report.read,
        report.stored,
        report.copies,
        report.duplicates,
        started.elapsed().as_secs_f64(),
        data.display()
    );
    let stats = archive.stats().await?;
    println!(
        "{} threads, {} customer messages ({} answered), {} replies, median first response {}",
        stats.counts.threads,
        stats.counts.inbound,
        stats.counts.answered,
        stats.counts.outbound,
        stats
            .median_first_response_secs
            .map_or_else(|| "-".to_owned(), crate::output::duration_text)
    );
    println!("\nTry these (the first one runs below):");
    let examples = [
        "voicemail is:unanswered",
        "\"sip trunk\" after:2009-01-01",
        "subject:invoice -is:outbound",
        "has:attachment from:gmail.com",
        "内線転送",
    ];
    let exe = std::env::args().next().unwrap_or_else(|| "casebook".into());
    for q in examples {
        println!("  {exe} --data {} search '{q}'", data.display());
    }
    let page = archive
        .search(&SearchRequest {
            limit: 3,
            ..SearchRequest::new(examples[0])
        })
        .await?;
    println!();
    crate::output::search(
        &mut crate::output::stdout(),
        examples[0],
        &page,
        false,
        false,
    )?;
    archive.close().await?;
    Ok(())
}

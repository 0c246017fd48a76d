use crate::{fixtures, import, open};
use casebook_archive::SearchRequest;

#[tokio::test(flavor = "multi_thread")]
async fn broken_mail_is_archived_byte_exact_and_searchable() {
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    let dir = fixtures().join("malformed");
    let report = import(&archive, std::slice::from_ref(&dir)).await;
    let files = std::fs::read_dir(&dir).expect("fixtures").count() as u64;
    assert_eq!(report.read, files);
    assert_eq!(report.stored, files, "{:?}", report.failed);
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // Each file carries a word of its own; each is found, and its raw bytes
    // come back unchanged.
    for (file, word) in [
        ("no-from.eml", "zanzibar"),
        ("bad-date.eml", "quokka"),
        ("unterminated-multipart.eml", "wombat"),
        ("bad-base64.eml", "axolotl"),
        ("unknown-charset.eml", "narwhal"),
        ("8bit-headers.eml", "pangolin"),
        ("headers-only.eml", "okapi"),
        ("nested-message.eml", "tapir"),
        ("self-reference.eml", "capybara"),
    ] {
        let page = archive
            .search(&SearchRequest::new(word))
            .await
            .expect("search");
        assert_eq!(page.total, 1, "{word} finds {file}");
        let id = page.hits[0].summary.id;
        let raw = archive.raw(id).await.expect("raw").expect("stored");
        assert_eq!(
            raw,
            std::fs::read(dir.join(file)).expect("fixture"),
            "{file} byte-exact"
        );
    }

    let bad_date = archive
        .search(&SearchRequest::new("quokka"))
        .await
        .expect("search");
    let m = archive
        .message(bad_date.hits[0].summary.id)
        .await
        .expect("read")
        .expect("stored");
    assert!(m.summary.date.is_none());
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("Date header is not a date")),
        "{:?}",
        m.warnings
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_not_mail_is_refused_with_its_path() {
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    let dir = fixtures().join("not-mail");
    let report = import(&archive, &[dir.clone(), dir.join("does-not-exist")]).await;
    assert_eq!(report.stored, 0);
    let mut failed: Vec<(String, String)> = report
        .failed
        .iter()
        .map(|f| {
            let name = f.source.rsplit('/').next().unwrap_or_default().to_owned();
            (name, f.reason.clone())
        })
        .collect();
    failed.sort();
    let names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "customers.csv",
            "does-not-exist",
            "empty.eml",
            "picture.png"
        ]
    );
    assert!(
        failed[0].1.starts_with("not a mail message"),
        "{}",
        failed[0].1
    );
    assert!(failed[1].1.contains("does not exist"), "{}", failed[1].1);
    assert!(failed[3].1.contains("binary"), "{}", failed[3].1);
}

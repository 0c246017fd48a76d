//! Raw bytes → what the archive stores of a message: parsing never fails
//! and never panics; attachments and the HTML body read back.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// Limits small enough that fuzz inputs cross them.
const TIGHT: casebook_mail::Limits = casebook_mail::Limits {
    parse_bytes: 2048,
    text_bytes: 256,
    parts: 3,
    references: 4,
    header_bytes: 512,
    subject_chars: 20,
};

fuzz_target!(|raw: &[u8]| {
    let parsed = casebook_mail::parse(raw);
    for text in [&parsed.subject, &parsed.text] {
        assert!(!text.contains('\0'), "NUL reaches a text column");
    }
    let cut = casebook_mail::parse_within(raw, &TIGHT);
    assert!(cut.text.len() <= TIGHT.text_bytes);
    assert!(cut.attachments.len() <= TIGHT.parts);
    assert!(cut.references.len() <= TIGHT.references);
    assert!(cut.subject.chars().count() <= TIGHT.subject_chars);
    for n in 0..parsed.attachments.len().min(4) {
        let _ = casebook_mail::attachment(raw, n);
    }
    let _ = casebook_mail::html_body(raw);
    let _ = casebook_mail::check_is_mail(raw);
    let _ = casebook_mail::normalize_subject(&parsed.subject);
});

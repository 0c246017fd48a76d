//! Raw bytes → what the archive stores of a message: parsing never fails
//! and never panics; attachments and the HTML body read back.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let parsed = casebook_mail::parse(raw);
    for n in 0..parsed.attachments.len().min(4) {
        let _ = casebook_mail::attachment(raw, n);
    }
    let _ = casebook_mail::html_body(raw);
    let _ = casebook_mail::check_is_mail(raw);
    let _ = casebook_mail::normalize_subject(&parsed.subject);
});

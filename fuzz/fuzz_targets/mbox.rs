//! The mbox splitter: every byte of the input lands in a message or a
//! separator, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut total = 0usize;
    let _ = casebook_mailbox::split_mbox(data, |_, m| total += m.len());
    assert!(total <= data.len());
});

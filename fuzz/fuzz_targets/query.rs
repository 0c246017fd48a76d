//! The query language: any text parses to an expression or an error whose
//! position lies inside the query.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = casebook_search::parse_query(text) {
            assert!(e.position <= text.chars().count());
        }
    }
});

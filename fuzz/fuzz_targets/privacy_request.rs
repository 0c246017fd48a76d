//! libFuzzer's input to `casebook_fuzzing::privacy_request` (what it checks is
//! documented there).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| casebook_fuzzing::privacy_request(data));

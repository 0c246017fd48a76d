//! libFuzzer's input to `casebook_fuzzing::config` (what it checks is
//! documented there).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| casebook_fuzzing::config(data));

//! The CSV list reader: any bytes give records (each with a usable
//! address) or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = casebook_customers::read_list(data, &[]) {
        for r in &list.records {
            assert!(r.address.contains('@'));
        }
    }
});

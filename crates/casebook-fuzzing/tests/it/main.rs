//! Every fuzz target over its seeds and over every input a fuzzer once
//! found a fault with, on each run of the suite; and the fuzz crate kept
//! in step with the targets.

use casebook_fuzzing::{seeds::seeds, TARGETS};
use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `check` on `input`, saying which input broke it.
fn replay(target: &str, name: &str, check: fn(&[u8]), input: &[u8]) -> Option<String> {
    std::panic::catch_unwind(|| check(input)).err().map(|e| {
        let why = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!("{target}/{name}: {why}")
    })
}

#[test]
fn every_target_holds_on_its_seeds_and_past_findings() {
    let root = repository();
    let mut broken = Vec::new();
    let mut replayed = 0;
    for target in TARGETS {
        let mut inputs: Vec<(String, Vec<u8>)> = seeds(target.name, &root)
            .expect("the fixtures read")
            .into_iter()
            .map(|s| (s.name, s.bytes))
            .collect();
        assert!(!inputs.is_empty(), "{} has no seeds", target.name);
        let found = root.join("fuzz/regressions").join(target.name);
        if let Ok(entries) = std::fs::read_dir(&found) {
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).expect("a past finding reads");
                inputs.push((entry.file_name().to_string_lossy().into_owned(), bytes));
            }
        }
        for (name, bytes) in &inputs {
            replayed += 1;
            broken.extend(replay(target.name, name, target.check, bytes));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(replayed > 60, "only {replayed} inputs replayed");
}

/// A broken property is reported with the input that broke it, and the
/// HTML check (the one property not asserted inline) finds what runs.
#[test]
fn a_broken_property_is_reported_by_name() {
    fn breaks(_: &[u8]) {
        panic!("a property broke");
    }
    let report = replay("html_clean", "seed-7", breaks, b"x");
    assert_eq!(
        report.as_deref(),
        Some("html_clean/seed-7: a property broke")
    );
    assert!(casebook_fuzzing::inert::check("<a href=\"javascript:alert(1)\">x</a>").is_err());
}

/// The fuzz crate (outside the workspace: libFuzzer needs nightly) has a
/// binary for every target and calls the target of its name.
#[test]
fn the_fuzz_crate_has_a_binary_for_every_target() {
    let root = repository();
    let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    for target in TARGETS {
        let path = format!("fuzz_targets/{}.rs", target.name);
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)) && manifest.contains(&path),
            "fuzz/Cargo.toml has no [[bin]] {} at {path}",
            target.name
        );
        let source =
            std::fs::read_to_string(root.join("fuzz").join(&path)).expect("the target's source");
        assert!(
            source.contains(&format!("casebook_fuzzing::{}(", target.name)),
            "fuzz/{path} does not call casebook_fuzzing::{}",
            target.name
        );
    }
}

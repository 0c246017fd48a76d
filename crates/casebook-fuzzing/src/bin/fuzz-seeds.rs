//! Writes every fuzz target's seeds as files, one folder a target:
//!   fuzz-seeds OUT [ROOT]
//! OUT/TARGET/NAME for each seed; ROOT is the repository whose fixtures
//! are read (default: the current folder). Used by scripts/fuzz.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        bail!("usage: fuzz-seeds OUT [ROOT]: name the folder to write the seeds into");
    };
    let root = args
        .next()
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    for target in casebook_fuzzing::TARGETS {
        let dir = out.join(target.name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let seeds = casebook_fuzzing::seeds::seeds(target.name, &root)?;
        for seed in &seeds {
            let path = dir.join(&seed.name);
            std::fs::write(&path, &seed.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("{}: {} seeds", target.name, seeds.len());
    }
    Ok(())
}

//! Writes the valid encodings of every fuzz target's object (all forms) to
//! `corpus/<target>/seed-<i>`, to start fuzzing from inputs that pass the header checks: the
//! `spencnn-ckks` objects and the four `spencnn` wire messages.
//!
//! `cargo run --release --example write_seed_corpus` (from `fuzz/`).

use std::path::Path;

fn write(target: &str, seeds: &[Vec<u8>]) -> std::io::Result<()> {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir)?;
    for (i, bytes) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i}")), bytes)?;
    }
    println!("{target}: {} seeds", seeds.len());
    Ok(())
}

fn main() -> std::io::Result<()> {
    for target in spencnn_ckks::serialization::fuzzing::Target::ALL {
        write(target.name(), &target.seed_inputs())?;
    }
    for target in spencnn::inference::wire::fuzzing::Target::ALL {
        write(target.name(), &target.seed_inputs())?;
    }
    Ok(())
}

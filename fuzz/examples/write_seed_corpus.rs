//! Writes the valid encodings of every fuzz target's object (all forms) to
//! `corpus/<target>/seed-<i>`, to start fuzzing from inputs that pass the header checks.
//!
//! `cargo run --example write_seed_corpus` (from `fuzz/`).

use spencnn_ckks::serialization::fuzzing::Target;

fn main() -> std::io::Result<()> {
    for target in Target::ALL {
        let dir = std::path::Path::new("corpus").join(target.name());
        std::fs::create_dir_all(&dir)?;
        for (i, bytes) in target.seed_inputs().iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), bytes)?;
        }
        println!("{}: {} seeds", target.name(), target.seed_inputs().len());
    }
    Ok(())
}

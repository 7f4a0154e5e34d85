//! The README's main command: `spencnn demo` classifies a bundled digit encrypted with the
//! bundled SpENCNN LeNet, from nothing but the binary.

use std::process::Command;

#[test]
fn demo_classifies_a_bundled_digit_encrypted() {
    // Bundled digit 3 is a 0 (labels: 7 2 1 0 …).
    let out = Command::new(env!("CARGO_BIN_EXE_spencnn")).args(["demo", "--digit", "3"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("class 0 (true label 0)"), "{text}");
    assert!(text.contains("same class: true"), "{text}");
    // Rotations depend on the cost model's choices (profile, threads); the plaintext multiplies
    // only on the pruning, and SpENCNN needs fewer rotations than dense either way.
    let counts = |variant: &str| -> [usize; 2] {
        let line = text.lines().find(|l| l.trim_start().starts_with(&format!("{variant} "))).expect(variant);
        let n: Vec<usize> = line.split_whitespace().skip(1).take(2).map(|w| w.parse().unwrap()).collect();
        [n[0], n[1]]
    };
    let ([dense_rot, dense_pmults], [rot, pmults]) = (counts("dense"), counts("spencnn"));
    assert_eq!((dense_pmults, pmults), (1864, 664), "{text}");
    assert!(rot < dense_rot, "{text}");

    let out = Command::new(env!("CARGO_BIN_EXE_spencnn")).args(["demo", "--digit", "20"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of range"));
}

//! Entry points shared by the cargo-fuzz targets and by the normal tests, so that the fuzzed
//! logic runs in every `cargo test`. Compiled only with the `fuzzing` cargo feature (which the
//! fuzz targets and this crate's tests enable); not part of the API.
//!
//! Each `fuzz_*` function feeds arbitrary bytes to one loader under a small fixed context
//! ([`fixture`]: `N = 16`, insecure, two Q primes and one P prime). It must never panic.
//! When the loader accepts the bytes, the function checks that the format is canonical
//! (writing the loaded object in the same form gives back exactly the input) and that the
//! object is usable (decrypt, decode, encrypt, relinearize, rotate), so a loader that lets an
//! inconsistent object through is caught by the fuzzer as a panic.

use std::sync::{Arc, OnceLock};

use super::{ObjectKind, peek_header};
use crate::{
    Ciphertext, Conjugation, Context, Decryptor, Encoder, Encryptor, Evaluator, GaloisKeys, KeyGenerator, Parameters,
    Plaintext, PublicKey, RelinKey, SecretKey,
};

/// The limit every fuzz entry point passes to the loaders.
pub const FUZZ_MAX_BYTES: usize = 1 << 16;

/// The fixed context and keys of the fuzz entry points.
#[derive(Debug)]
pub struct Fixture {
    /// `N = 16`, `Q = 40 + 30` bits, `P = 40` bits, `dnum = 2`, scale `2^20`, insecure.
    pub ctx: Arc<Context>,
    /// Secret key from a fixed seed.
    pub sk: SecretKey,
    /// Public key.
    pub pk: PublicKey,
    /// Relinearization key.
    pub rlk: RelinKey,
    /// Galois keys for the rotation by 1 and for conjugation.
    pub galois: GaloisKeys,
    /// A fresh secret-key encryption of a few values (it has a seed).
    pub ciphertext: Ciphertext,
    /// An extended plaintext (with its P limbs).
    pub plaintext: Plaintext,
}

/// The shared fixture (built on first use).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let params = Parameters::builder()
            .log_n(4)
            .q_bits(&[40, 30])
            .p_bits(&[40])
            .dnum(2)
            .log_scale(20.0)
            .insecure_for_testing_only()
            .build()
            .expect("valid fuzz parameters");
        let ctx = Context::new(params).expect("valid fuzz context");
        let mut keygen = KeyGenerator::from_seed(&ctx, [0xf0; 32]);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk).expect("same parameters");
        let rlk = keygen.relin_key(&sk).expect("same parameters");
        let galois = keygen.galois_keys(&sk, &[1], Conjugation::Include).expect("same parameters");
        let encoder = Encoder::new(&ctx);
        let plaintext = encoder.encode_real_extended(&[0.5, -0.25, 1.0], 8, 1, 2f64.powi(20)).expect("valid values");
        let ciphertext =
            Encryptor::from_seed(&ctx, [0xf1; 32]).encrypt_symmetric(&plaintext, &sk).expect("same parameters");
        Fixture { ctx, sk, pk, rlk, galois, ciphertext, plaintext }
    })
}

/// The loaders, one fuzz target each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// [`Parameters::from_bytes`] and its insecure variant.
    Parameters,
    /// [`Plaintext::from_bytes`].
    Plaintext,
    /// [`Ciphertext::from_bytes`] (full and seeded).
    Ciphertext,
    /// [`SecretKey::from_bytes`].
    SecretKey,
    /// [`PublicKey::from_bytes`] (full and seeded).
    PublicKey,
    /// [`RelinKey::from_bytes`] (full and seeded).
    RelinKey,
    /// [`GaloisKeys::from_bytes`] (full and seeded).
    GaloisKeys,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 7] = [
        Target::Parameters,
        Target::Plaintext,
        Target::Ciphertext,
        Target::SecretKey,
        Target::PublicKey,
        Target::RelinKey,
        Target::GaloisKeys,
    ];

    /// The cargo-fuzz target name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Parameters => "parameters",
            Target::Plaintext => "plaintext",
            Target::Ciphertext => "ciphertext",
            Target::SecretKey => "secret_key",
            Target::PublicKey => "public_key",
            Target::RelinKey => "relin_key",
            Target::GaloisKeys => "galois_keys",
        }
    }

    /// Runs the target's entry point on `bytes`.
    pub fn run(self, bytes: &[u8]) {
        match self {
            Target::Parameters => fuzz_parameters(bytes),
            Target::Plaintext => fuzz_plaintext(bytes),
            Target::Ciphertext => fuzz_ciphertext(bytes),
            Target::SecretKey => fuzz_secret_key(bytes),
            Target::PublicKey => fuzz_public_key(bytes),
            Target::RelinKey => fuzz_relin_key(bytes),
            Target::GaloisKeys => fuzz_galois_keys(bytes),
        }
    }

    /// Whether the target's loader accepts `bytes` (under the fixture's context and limit;
    /// parameters by the insecure loader, which accepts a superset of the secure one).
    pub fn loads(self, bytes: &[u8]) -> bool {
        let ctx = &fixture().ctx;
        match self {
            Target::Parameters => Parameters::from_bytes_insecure_for_testing_only(bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::Plaintext => Plaintext::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::Ciphertext => Ciphertext::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::SecretKey => SecretKey::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::PublicKey => PublicKey::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::RelinKey => RelinKey::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::GaloisKeys => GaloisKeys::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
        }
    }

    /// Valid encodings (every form) to start fuzzing from.
    pub fn seed_inputs(self) -> Vec<Vec<u8>> {
        let f = fixture();
        let ctx = &f.ctx;
        let ok = "fixture objects serialize under their context";
        match self {
            Target::Parameters => {
                vec![ctx.params().to_bytes(), crate::Preset::N8192Depth2.build().expect("preset").to_bytes()]
            }
            Target::Plaintext => vec![
                f.plaintext.to_bytes(ctx).expect(ok),
                Encoder::new(ctx).encode_real(&[3.0], 2, 0, 1e3).expect("valid").to_bytes(ctx).expect(ok),
            ],
            Target::Ciphertext => vec![
                f.ciphertext.to_bytes(ctx).expect(ok),
                f.ciphertext.to_seeded_bytes(ctx).expect(ok),
                Evaluator::new(ctx).multiply(&f.ciphertext, &f.ciphertext).expect("valid").to_bytes(ctx).expect(ok),
            ],
            Target::SecretKey => vec![f.sk.to_bytes(ctx).expect(ok).to_vec()],
            Target::PublicKey => vec![f.pk.to_bytes(ctx).expect(ok), f.pk.to_seeded_bytes(ctx).expect(ok)],
            Target::RelinKey => {
                let lowest = KeyGenerator::from_seed(ctx, [0xf3; 32]).relin_key_at_level(&f.sk, 0).expect(ok);
                vec![
                    f.rlk.to_bytes(ctx).expect(ok),
                    f.rlk.to_seeded_bytes(ctx).expect(ok),
                    lowest.to_bytes(ctx).expect(ok),
                ]
            }
            Target::GaloisKeys => {
                let mixed =
                    KeyGenerator::from_seed(ctx, [0xf4; 32]).galois_keys_at_levels(&f.sk, &[(1, 0), (3, 1)]).expect(ok);
                vec![
                    f.galois.to_bytes(ctx).expect(ok),
                    f.galois.to_seeded_bytes(ctx).expect(ok),
                    mixed.to_seeded_bytes(ctx).expect(ok),
                ]
            }
        }
    }
}

fn is_seeded(bytes: &[u8]) -> bool {
    matches!(
        peek_header(bytes).map(|h| h.kind),
        Ok(ObjectKind::SeededCiphertext
            | ObjectKind::SeededPublicKey
            | ObjectKind::SeededRelinKey
            | ObjectKind::SeededGaloisKeys)
    )
}

const CANONICAL: &str = "a loaded object re-serializes to exactly its input";

/// [`Target::Parameters`].
pub fn fuzz_parameters(bytes: &[u8]) {
    let secure = Parameters::from_bytes(bytes, FUZZ_MAX_BYTES);
    if let Ok(params) = Parameters::from_bytes_insecure_for_testing_only(bytes, FUZZ_MAX_BYTES) {
        assert_eq!(params.to_bytes(), bytes, "{CANONICAL}");
        assert_eq!(secure.is_ok(), !params.is_insecure(), "the secure loader refuses exactly the insecure sets");
    } else {
        assert!(secure.is_err());
    }
}

/// [`Target::Plaintext`].
pub fn fuzz_plaintext(bytes: &[u8]) {
    let f = fixture();
    if let Ok(pt) = Plaintext::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        assert_eq!(pt.to_bytes(&f.ctx).expect("same context"), bytes, "{CANONICAL}");
        Encoder::new(&f.ctx).decode_complex(&pt).expect("a loaded plaintext decodes");
    }
}

/// [`Target::Ciphertext`].
pub fn fuzz_ciphertext(bytes: &[u8]) {
    let f = fixture();
    if let Ok(ct) = Ciphertext::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        let written = if is_seeded(bytes) { ct.to_seeded_bytes(&f.ctx) } else { ct.to_bytes(&f.ctx) };
        assert_eq!(written.expect("same context"), bytes, "{CANONICAL}");
        let pt = Decryptor::new(&f.ctx).decrypt(&ct, &f.sk).expect("a loaded ciphertext decrypts");
        Encoder::new(&f.ctx).decode_complex(&pt).expect("and decodes");
    }
}

/// [`Target::SecretKey`].
pub fn fuzz_secret_key(bytes: &[u8]) {
    let f = fixture();
    if let Ok(sk) = SecretKey::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        assert_eq!(&sk.to_bytes(&f.ctx).expect("same context")[..], bytes, "{CANONICAL}");
        Decryptor::new(&f.ctx).decrypt(&f.ciphertext, &sk).expect("a loaded secret key decrypts");
    }
}

/// [`Target::PublicKey`].
pub fn fuzz_public_key(bytes: &[u8]) {
    let f = fixture();
    if let Ok(pk) = PublicKey::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        let written = if is_seeded(bytes) { pk.to_seeded_bytes(&f.ctx) } else { pk.to_bytes(&f.ctx) };
        assert_eq!(written.expect("same context"), bytes, "{CANONICAL}");
        Encryptor::from_seed(&f.ctx, [1; 32]).encrypt(&f.plaintext, &pk).expect("a loaded public key encrypts");
    }
}

/// [`Target::RelinKey`].
pub fn fuzz_relin_key(bytes: &[u8]) {
    let f = fixture();
    if let Ok(rlk) = RelinKey::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        let written = if is_seeded(bytes) { rlk.to_seeded_bytes(&f.ctx) } else { rlk.to_bytes(&f.ctx) };
        assert_eq!(written.expect("same context"), bytes, "{CANONICAL}");
        let eval = Evaluator::new(&f.ctx);
        let ct = eval.drop_to_level(&f.ciphertext, rlk.level()).expect("a key level is a valid level");
        eval.multiply_relin(&ct, &ct, &rlk).expect("a loaded key relinearizes at its level");
    }
}

/// [`Target::GaloisKeys`].
pub fn fuzz_galois_keys(bytes: &[u8]) {
    let f = fixture();
    if let Ok(keys) = GaloisKeys::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) {
        let written = if is_seeded(bytes) { keys.to_seeded_bytes(&f.ctx) } else { keys.to_bytes(&f.ctx) };
        assert_eq!(written.expect("same context"), bytes, "{CANONICAL}");
        let eval = Evaluator::new(&f.ctx);
        let n = f.ctx.ring().n() as i64;
        let at_level = |level: usize| eval.drop_to_level(&f.ciphertext, level).expect("a key level is a valid level");
        // Every rotation step whose key is present runs, at the key's level.
        for step in 1..n / 2 {
            if let Some(key) = keys.get(crate::rlwe::galois_element_for_step(step, n as usize)) {
                eval.rotate(&at_level(key.level()), step, &keys).expect("a loaded key rotates");
            }
        }
        if let Some(key) = keys.get(crate::rlwe::galois_element_for_conjugation(n as usize)) {
            eval.conjugate(&at_level(key.level()), &keys).expect("a loaded key conjugates");
        }
    }
}

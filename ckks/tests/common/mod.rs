//! Shared set-up and precision statistics for the CKKS tests.
#![allow(dead_code)]

use std::sync::Arc;

use spencnn_ckks::*;

/// Everything a test needs for one parameter set.
pub struct Fixture {
    pub ctx: Arc<Context>,
    pub sk: SecretKey,
    pub pk: PublicKey,
    pub rlk: RelinKey,
    pub encoder: Encoder,
    pub encryptor: Encryptor,
    pub decryptor: Decryptor,
    pub evaluator: Evaluator,
}

impl Fixture {
    pub fn new(params: Parameters) -> Self {
        let ctx = Context::new(params).unwrap();
        let mut keygen = KeyGenerator::from_seed(&ctx, [11; 32]);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk).unwrap();
        let rlk = keygen.relin_key(&sk).unwrap();
        Self {
            encoder: Encoder::new(&ctx),
            encryptor: Encryptor::from_seed(&ctx, [12; 32]),
            decryptor: Decryptor::new(&ctx),
            evaluator: Evaluator::new(&ctx),
            ctx,
            sk,
            pk,
            rlk,
        }
    }

    pub fn scale(&self) -> f64 {
        self.ctx.params().default_scale()
    }

    pub fn top(&self) -> usize {
        self.ctx.params().max_level()
    }

    pub fn slots(&self) -> usize {
        self.ctx.params().max_slots()
    }

    pub fn galois_keys(&self, steps: &[i64], conjugation: Conjugation) -> GaloisKeys {
        KeyGenerator::from_seed(&self.ctx, [13; 32]).galois_keys(&self.sk, steps, conjugation).unwrap()
    }

    pub fn encrypt(&mut self, values: &[Complex]) -> Ciphertext {
        let pt = self.encoder.encode_complex(values, values.len(), self.top(), self.scale()).unwrap();
        self.encryptor.encrypt(&pt, &self.pk).unwrap()
    }

    pub fn decrypt(&self, ct: &Ciphertext) -> Vec<Complex> {
        self.encoder.decode_complex(&self.decryptor.decrypt(ct, &self.sk).unwrap()).unwrap()
    }
}

/// Parameters for the algebraic-law tests: N = 2^12 (insecure with this chain), Q = 60+3×40,
/// P = 60, scale 2^40.
pub fn law_params() -> Parameters {
    Parameters::builder()
        .log_n(12)
        .q_bits(&[60, 40, 40, 40])
        .p_bits(&[60])
        .log_scale(40.0)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

/// Deterministic pseudo-random complex values in the unit square.
pub fn random_values(count: usize, seed: u64) -> Vec<Complex> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..count).map(|_| Complex::new(next(), next())).collect()
}

/// The real parts of [`random_values`]: deterministic real values in `[-1, 1)`.
pub fn real_values(count: usize, seed: u64) -> Vec<Complex> {
    random_values(count, seed).into_iter().map(|z| Complex::from(z.re)).collect()
}

/// Precision statistics: `-log2` of the maximum and of the mean absolute error.
#[derive(Debug, Clone, Copy)]
pub struct Precision {
    pub min_bits: f64,
    pub mean_bits: f64,
}

pub fn precision(expected: &[Complex], got: &[Complex]) -> Precision {
    assert_eq!(expected.len(), got.len());
    let errors: Vec<f64> = expected.iter().zip(got).map(|(&e, &g)| (e - g).abs()).collect();
    let max = errors.iter().cloned().fold(0.0, f64::max);
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    Precision { min_bits: -max.max(f64::MIN_POSITIVE).log2(), mean_bits: -mean.max(f64::MIN_POSITIVE).log2() }
}

/// Asserts a mean precision of at least `threshold` bits, printing the statistics.
pub fn assert_precision(label: &str, expected: &[Complex], got: &[Complex], threshold: f64) {
    let p = precision(expected, got);
    println!("{label}: min {:.1} bits, mean {:.1} bits (threshold {threshold})", p.min_bits, p.mean_bits);
    assert!(p.mean_bits >= threshold, "{label}: mean precision {:.2} < {threshold}", p.mean_bits);
    assert!(p.min_bits >= threshold - 4.0, "{label}: min precision {:.2} < {}", p.min_bits, threshold - 4.0);
}

pub fn rotate_left(values: &[Complex], step: i64) -> Vec<Complex> {
    let n = values.len() as i64;
    (0..n).map(|i| values[(i + step).rem_euclid(n) as usize]).collect()
}

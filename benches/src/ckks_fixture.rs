//! Operands of the CKKS benchmarks: one preset's context and keys, and two encoded and
//! encrypted vectors at a chosen level, checked to decrypt correctly before anything is timed.

use std::sync::Arc;

use spencnn_ckks::{
    Ciphertext, CkksError, Conjugation, Context, Decryptor, Encoder, Encryptor, Evaluator, GaloisKeys, KeyGenerator, Plaintext,
    Preset, PublicKey, RelinKey, SecretKey,
};

/// Steps of the hoisted rotations (and of the fixture's Galois keys), as in the peer scripts.
pub const ROTATION_STEPS: [i64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// Everything a CKKS operation needs, for one preset.
pub struct CkksKeys {
    /// The shared precomputation.
    pub ctx: Arc<Context>,
    /// The key generator (timed itself by the key-generation benchmarks).
    pub keygen: KeyGenerator,
    /// The secret key.
    pub sk: SecretKey,
    /// The public key.
    pub pk: PublicKey,
    /// The relinearization key, generated at the top level.
    pub rlk: RelinKey,
    /// Galois keys of [`ROTATION_STEPS`], generated at the top level.
    pub galois: GaloisKeys,
    /// The encoder.
    pub encoder: Encoder,
    /// A public- and secret-key encryptor.
    pub encryptor: Encryptor,
    /// The decryptor.
    pub decryptor: Decryptor,
    /// The evaluator.
    pub eval: Evaluator,
}

/// Two vectors of `N/2` values in `[-1, 1)`, encoded and encrypted at one level.
pub struct Operands {
    /// The level (number of active Q primes) of every plaintext and ciphertext here.
    pub level: usize,
    /// The values of `x` (in the clear).
    pub x: Vec<f64>,
    /// `x` encoded at the level with the default scale.
    pub pt_x: Plaintext,
    /// `y` encoded at the level with the default scale.
    pub pt_y: Plaintext,
    /// `x` encrypted under the public key.
    pub ct_x: Ciphertext,
    /// `y` encrypted under the public key.
    pub ct_y: Ciphertext,
}

impl CkksKeys {
    /// Builds the preset and generates every key (OS-seeded, as a user would).
    ///
    /// # Errors
    /// When the preset or a key cannot be built.
    pub fn new(preset: Preset) -> Result<Self, CkksError> {
        let ctx = Context::new(preset.build()?)?;
        let mut keygen = KeyGenerator::new(&ctx);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk)?;
        let rlk = keygen.relin_key(&sk)?;
        let galois = keygen.galois_keys(&sk, &ROTATION_STEPS, Conjugation::Exclude)?;
        Ok(Self {
            encoder: Encoder::new(&ctx),
            encryptor: Encryptor::new(&ctx),
            decryptor: Decryptor::new(&ctx),
            eval: Evaluator::new(&ctx),
            ctx,
            keygen,
            sk,
            pk,
            rlk,
            galois,
        })
    }

    /// Ring degree `N`.
    pub fn n(&self) -> usize {
        self.ctx.params().n()
    }

    /// The top level (level ℓ holds the ℓ + 1 primes `q_0..q_ℓ`).
    pub fn top_level(&self) -> usize {
        self.ctx.params().max_level()
    }

    /// Full-slot operands at `level`: encoded there and encrypted at the top level, then
    /// dropped to `level` (as a ciphertext that went through a computation would be).
    ///
    /// # Errors
    /// When `level` is outside `0..=top`.
    ///
    /// # Panics
    /// When a rotation or (from level 1) a rescaled product of the operands does not decrypt
    /// to within `10^-3` of the expected values, so that no benchmark times a wrong result.
    pub fn operands(&mut self, level: usize) -> Result<Operands, CkksError> {
        let params = self.ctx.params();
        let (slots, top, scale) = (params.max_slots(), params.max_level(), params.default_scale());
        let x = values(slots, 1);
        let y = values(slots, 2);
        let ct_x = self.encryptor.encrypt(&self.encoder.encode_real(&x, slots, top, scale)?, &self.pk)?;
        let ct_y = self.encryptor.encrypt(&self.encoder.encode_real(&y, slots, top, scale)?, &self.pk)?;
        let operands = Operands {
            level,
            pt_x: self.encoder.encode_real(&x, slots, level, scale)?,
            pt_y: self.encoder.encode_real(&y, slots, level, scale)?,
            ct_x: self.eval.drop_to_level(&ct_x, level)?,
            ct_y: self.eval.drop_to_level(&ct_y, level)?,
            x,
        };
        let rotated = self.decrypt(&self.eval.rotate(&operands.ct_x, 1, &self.galois)?)?;
        for (i, value) in rotated.iter().enumerate() {
            assert!((value - operands.x[(i + 1) % slots]).abs() < 1e-3, "rotation, slot {i}");
        }
        // A product at scale 2^80 fits only above the base prime; it is checked after rescaling.
        if level >= 1 {
            let product = self.eval.rescale(&self.eval.multiply_relin(&operands.ct_x, &operands.ct_y, &self.rlk)?)?;
            for (i, value) in self.decrypt(&product)?.iter().enumerate() {
                assert!((value - operands.x[i] * y[i]).abs() < 1e-3, "product, slot {i}");
            }
        }
        Ok(operands)
    }

    /// Decrypts and decodes the real parts of the slots.
    ///
    /// # Errors
    /// When the ciphertext does not belong to this context.
    pub fn decrypt(&self, ct: &Ciphertext) -> Result<Vec<f64>, CkksError> {
        self.encoder.decode_real(&self.decryptor.decrypt(ct, &self.sk)?)
    }
}

/// Deterministic values in `[-1, 1)` (SplitMix64 bits).
fn values(count: usize, seed: u64) -> Vec<f64> {
    let q = 1u64 << 53;
    crate::residues(count, q, seed).into_iter().map(|r| r as f64 / q as f64 * 2.0 - 1.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_decrypt_correctly_at_every_level() {
        let mut keys = CkksKeys::new(Preset::N8192Depth2).unwrap();
        assert_eq!((keys.n(), keys.top_level()), (8192, 2));
        for level in (0..=2).rev() {
            let operands = keys.operands(level).unwrap();
            assert_eq!(operands.level, level);
            let decrypted = keys.decrypt(&operands.ct_x).unwrap();
            let worst = decrypted.iter().zip(&operands.x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-6, "level {level}: error {worst}");
        }
        assert!(keys.operands(3).is_err());
    }
}

//! The client: holds the secret key, makes the evaluation keys, encrypts images and decrypts
//! logits. Nothing in its public API returns the secret key.

use std::io::Write;
use std::sync::Arc;

use spencnn_ckks::rlwe::{GaloisKeySet, KeyGenCost, KeyGenProgress, KeySetEstimate};
use spencnn_ckks::{Context, Decryptor, Encoder, Encryptor, KeyGenerator, RelinKey, SecretKey};
use zeroize::{Zeroize, Zeroizing};

use super::InferError;
use super::messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
use super::wire::{KeyStreamWriter, ciphertexts_len};
use crate::model::ModelError;
use crate::tensor::Tensor3;

/// The data owner's side of encrypted inference.
pub struct Client {
    interface: ModelInterface,
    ctx: Arc<Context>,
    secret: SecretKey,
    keygen: KeyGenerator,
    encoder: Encoder,
    encryptor: Encryptor,
    decryptor: Decryptor,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("model", &self.interface.model).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `interface` with a fresh secret key from the operating system's randomness.
    ///
    /// # Errors
    /// [`InferError::Ckks`] if the parameters are unusable.
    pub fn new(interface: ModelInterface) -> Result<Self, InferError> {
        let ctx = Context::new(interface.params.clone())?;
        let keygen = KeyGenerator::new(&ctx);
        let encryptor = Encryptor::new(&ctx);
        Ok(Self::assemble(interface, ctx, keygen, encryptor))
    }

    /// A deterministic client (tests and reproducible benchmarks only: the seed determines
    /// the secret key).
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn from_seed(interface: ModelInterface, seed: [u8; 32]) -> Result<Self, InferError> {
        let ctx = Context::new(interface.params.clone())?;
        let keygen = KeyGenerator::from_seed(&ctx, seed);
        let mut encryption_seed = seed;
        encryption_seed[0] ^= 0x5a;
        let encryptor = Encryptor::from_seed(&ctx, encryption_seed);
        Ok(Self::assemble(interface, ctx, keygen, encryptor))
    }

    fn assemble(interface: ModelInterface, ctx: Arc<Context>, mut keygen: KeyGenerator, encryptor: Encryptor) -> Self {
        let secret = keygen.secret_key();
        Self { interface, encoder: Encoder::new(&ctx), decryptor: Decryptor::new(&ctx), ctx, secret, keygen, encryptor }
    }

    /// The model interface this client was made for.
    pub fn interface(&self) -> &ModelInterface {
        &self.interface
    }

    /// The relinearization key (if the schedule squares) and the Galois keys of exactly the
    /// schedule's rotation steps, each made for the highest level at which it is used (see
    /// [`ModelInterface::rotation_keys`]). The Galois keys are generated in parallel on the
    /// current rayon pool (the same keys whatever the number of threads).
    ///
    /// # Errors
    /// [`InferError::Ckks`] (e.g. a level outside the parameters' chain).
    pub fn evaluation_keys(&mut self) -> Result<EvaluationKeys, InferError> {
        let relin = self.relin_key()?;
        let set = self.galois_key_set()?;
        let galois = self.keygen.galois_key_set(&self.secret, &set)?;
        Ok(EvaluationKeys { relin, galois })
    }

    /// The Galois keys the schedule needs, each at the highest level at which it is used, in
    /// the order of generation (the relinearization key comes first) and of the keys message:
    /// ascending Galois element.
    ///
    /// # Errors
    /// [`InferError::Ckks`] for a level outside the parameters' chain.
    pub fn galois_key_set(&self) -> Result<GaloisKeySet, InferError> {
        let steps: Vec<(i64, usize)> =
            self.interface.rotation_keys().map(|(step, level)| (step as i64, level)).collect();
        Ok(GaloisKeySet::for_steps_at_levels(self.ctx.params(), &steps)?)
    }

    /// What generating the evaluation keys will take on `threads` threads, before anything is
    /// generated: the Galois keys' memory (expanded and compact) and, with a calibrated `cost`
    /// ([`KeyGenCost::calibrate`]), the time (the relinearization key adds about one
    /// top-level key).
    ///
    /// # Errors
    /// As [`Client::galois_key_set`].
    pub fn evaluation_keys_estimate(
        &self,
        cost: Option<&KeyGenCost>,
        threads: usize,
    ) -> Result<KeySetEstimate, InferError> {
        Ok(self.galois_key_set()?.estimate(self.ctx.params(), cost, threads))
    }

    /// The relinearization key at its level, if the schedule squares.
    pub(crate) fn relin_key(&mut self) -> Result<Option<RelinKey>, InferError> {
        let level = self.interface.relinearization_key_level();
        Ok(level.map(|level| self.keygen.relin_key_at_level(&self.secret, level)).transpose()?)
    }

    /// Generates the evaluation keys and writes them to `out` as an evaluation-keys message
    /// (seeded forms, see [`super::wire`]), each Galois key as soon as it is made: keys are
    /// generated in parallel on the current rayon pool, at most two per thread wait in
    /// memory. Returns the sink and the bytes written.
    ///
    /// # Errors
    /// [`InferError::Ckks`], [`InferError::Wire`] (e.g. the sink failed).
    pub fn write_evaluation_keys<W: Write>(&mut self, out: W) -> Result<(W, u64), InferError> {
        self.write_evaluation_keys_with_progress(out, |_| {})
    }

    /// [`Client::write_evaluation_keys`], calling `on_progress` after each Galois key is
    /// written (e.g. to drive a progress bar with [`KeyGenProgress::remaining`]).
    ///
    /// # Errors
    /// As [`Client::write_evaluation_keys`].
    pub fn write_evaluation_keys_with_progress<W: Write>(
        &mut self,
        out: W,
        mut on_progress: impl FnMut(KeyGenProgress),
    ) -> Result<(W, u64), InferError> {
        let relin = self.relin_key()?;
        let set = self.galois_key_set()?;
        let count =
            u32::try_from(set.len()).map_err(|_| InferError::Keys { reason: "too many rotation steps".into() })?;
        let mut writer = KeyStreamWriter::new(out, &self.ctx, relin.as_ref(), count)?;
        drop(relin);
        self.keygen.galois_keys_streamed(&self.secret, &set, |key, progress| {
            writer.write(&key)?;
            on_progress(progress);
            Ok::<_, InferError>(())
        })?;
        Ok(writer.finish()?)
    }

    /// Loads the server's answer, reading at most the size of the model's output ciphertexts
    /// at the top level.
    ///
    /// # Errors
    /// [`InferError::Wire`].
    pub fn receive_logits(&self, bytes: &[u8]) -> Result<EncryptedLogits, InferError> {
        let limit = ciphertexts_len(&self.ctx, self.interface.outputs, self.ctx.params().max_level());
        Ok(EncryptedLogits::from_bytes(&self.ctx, bytes, limit)?)
    }

    /// Packs `image` into the model's input layout and encrypts it (secret-key encryption).
    ///
    /// # Errors
    /// [`InferError::Model`] for an image of the wrong shape, [`InferError::Ckks`].
    pub fn encrypt(&mut self, image: &Tensor3) -> Result<EncryptedImage, InferError> {
        let i = &self.interface;
        if image.shape() != i.input_layout.shape() {
            return Err(ModelError::ImageShape { expected: i.input_layout.shape(), found: image.shape() }.into());
        }
        let level = i.input_level;
        let ciphertexts = i
            .input_layout
            .pack(image)
            .iter()
            .map(|values| {
                let pt = self.encoder.encode_real(values, i.slots, level, i.input_scale)?;
                Ok(self.encryptor.encrypt_symmetric(&pt, &self.secret)?)
            })
            .collect::<Result<_, InferError>>()?;
        Ok(EncryptedImage { ciphertexts })
    }

    /// Decrypts the server's answer into the logits (applying the output affine maps).
    ///
    /// # Errors
    /// [`InferError::OutputCount`], [`InferError::OutputMismatch`] for a ciphertext with other
    /// slots than the model's, [`InferError::Ckks`].
    pub fn decrypt(&self, logits: &EncryptedLogits) -> Result<Vec<f64>, InferError> {
        let expected = self.interface.outputs;
        if logits.ciphertexts.len() != expected {
            return Err(InferError::OutputCount { expected, found: logits.ciphertexts.len() });
        }
        // The logit map indexes slots of the model's output ciphertexts: a ciphertext with
        // fewer slots (from a faulty or hostile server) is refused, not indexed out of bounds.
        if let Some((ciphertext, ct)) =
            logits.ciphertexts.iter().enumerate().find(|(_, ct)| ct.slots() != self.interface.slots)
        {
            return Err(InferError::OutputMismatch {
                ciphertext,
                field: "slots",
                expected: self.interface.slots,
                found: ct.slots(),
            });
        }
        // Everything decrypted besides the logits (other slots, coefficients) is wiped.
        let decrypted = logits
            .ciphertexts
            .iter()
            .map(|ct| {
                let mut plaintext = self.decryptor.decrypt(ct, &self.secret)?;
                let slots = self.encoder.decode_real(&plaintext);
                plaintext.zeroize();
                Ok(Zeroizing::new(slots?))
            })
            .collect::<Result<Vec<Zeroizing<Vec<f64>>>, InferError>>()?;
        Ok(self.interface.logits.iter().map(|l| l.scale * decrypted[l.ct][l.slot] + l.offset).collect())
    }

    /// The CKKS context (public precomputation).
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }
}

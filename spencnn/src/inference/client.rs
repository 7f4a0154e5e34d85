//! The client: holds the secret key, makes the evaluation keys, encrypts images and decrypts
//! logits. Nothing in its public API returns the secret key.
//!
//! It accepts an interface only within its [`ClientPolicy`], binds its images to its keys and
//! accepts only answers computed with those keys, at exactly the interface's output levels,
//! scales and slots, whose logits are finite ([`Client::decrypt`]).

use std::io::Write;
use std::sync::{Arc, Mutex};

use spencnn_ckks::rlwe::{GaloisKeySet, KeyGenCost, KeyGenProgress, KeySetEstimate};
use spencnn_ckks::{
    Ciphertext, Context, Decryptor, Encoder, Encryptor, KeyGenerator, PublicDecoding, PublicDecryptor, RelinKey,
    SecretKey,
};
use zeroize::{Zeroize, Zeroizing};

use super::InferError;
use super::messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
use super::policy::ClientPolicy;
use super::wire::{KeyStreamWriter, ciphertexts_len};
use crate::model::ModelError;
use crate::tensor::Tensor3;

/// The data owner's side of encrypted inference.
pub struct Client {
    interface: ModelInterface,
    /// [`ModelInterface::digest`] of `interface`, written into the keys message.
    interface_digest: u64,
    /// Fingerprint of the last key set made (images carry it, answers must).
    key_fingerprint: Option<u64>,
    /// Noise-flooded decryption of the outputs, when they will be revealed.
    released: Option<Mutex<PublicDecryptor>>,
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
    /// A client for `interface`, checked against the default [`ClientPolicy`], with a fresh
    /// secret key from the operating system's randomness.
    ///
    /// # Errors
    /// [`InferError::Policy`] when the interface is outside the policy or inconsistent;
    /// [`InferError::Ckks`] if the parameters are unusable; [`InferError::Wire`] for an
    /// interface too large to serialize.
    pub fn new(interface: ModelInterface) -> Result<Self, InferError> {
        Self::with_policy(interface, &ClientPolicy::default())
    }

    /// A client for `interface` held to `policy`.
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn with_policy(interface: ModelInterface, policy: &ClientPolicy) -> Result<Self, InferError> {
        policy.check(&interface)?;
        let ctx = Context::new(interface.params.clone())?;
        let keygen = KeyGenerator::new(&ctx);
        let encryptor = Encryptor::new(&ctx);
        Self::assemble(interface, ctx, keygen, encryptor)
    }

    /// A deterministic client (tests and reproducible benchmarks only: the seed determines
    /// the secret key). It is held to the default policy with insecure parameters allowed,
    /// as such a client is insecure anyway.
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn from_seed(interface: ModelInterface, seed: [u8; 32]) -> Result<Self, InferError> {
        Self::from_seed_with_policy(interface, seed, &ClientPolicy::default().allow_insecure_for_testing_only())
    }

    /// [`Client::from_seed`] held to `policy`.
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn from_seed_with_policy(
        interface: ModelInterface,
        seed: [u8; 32],
        policy: &ClientPolicy,
    ) -> Result<Self, InferError> {
        policy.check(&interface)?;
        let ctx = Context::new(interface.params.clone())?;
        let keygen = KeyGenerator::from_seed(&ctx, seed);
        let mut encryption_seed = seed;
        encryption_seed[0] ^= 0x5a;
        let encryptor = Encryptor::from_seed(&ctx, encryption_seed);
        Self::assemble(interface, ctx, keygen, encryptor)
    }

    fn assemble(
        interface: ModelInterface,
        ctx: Arc<Context>,
        mut keygen: KeyGenerator,
        encryptor: Encryptor,
    ) -> Result<Self, InferError> {
        let interface_digest = interface.digest()?;
        let secret = keygen.secret_key();
        Ok(Self {
            interface,
            interface_digest,
            key_fingerprint: None,
            released: None,
            encoder: Encoder::new(&ctx),
            decryptor: Decryptor::new(&ctx),
            ctx,
            secret,
            keygen,
            encryptor,
        })
    }

    /// Decrypts every answer with noise flooding ([`PublicDecryptor`]: fresh noise added to
    /// the decrypted coefficients before decoding, then rounding), for deployments in which the
    /// results (or anything computed from them) are revealed to the server or others: plain
    /// CKKS decryptions leak the secret key to whoever computed the ciphertexts (IND-CPA-D).
    /// The logits lose precision accordingly (see `docs/SECURITY.md` for the cost).
    ///
    /// # Errors
    /// [`InferError::Ckks`] for flooding or precision out of range.
    pub fn with_output_flooding(mut self, decoding: PublicDecoding) -> Result<Self, InferError> {
        self.released = Some(Mutex::new(PublicDecryptor::new(&self.ctx, decoding)?));
        Ok(self)
    }

    /// The noise flooding applied to the outputs, if any.
    pub fn output_flooding(&self) -> Option<PublicDecoding> {
        self.released.as_ref().map(|released| released.lock().unwrap_or_else(|p| p.into_inner()).policy())
    }

    /// [`ModelInterface::digest`] of the interface (sent with the keys).
    pub fn interface_digest(&self) -> u64 {
        self.interface_digest
    }

    /// The fingerprint of the evaluation keys made last (`None` before any): what images carry
    /// and answers must carry.
    pub fn key_fingerprint(&self) -> Option<u64> {
        self.key_fingerprint
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
        let keys = EvaluationKeys { interface_digest: self.interface_digest, relin, galois };
        self.key_fingerprint = Some(keys.fingerprint());
        Ok(keys)
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
        let mut writer = KeyStreamWriter::new(out, &self.ctx, self.interface_digest, relin.as_ref(), count)?;
        drop(relin);
        self.keygen.galois_keys_streamed(&self.secret, &set, |key, progress| {
            writer.write(&key)?;
            on_progress(progress);
            Ok::<_, InferError>(())
        })?;
        let fingerprint = writer.key_fingerprint();
        let written = writer.finish()?;
        self.key_fingerprint = Some(fingerprint);
        Ok(written)
    }

    /// Loads the server's answer, reading at most the size of the model's output ciphertexts
    /// at the top level.
    ///
    /// # Errors
    /// [`InferError::Wire`].
    pub fn receive_logits(&self, bytes: &[u8]) -> Result<EncryptedLogits, InferError> {
        let limit = ciphertexts_len(&self.ctx, self.interface.outputs.len(), self.ctx.params().max_level());
        Ok(EncryptedLogits::from_bytes(&self.ctx, bytes, limit)?)
    }

    /// Packs `image` into the model's input layout and encrypts it (secret-key encryption),
    /// bound to the evaluation keys made last.
    ///
    /// # Errors
    /// [`InferError::KeysNotMade`] before the evaluation keys; [`InferError::Model`] for an
    /// image of the wrong shape, [`InferError::Ckks`].
    pub fn encrypt(&mut self, image: &Tensor3) -> Result<EncryptedImage, InferError> {
        let key_fingerprint = self.key_fingerprint.ok_or(InferError::KeysNotMade)?;
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
        Ok(EncryptedImage { key_fingerprint, ciphertexts })
    }

    /// Decrypts the server's answer into the logits (applying the output affine maps), with
    /// noise flooding if [`Client::with_output_flooding`] was set.
    ///
    /// The answer must have been computed with this client's keys (its fingerprint), have one
    /// ciphertext per output, each of two polynomials at exactly the interface's level, scale
    /// (bit for bit) and slots, and every logit must be finite.
    ///
    /// # Errors
    /// [`InferError::KeysNotMade`], [`InferError::KeyMismatch`], [`InferError::OutputCount`],
    /// [`InferError::OutputMismatch`], [`InferError::NonFiniteOutput`], [`InferError::Ckks`].
    pub fn decrypt(&self, logits: &EncryptedLogits) -> Result<Vec<f64>, InferError> {
        let expected = self.key_fingerprint.ok_or(InferError::KeysNotMade)?;
        if logits.key_fingerprint != expected {
            return Err(InferError::KeyMismatch { message: "answer", expected, found: logits.key_fingerprint });
        }
        let outputs = &self.interface.outputs;
        if logits.ciphertexts.len() != outputs.len() {
            return Err(InferError::OutputCount { expected: outputs.len(), found: logits.ciphertexts.len() });
        }
        // The logit map indexes slots of the model's output ciphertexts, and the decoder divides
        // by the scale: anything but the announced shape (from a faulty or hostile server) is
        // refused, not indexed out of bounds or decoded at a wrong scale.
        for (ciphertext, (ct, spec)) in logits.ciphertexts.iter().zip(outputs).enumerate() {
            let checks = [
                ("size", 2.0, ct.size() as f64, ct.size() != 2),
                ("level", spec.level as f64, ct.level() as f64, ct.level() != spec.level),
                ("slots", self.interface.slots as f64, ct.slots() as f64, ct.slots() != self.interface.slots),
                ("scale", spec.scale, ct.scale(), ct.scale().to_bits() != spec.scale.to_bits()),
            ];
            if let Some(&(field, expected, found, _)) = checks.iter().find(|c| c.3) {
                return Err(InferError::OutputMismatch { ciphertext, field, expected, found });
            }
        }
        // Everything decrypted besides the logits (other slots, coefficients) is wiped.
        let decrypted = logits
            .ciphertexts
            .iter()
            .map(|ct| self.decrypt_slots(ct))
            .collect::<Result<Vec<Zeroizing<Vec<f64>>>, InferError>>()?;
        let values: Vec<f64> =
            self.interface.logits.iter().map(|l| l.scale * decrypted[l.ct][l.slot] + l.offset).collect();
        if let Some((logit, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(InferError::NonFiniteOutput { logit, value });
        }
        Ok(values)
    }

    /// The real slot values of one answer ciphertext (flooded if so configured).
    fn decrypt_slots(&self, ct: &Ciphertext) -> Result<Zeroizing<Vec<f64>>, InferError> {
        if let Some(released) = &self.released {
            let mut public = released.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            return Ok(Zeroizing::new(public.decrypt_real(ct, &self.secret)?));
        }
        let mut plaintext = self.decryptor.decrypt(ct, &self.secret)?;
        let slots = self.encoder.decode_real(&plaintext);
        plaintext.zeroize();
        Ok(Zeroizing::new(slots?))
    }

    /// The CKKS context (public precomputation).
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }
}

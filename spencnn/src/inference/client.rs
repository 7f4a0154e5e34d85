//! The client: holds the secret key, makes the evaluation keys, encrypts images and decrypts
//! logits. Nothing in its public API returns the secret key.

use std::sync::Arc;

use spencnn_ckks::{Context, Decryptor, Encoder, Encryptor, KeyGenerator, SecretKey};

use super::InferError;
use super::messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
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
    /// schedule's rotation steps.
    ///
    /// # Errors
    /// [`InferError::Ckks`].
    pub fn evaluation_keys(&mut self) -> Result<EvaluationKeys, InferError> {
        let steps: Vec<i64> = self.interface.rotation_steps.iter().map(|&s| s as i64).collect();
        let galois = self.keygen.galois_keys(&self.secret, &steps, false)?;
        let relin =
            if self.interface.needs_relinearization { Some(self.keygen.relin_key(&self.secret)?) } else { None };
        Ok(EvaluationKeys { relin, galois })
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
        let level = i.input_level + 1;
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
    /// [`InferError::OutputCount`], [`InferError::Ckks`].
    pub fn decrypt(&self, logits: &EncryptedLogits) -> Result<Vec<f64>, InferError> {
        let expected = self.interface.outputs;
        if logits.ciphertexts.len() != expected {
            return Err(InferError::OutputCount { expected, found: logits.ciphertexts.len() });
        }
        let decrypted = logits
            .ciphertexts
            .iter()
            .map(|ct| Ok(self.encoder.decode_real(&self.decryptor.decrypt(ct, &self.secret)?)?))
            .collect::<Result<Vec<Vec<f64>>, InferError>>()?;
        Ok(self.interface.logits.iter().map(|l| l.scale * decrypted[l.ct][l.slot] + l.offset).collect())
    }

    /// The CKKS context (public precomputation).
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }
}

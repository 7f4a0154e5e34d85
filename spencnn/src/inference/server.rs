//! The server: holds the model's schedule, the public parameters, the client's evaluation keys
//! and the encoded weight plaintexts; evaluates encrypted images. It has no way to obtain a
//! secret key: none of its fields or inputs can hold one.

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use spencnn_ckks::{Context, KeyStorage, Parameters, SerializedForm};

use super::InferError;
use super::messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
use super::wire::{ciphertexts_len, evaluation_keys_len};
use crate::backend::runner::encode_all;
use crate::backend::{CkksBackend, CkksPlaintext, LayerRun, Plaintexts, run};
use crate::plan::Schedule;

/// When the weight plaintexts are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EncodingPolicy {
    /// All at setup (fast inference, memory for every plaintext).
    Preencoded,
    /// Per layer during inference (memory for one layer's plaintexts, slower inference).
    PerLayer,
    /// Per instruction during inference (memory for one instruction's plaintexts).
    OnDemand,
}

/// What the setup cost.
#[derive(Clone, Debug, Serialize)]
pub struct SetupReport {
    /// Plaintexts encoded.
    pub plaintexts: usize,
    /// Seconds spent encoding them.
    pub seconds: f64,
    /// Bytes they occupy.
    pub bytes: usize,
}

/// The model owner's side of encrypted inference.
pub struct Server {
    schedule: Schedule,
    ctx: Arc<Context>,
    interface: ModelInterface,
    /// [`ModelInterface::digest`] of `interface`: keys made for another interface are refused.
    interface_digest: u64,
    keys: Option<EvaluationKeys>,
    /// [`EvaluationKeys::fingerprint`] of `keys`: images for other keys are refused.
    key_fingerprint: u64,
    plaintexts: Vec<Option<Arc<CkksPlaintext>>>,
    policy: EncodingPolicy,
    key_storage: KeyStorage,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("model", &self.interface.model).field("policy", &self.policy).finish()
    }
}

impl Server {
    /// A server for `schedule`, planned with the primes of `params` (see
    /// [`super::params::scale_model`]).
    ///
    /// # Errors
    /// [`InferError::Ckks`], [`InferError::ChainMismatch`] when the schedule was not planned for
    /// these primes, [`InferError::InvalidSchedule`], [`InferError::Wire`] for an interface too
    /// large to serialize.
    pub fn new(schedule: Schedule, params: Parameters, policy: EncodingPolicy) -> Result<Self, InferError> {
        let chain = super::params::scale_model(&params);
        if schedule.input_level >= chain.moduli.len()
            || schedule.chain.moduli != chain.moduli[..schedule.chain.moduli.len()]
        {
            return Err(InferError::ChainMismatch);
        }
        let ctx = Context::new(params.clone())?;
        let interface = ModelInterface::new(&schedule, params)?;
        let interface_digest = interface.digest()?;
        Ok(Self {
            schedule,
            ctx,
            interface,
            interface_digest,
            keys: None,
            key_fingerprint: 0,
            plaintexts: Vec::new(),
            policy,
            key_storage: KeyStorage::Expanded,
        })
    }

    /// The public interface to send to clients.
    pub fn interface(&self) -> &ModelInterface {
        &self.interface
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The fingerprint of the keys received (`None` before any): what images must carry and
    /// answers carry.
    pub fn key_fingerprint(&self) -> Option<u64> {
        self.keys.as_ref().map(|_| self.key_fingerprint)
    }

    /// How the server holds the evaluation keys it receives from now on (see [`KeyStorage`]).
    ///
    /// The default is [`KeyStorage::Expanded`], the fastest. [`KeyStorage::Compact`] keeps each
    /// key's uniform half as the seed it arrives with, which halves the keys' memory (the
    /// largest part of a deep network's server memory) and makes every key switch expand that
    /// half again: rotations and relinearizations are slower (see `docs/ckks.md`, "Compact
    /// keys"). Results are bit-identical either way.
    pub fn set_key_storage(&mut self, storage: KeyStorage) {
        self.key_storage = storage;
    }

    /// How the server holds evaluation keys.
    pub fn key_storage(&self) -> KeyStorage {
        self.key_storage
    }

    /// Accepts a client's evaluation keys after checking they were made for this interface,
    /// belong to these parameters and cover every rotation step of the schedule, converted to
    /// the server's key storage.
    ///
    /// # Errors
    /// [`InferError::InterfaceMismatch`], [`InferError::Keys`].
    pub fn set_keys(&mut self, keys: EvaluationKeys) -> Result<(), InferError> {
        if keys.interface_digest != self.interface_digest {
            return Err(InferError::InterfaceMismatch {
                expected: self.interface_digest,
                found: keys.interface_digest,
            });
        }
        let fingerprint = self.ctx.params().fingerprint();
        let n = self.ctx.params().n();
        if keys.galois.fingerprint() != fingerprint
            || keys.relin.as_ref().is_some_and(|r| r.fingerprint() != fingerprint)
        {
            return Err(InferError::Keys { reason: "keys made under other parameters".to_string() });
        }
        if let Some(needed) = self.interface.relinearization_key_level() {
            match &keys.relin {
                None => return Err(InferError::Keys { reason: "the relinearization key is missing".to_string() }),
                Some(relin) if relin.level() < needed => {
                    return Err(InferError::Keys {
                        reason: format!("the relinearization key covers level {}, {needed} needed", relin.level()),
                    });
                }
                Some(_) => {}
            }
        }
        for (step, needed) in self.interface.rotation_keys() {
            let element = spencnn_ckks::rlwe::galois_element_for_step(step as i64, n);
            match keys.galois.get(element) {
                None => return Err(InferError::Keys { reason: format!("no Galois key for rotation step {step}") }),
                Some(key) if key.level() < needed => {
                    return Err(InferError::Keys {
                        reason: format!(
                            "the key of rotation step {step} covers level {}, {needed} needed",
                            key.level()
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        self.key_fingerprint = keys.fingerprint();
        let storage = self.key_storage;
        let relin = keys.relin.map(|relin| relin.with_storage(&self.ctx, storage)).transpose()?;
        let galois = keys.galois.with_storage(&self.ctx, storage)?;
        self.keys = Some(EvaluationKeys { interface_digest: keys.interface_digest, relin, galois });
        // Weights encoded for earlier keys stay valid (they do not depend on the keys).
        Ok(())
    }

    /// Reads the client's evaluation-keys message from `input` (at most the size of the keys
    /// this model needs, in the seeded form they travel in; one key buffered at a time) into
    /// the server's key storage (compact keys are never expanded) and accepts the keys as
    /// [`Server::set_keys`] does. Returns the bytes read.
    ///
    /// # Errors
    /// [`InferError::Wire`], [`InferError::Keys`].
    pub fn receive_keys<R: Read>(&mut self, input: R) -> Result<u64, InferError> {
        let i = &self.interface;
        let levels: Vec<usize> = i.rotation_keys().map(|(_, level)| level).collect();
        let limit =
            evaluation_keys_len(self.ctx.params(), i.relinearization_key_level(), &levels, SerializedForm::Seeded);
        let (keys, read) = EvaluationKeys::read_from_with_storage(&self.ctx, input, limit, self.key_storage)?;
        self.set_keys(keys)?;
        Ok(read)
    }

    /// Loads an encrypted-image message and checks it against the keys and the model's input
    /// (key fingerprint, count, level, scale, slots), reading at most the full-form size of the
    /// expected ciphertexts.
    ///
    /// # Errors
    /// [`InferError::Wire`], [`InferError::Keys`] before [`Server::set_keys`],
    /// [`InferError::KeyMismatch`], [`InferError::ImageCount`], [`InferError::ImageMismatch`].
    pub fn receive_image(&self, bytes: &[u8]) -> Result<EncryptedImage, InferError> {
        let limit = ciphertexts_len(&self.ctx, self.schedule.inputs.len(), self.schedule.input_level);
        let image = EncryptedImage::from_bytes(&self.ctx, bytes, limit)?;
        self.check_image(&image)?;
        Ok(image)
    }

    /// Checks an image against the keys (made for the keys the server holds) and the model's
    /// input layout, level and scale (exactly the interface's), so that every image it accepts
    /// is evaluated.
    fn check_image(&self, image: &EncryptedImage) -> Result<(), InferError> {
        if self.keys.is_none() {
            return Err(InferError::Keys { reason: "no keys received".to_string() });
        }
        if image.key_fingerprint != self.key_fingerprint {
            let (expected, found) = (self.key_fingerprint, image.key_fingerprint);
            return Err(InferError::KeyMismatch { message: "image", expected, found });
        }
        let (expected, found) = (self.schedule.inputs.len(), image.ciphertexts.len());
        if expected != found {
            return Err(InferError::ImageCount { expected, found });
        }
        let i = &self.interface;
        for (ciphertext, ct) in image.ciphertexts.iter().enumerate() {
            // Exactly the interface's scale (the client encodes at it; the wire keeps f64 bits):
            // a scale inside the CKKS tolerance but not equal passes the first operations and
            // fails later ones, as the square doubles the deviation.
            let scale_differs = ct.scale().to_bits() != i.input_scale.to_bits();
            let checks = [
                ("level", i.input_level as f64, ct.level() as f64, ct.level() != i.input_level),
                ("size", 2.0, ct.size() as f64, ct.size() != 2),
                ("slots", i.slots as f64, ct.slots() as f64, ct.slots() != i.slots),
                ("scale", i.input_scale, ct.scale(), scale_differs),
            ];
            if let Some(&(field, expected, found, _)) = checks.iter().find(|c| c.3) {
                return Err(InferError::ImageMismatch { ciphertext, field, expected, found });
            }
        }
        Ok(())
    }

    /// The CKKS context (public precomputation), e.g. to serialize answers.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Bytes held by the evaluation keys.
    pub fn key_bytes(&self) -> usize {
        self.keys.as_ref().map_or(0, EvaluationKeys::memory_bytes)
    }

    /// Encodes the weight plaintexts when the policy is [`EncodingPolicy::Preencoded`] (a no-op
    /// otherwise). Once per model; parallel.
    ///
    /// # Errors
    /// [`InferError::Keys`] before [`Server::set_keys`]; [`InferError::Backend`].
    pub fn setup(&mut self) -> Result<SetupReport, InferError> {
        let start = Instant::now();
        if self.policy == EncodingPolicy::Preencoded && self.plaintexts.is_empty() {
            let keys = self.keys.as_ref().ok_or(InferError::Keys { reason: "no keys received".to_string() })?;
            let backend = CkksBackend::new(&self.ctx, &keys.galois, keys.relin.as_ref());
            self.plaintexts = encode_all(&self.schedule, &backend).map_err(InferError::Backend)?;
        }
        let encoded = self.plaintexts.iter().flatten();
        let bytes = encoded.clone().map(|p| p.0.poly().data().len() * 8).sum();
        Ok(SetupReport { plaintexts: encoded.count(), seconds: start.elapsed().as_secs_f64(), bytes })
    }

    /// Evaluates the schedule on an encrypted image; `on_layer` is called after each layer.
    ///
    /// # Errors
    /// [`InferError::Keys`] before [`Server::set_keys`]; [`InferError::KeyMismatch`] for an
    /// image made for other keys; [`InferError::ImageCount`], [`InferError::ImageMismatch`] for
    /// an image that does not fit the model; [`InferError::Exec`].
    pub fn infer(
        &self,
        image: &EncryptedImage,
        on_layer: impl FnMut(&LayerRun),
    ) -> Result<(EncryptedLogits, Vec<LayerRun>), InferError> {
        let keys = self.keys.as_ref().ok_or(InferError::Keys { reason: "no keys received".to_string() })?;
        self.check_image(image)?;
        let backend = CkksBackend::new(&self.ctx, &keys.galois, keys.relin.as_ref());
        let plaintexts = match self.policy {
            EncodingPolicy::Preencoded if self.plaintexts.len() == self.schedule.plaintexts.len() => {
                Plaintexts::Preencoded(&self.plaintexts)
            }
            EncodingPolicy::Preencoded => return Err(InferError::NotSetUp),
            EncodingPolicy::PerLayer => Plaintexts::PerLayer,
            EncodingPolicy::OnDemand => Plaintexts::OnDemand,
        };
        let (ciphertexts, runs) = run(&self.schedule, &backend, image.ciphertexts.clone(), &plaintexts, on_layer)?;
        Ok((EncryptedLogits { key_fingerprint: self.key_fingerprint, ciphertexts }, runs))
    }
}

//! Entry points shared by the cargo-fuzz targets `wire_*` in `fuzz/` and by the normal tests
//! (the crate's `wire_fuzzing` test), so that the fuzzed logic runs in every `cargo test`. This module
//! exists for fuzzing and tests; a deployment has no use for it.
//!
//! Each `fuzz_*` function feeds arbitrary bytes to one message loader under a small fixed,
//! insecure deployment ([`fixture`]: a small CNN on a 1×2×2 image at `N = 2^5`, built once per
//! process in a few milliseconds) with the limit [`FUZZ_MAX_BYTES`]. It must never panic. When
//! the loader accepts the bytes, the function checks that the encoding is canonical (writing the loaded message
//! gives back exactly the input) and that the message works where its receiver uses it (the
//! client encrypts and decrypts under a loaded interface, the server accepts loaded keys and
//! then evaluates an image with them, the server evaluates a loaded image, the client decrypts
//! loaded logits), so a loader that lets an inconsistent message through is caught as a panic.
//! Typed errors of the receiver (e.g. keys that do not cover the model's steps) are fine.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use spencnn_ckks::{
    Ciphertext, Context, Encoder, Encryptor, Evaluator, KeyGenerator,
    rlwe::{galois_element_for_conjugation, galois_element_for_step},
};

use super::WireError;
use crate::inference::{
    Client, EncodingPolicy, EncryptedImage, EncryptedLogits, EvaluationKeys, InferError, ModelInterface, ParamOptions,
    Server, plan_for_ckks,
};
use crate::model::{Conv2d, Layer, Linear, Model, Node, PolyActivation, randomize};
use crate::tensor::Tensor3;

/// The limit every fuzz entry point passes to the loaders (the fixture's largest message, the
/// evaluation keys, takes 18.5 kB of it).
pub const FUZZ_MAX_BYTES: usize = 1 << 16;
/// Ring degree `2^5` of the fixture.
pub const FUZZ_LOG_N: u32 = 5;
/// A loaded interface is used (client made, image encrypted, logits decrypted) only when its
/// ring degree is at most this; larger parameter sets, which the fuzzer can produce, are only
/// checked for canonical form, since building their context would dominate the run time.
pub const MAX_USED_RING_DEGREE: usize = 1 << 8;
/// Seed of the fixture's client (its secret key).
const CLIENT_SEED: [u8; 32] = [0x5e; 32];

/// The fixed deployment of the fuzz entry points: a server with the client's keys and its
/// weights encoded, the client, and one valid message of each kind.
#[derive(Debug)]
pub struct Fixture {
    /// The server's context (the receiver's context of keys, images and logits).
    pub ctx: Arc<Context>,
    /// The server, with the client's keys, set up: evaluates loaded images.
    pub server: Server,
    /// A second server whose keys each loaded key message replaces (when it accepts them).
    keys_server: Mutex<Server>,
    /// The client (seeded), which made the keys and the image.
    pub client: Client,
    /// The client's image, which the keys server evaluates with loaded keys.
    pub image: EncryptedImage,
    /// A fresh encryption at the top level (under an unrelated key) to exercise loaded keys.
    top_ciphertext: Ciphertext,
    /// The interface message (server → client).
    pub interface_bytes: Vec<u8>,
    /// The evaluation-keys message as the client streams it (client → server).
    pub keys_bytes: Vec<u8>,
    /// The image message (client → server).
    pub image_bytes: Vec<u8>,
    /// The logits message (server → client).
    pub logits_bytes: Vec<u8>,
}

/// The fixture's model: conv 3×3 1→2 → polynomial activation (a square: relinearization) →
/// global average pooling → FC 2→3 on a 1×2×2 image, with seeded random weights. Its three
/// logits share one output ciphertext (slots 0, 4, 8), as in the bundled networks.
pub fn fuzz_model() -> Model {
    let mut conv = Conv2d::new(1, 2, 3, 1, 1, 1);
    conv.bias = Some(vec![0.0; 2]);
    let act = PolyActivation { channels: 2, a: vec![0.0; 2], b: vec![0.0; 2], c: vec![0.0; 2] };
    let fc = Linear { in_features: 2, out_features: 3, weight: vec![0.0; 6], bias: Some(vec![0.0; 3]) };
    let layers = [
        ("conv", Layer::Conv2d(conv)),
        ("act", Layer::Activation(act)),
        ("gap", Layer::GlobalAvgPool),
        ("flatten", Layer::Flatten),
        ("fc", Layer::Linear(fc)),
    ];
    let nodes = layers.into_iter().enumerate().map(|(n, (name, layer))| Node { name: name.into(), layer, input: n });
    let mut model = Model { name: "fuzz".into(), input_shape: [1, 2, 2], nodes: nodes.collect() };
    randomize(&mut model, 11);
    model
}

/// Reduced parameters of the fixture: 20-bit scale inside a 150-bit budget (insecure).
pub fn fuzz_options() -> ParamOptions {
    ParamOptions { min_log_scale: 20, target_precision_bits: None, budget_bits: Some(150), insecure: true, threads: 1 }
}

fn build() -> Result<Fixture, InferError> {
    let (schedule, _, params) = plan_for_ckks(&fuzz_model(), FUZZ_LOG_N, &fuzz_options())?;
    let mut server = Server::new(schedule.clone(), params.clone(), EncodingPolicy::Preencoded)?;
    let interface_bytes = server.interface().to_bytes()?;
    let interface = ModelInterface::from_bytes_insecure_for_testing_only(&interface_bytes, FUZZ_MAX_BYTES)?;
    let mut client = Client::from_seed(interface, CLIENT_SEED)?;
    let (keys_bytes, _) = client.write_evaluation_keys(Vec::new())?;
    server.receive_keys(&keys_bytes[..])?;
    server.setup()?;
    let mut keys_server = Server::new(schedule, params, EncodingPolicy::Preencoded)?;
    keys_server.receive_keys(&keys_bytes[..])?;
    keys_server.setup()?;
    let image = client.encrypt(&Tensor3::random_unit([1, 2, 2], 1))?;
    let image_bytes = image.to_bytes(client.context())?;
    let (answer, _) = server.infer(&server.receive_image(&image_bytes)?, |_| {})?;
    let logits_bytes = answer.to_bytes(server.context())?;
    let ctx = server.context().clone();
    let top_ciphertext = top_level_ciphertext(&ctx)?;
    let keys_server = Mutex::new(keys_server);
    Ok(Fixture {
        ctx,
        server,
        keys_server,
        client,
        image,
        top_ciphertext,
        interface_bytes,
        keys_bytes,
        image_bytes,
        logits_bytes,
    })
}

fn top_level_ciphertext(ctx: &Arc<Context>) -> Result<Ciphertext, InferError> {
    let sk = KeyGenerator::from_seed(ctx, [0xa1; 32]).secret_key();
    let params = ctx.params();
    let pt = Encoder::new(ctx).encode_real(&[0.25, -0.5], params.max_slots(), params.max_level(), 2f64.powi(20))?;
    Ok(Encryptor::from_seed(ctx, [0xa2; 32]).encrypt_symmetric(&pt, &sk)?)
}

/// The shared fixture (built on first use, in a few milliseconds).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build().expect("the fixed fuzz deployment builds"))
}

/// The message loaders, one fuzz target each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// [`ModelInterface::from_bytes`] and its insecure variant.
    Interface,
    /// [`EvaluationKeys::from_bytes`] (and [`EvaluationKeys::read_from`]).
    EvaluationKeys,
    /// [`EncryptedImage::from_bytes`].
    Image,
    /// [`EncryptedLogits::from_bytes`].
    Logits,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [Target::Interface, Target::EvaluationKeys, Target::Image, Target::Logits];

    /// The cargo-fuzz target name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Interface => "wire_interface",
            Target::EvaluationKeys => "wire_keys",
            Target::Image => "wire_image",
            Target::Logits => "wire_logits",
        }
    }

    /// Runs the target's entry point on `bytes`.
    pub fn run(self, bytes: &[u8]) {
        match self {
            Target::Interface => fuzz_interface(bytes),
            Target::EvaluationKeys => fuzz_evaluation_keys(bytes),
            Target::Image => fuzz_image(bytes),
            Target::Logits => fuzz_logits(bytes),
        }
    }

    /// Whether the target's loader accepts `bytes` (under the fixture's context and limit).
    pub fn loads(self, bytes: &[u8]) -> bool {
        let ctx = &fixture().ctx;
        match self {
            Target::Interface => ModelInterface::from_bytes_insecure_for_testing_only(bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::EvaluationKeys => EvaluationKeys::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::Image => EncryptedImage::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
            Target::Logits => EncryptedLogits::from_bytes(ctx, bytes, FUZZ_MAX_BYTES).is_ok(),
        }
    }

    /// Valid messages (every form) to start fuzzing from.
    pub fn seed_inputs(self) -> Vec<Vec<u8>> {
        let f = fixture();
        let ctx = &f.ctx;
        let ok = "fixture messages serialize under their context";
        match self {
            Target::Interface => vec![f.interface_bytes.clone()],
            Target::EvaluationKeys => {
                // The client's stream, and the smallest message (no keys at all).
                let galois = spencnn_ckks::GaloisKeys::empty(ctx);
                let empty = EvaluationKeys { interface_digest: f.client.interface_digest(), relin: None, galois };
                vec![f.keys_bytes.clone(), empty.to_bytes(ctx).expect(ok)]
            }
            Target::Image => {
                // Seeded (fresh) ciphertexts, and full-form ones one level lower.
                let eval = Evaluator::new(ctx);
                let lower = f.image.ciphertexts.iter().map(|ct| eval.drop_to_level(ct, ct.level() - 1).expect(ok));
                let lower = EncryptedImage { key_fingerprint: f.image.key_fingerprint, ciphertexts: lower.collect() };
                vec![f.image_bytes.clone(), lower.to_bytes(ctx).expect(ok)]
            }
            Target::Logits => vec![f.logits_bytes.clone()],
        }
    }
}

const CANONICAL: &str = "a loaded message re-serializes to exactly its input";

/// [`Target::Interface`]: the client's loader (both variants).
pub fn fuzz_interface(bytes: &[u8]) {
    let secure = ModelInterface::from_bytes(bytes, FUZZ_MAX_BYTES);
    let Ok(interface) = ModelInterface::from_bytes_insecure_for_testing_only(bytes, FUZZ_MAX_BYTES) else {
        assert!(secure.is_err(), "the secure loader is stricter");
        return;
    };
    assert_eq!(interface.to_bytes().expect("a loaded interface writes"), bytes, "{CANONICAL}");
    assert_eq!(secure.is_ok(), !interface.params.is_insecure(), "the secure loader refuses exactly insecure sets");
    if interface.params.n() <= MAX_USED_RING_DEGREE {
        use_interface(interface);
    }
}

/// What a client does with an interface: check it against the (testing) policy, make the
/// keys, encrypt an image, decrypt an answer of the interface's shape (zeros encrypted under
/// another key at each output's level and scale: decrypted, they are garbage, but must either
/// decrypt or be refused as non-finite).
fn use_interface(interface: ModelInterface) {
    let (shape, expected_cts) = (interface.input_layout.shape(), interface.input_layout.num_cts());
    let (level, slots, logits) = (interface.input_level, interface.slots, interface.logits.len());
    let outputs = interface.outputs.clone();
    let mut client = match Client::from_seed(interface, CLIENT_SEED) {
        Ok(client) => client,
        Err(InferError::Policy(_)) => return,
        Err(other) => panic!("a loaded interface makes a client or is refused by the policy: {other}"),
    };
    client.evaluation_keys().expect("the keys of a loaded interface are made at levels inside the chain");
    let image = Tensor3::from_fn(shape[0], shape[1], shape[2], |c, y, x| ((c + y + x) % 3) as f64 * 0.25);
    let encrypted = client.encrypt(&image).expect("the policy admits only input scales that encode the image");
    assert_eq!(encrypted.ciphertexts.len(), expected_cts, "one ciphertext per layout ciphertext");
    for ct in &encrypted.ciphertexts {
        assert_eq!((ct.level(), ct.slots()), (level, slots), "encrypted at the interface's level and slots");
    }
    let ctx = client.context().clone();
    let other_key = KeyGenerator::from_seed(&ctx, [0xb3; 32]).secret_key();
    let mut encryptor = Encryptor::from_seed(&ctx, [0xb4; 32]);
    let ciphertexts = outputs
        .iter()
        .map(|spec| {
            let zeros = Encoder::new(&ctx).encode_real(&[], slots, spec.level, spec.scale).expect("zeros encode");
            encryptor.encrypt_symmetric(&zeros, &other_key).expect("zeros encrypt")
        })
        .collect();
    let key_fingerprint = client.key_fingerprint().expect("keys were made");
    match client.decrypt(&EncryptedLogits { key_fingerprint, ciphertexts }) {
        Ok(decrypted) => assert_eq!(decrypted.len(), logits),
        Err(InferError::NonFiniteOutput { .. }) => {}
        Err(other) => panic!("an answer of the interface's shape decrypts: {other}"),
    }
}

fn keys_server(f: &Fixture) -> MutexGuard<'_, Server> {
    // A panic while the lock was held already failed the run; the server stays usable.
    f.keys_server.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// [`Target::EvaluationKeys`]: the server's loader.
pub fn fuzz_evaluation_keys(bytes: &[u8]) {
    let f = fixture();
    let Ok(keys) = EvaluationKeys::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) else { return };
    assert_eq!(keys.to_bytes(&f.ctx).expect("loaded keys write"), bytes, "{CANONICAL}");
    let (streamed, read) = EvaluationKeys::read_from(&f.ctx, bytes, FUZZ_MAX_BYTES)
        .expect("the stream reader accepts what the slice reader accepts");
    assert_eq!(read as usize, bytes.len(), "the stream reader reads the whole message");
    assert_eq!(streamed.to_bytes(&f.ctx).expect("loaded keys write"), bytes, "{CANONICAL}");
    exercise_keys(f, &keys);
    let mut server = keys_server(f);
    let fingerprint = keys.fingerprint();
    match server.set_keys(keys) {
        Ok(()) => {
            // The client's image is bound to the client's keys: evaluated when the loaded keys
            // are the client's, refused otherwise.
            let image = EncryptedImage { key_fingerprint: fingerprint, ciphertexts: f.image.ciphertexts.clone() };
            let (answer, _) = server.infer(&image, |_| {}).expect("the server evaluates with keys it accepted");
            if fingerprint == f.image.key_fingerprint {
                f.client.decrypt(&answer).expect("the answer decrypts");
            } else {
                let refused = f.client.decrypt(&answer);
                assert!(matches!(refused, Err(InferError::KeyMismatch { .. })), "{refused:?}");
                let refused = server.infer(&f.image, |_| {}).map(drop);
                assert!(matches!(refused, Err(InferError::KeyMismatch { .. })), "{refused:?}");
            }
        }
        Err(InferError::Keys { .. } | InferError::InterfaceMismatch { .. }) => {}
        Err(other) => panic!("keys are accepted or refused as keys: {other}"),
    }
}

/// Every loaded key switches a ciphertext at its level.
fn exercise_keys(f: &Fixture, keys: &EvaluationKeys) {
    let eval = Evaluator::new(&f.ctx);
    let at_level = |level: usize| eval.drop_to_level(&f.top_ciphertext, level).expect("a key level is a valid level");
    if let Some(rlk) = &keys.relin {
        let ct = at_level(rlk.level());
        eval.multiply_relin(&ct, &ct, rlk).expect("a loaded key relinearizes at its level");
    }
    let n = f.ctx.params().n();
    for step in 1..(n / 2) as i64 {
        if let Some(key) = keys.galois.get(galois_element_for_step(step, n)) {
            eval.rotate(&at_level(key.level()), step, &keys.galois).expect("a loaded key rotates");
        }
    }
    if let Some(key) = keys.galois.get(galois_element_for_conjugation(n)) {
        eval.conjugate(&at_level(key.level()), &keys.galois).expect("a loaded key conjugates");
    }
}

/// [`Target::Image`]: the server's loader.
pub fn fuzz_image(bytes: &[u8]) {
    let f = fixture();
    let Ok(image) = EncryptedImage::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES) else { return };
    assert_eq!(image.to_bytes(&f.ctx).expect("a loaded image writes"), bytes, "{CANONICAL}");
    match f.server.infer(&image, |_| {}) {
        Ok((answer, _)) => {
            f.client.decrypt(&answer).expect("the answer to an accepted image decrypts");
        }
        Err(InferError::ImageCount { .. } | InferError::ImageMismatch { .. } | InferError::KeyMismatch { .. }) => {}
        Err(other) => panic!("an image is evaluated or refused as not fitting the keys or the model: {other}"),
    }
}

/// [`Target::Logits`]: the client's loader.
pub fn fuzz_logits(bytes: &[u8]) {
    let f = fixture();
    let loaded = EncryptedLogits::from_bytes(&f.ctx, bytes, FUZZ_MAX_BYTES);
    let received = f.client.receive_logits(bytes);
    let Ok(logits) = loaded else {
        assert!(received.is_err(), "the client's limit is at most the fuzz limit");
        return;
    };
    assert_eq!(logits.to_bytes(&f.ctx).expect("loaded logits write"), bytes, "{CANONICAL}");
    if let Err(error) = received {
        assert!(matches!(error, InferError::Wire(WireError::InputTooLarge { .. })), "only the limit differs: {error}");
    }
    match f.client.decrypt(&logits) {
        Ok(values) => assert_eq!(values.len(), f.client.interface().logits.len()),
        Err(
            InferError::OutputCount { .. }
            | InferError::OutputMismatch { .. }
            | InferError::KeyMismatch { .. }
            | InferError::NonFiniteOutput { .. },
        ) => {}
        Err(other) => panic!("logits decrypt or are refused as not fitting the keys or the model: {other}"),
    }
}

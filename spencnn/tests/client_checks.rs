//! What the client accepts: the interface only within its policy (no downgraded secret, no
//! more keys, levels or key bytes than it allows, nothing inconsistent), answers only from its
//! own keys at exactly the announced levels, scales and slots, finite logits; messages of
//! another client or for another interface are refused on both sides; noise-flooded outputs.

mod common;

use std::sync::OnceLock;

use common::{LOG_N, small_cnn, test_options};
use spencnn::inference::wire::{WIRE_HEADER_LEN, WireError};
use spencnn::inference::{
    Client, ClientPolicy, EncodingPolicy, EncryptedImage, EncryptedLogits, InferError, ModelInterface, PolicyError,
    Server, plan_for_ckks,
};
use spencnn_ckks::params::SecurityLevel;
use spencnn_ckks::serialization::HEADER_LEN;
use spencnn_ckks::{
    Encoder, Encryptor, KeyGenerator, NoiseFlooding, Parameters, PublicDecoding, SecretDistribution, SerializationError,
};

const LIMIT: usize = 1 << 30;

/// A set-up server (small CNN, insecure test parameters), the client whose keys it holds, an
/// image of that client and the answer to it.
struct Deployment {
    server: Server,
    client: Client,
    image: EncryptedImage,
    answer: EncryptedLogits,
    logits: Vec<f64>,
}

fn deployment() -> &'static Deployment {
    static DEPLOYMENT: OnceLock<Deployment> = OnceLock::new();
    DEPLOYMENT.get_or_init(|| {
        let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
        let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded).unwrap();
        let mut client = Client::from_seed(server.interface().clone(), [21; 32]).unwrap();
        server.set_keys(client.evaluation_keys().unwrap()).unwrap();
        server.setup().unwrap();
        let image = client.encrypt(&common::image([1, 8, 8], 1)).unwrap();
        let (answer, _) = server.infer(&image, |_| {}).unwrap();
        let logits = client.decrypt(&answer).unwrap();
        Deployment { server, client, image, answer, logits }
    })
}

/// The interface of the SpENCNN LeNet at `N = 2^14` under secure parameters.
fn lenet_interface() -> &'static ModelInterface {
    static INTERFACE: OnceLock<ModelInterface> = OnceLock::new();
    INTERFACE.get_or_init(common::secure_lenet_interface)
}

fn policy_error(result: Result<Client, InferError>) -> PolicyError {
    match result {
        Err(InferError::Policy(error)) => error,
        other => panic!("expected a policy refusal, got {other:?}"),
    }
}

/// A server that put a weight-1 sparse secret into its interface used to get a client whose
/// secret is found by trying 2N candidates against one ciphertext. Sparse parameters need the
/// insecure opt-in, which the secure loader and the client both refuse.
#[test]
fn a_sparse_secret_is_refused_by_the_loader_and_the_client() {
    let interface = lenet_interface();
    let p = &interface.params;
    let sparse = Parameters::builder()
        .log_n(p.log_n())
        .q_primes(p.q_primes())
        .p_primes(p.p_primes())
        .log_scale(p.log_scale())
        .dnum(p.dnum())
        .secret_distribution(SecretDistribution::FixedHammingWeight { weight: 1 });
    assert!(matches!(sparse.clone().build(), Err(spencnn_ckks::CkksError::UncertifiedSecretDistribution { .. })));
    let sparse = sparse.insecure_for_testing_only().build().unwrap();
    let downgraded = ModelInterface { params: sparse, ..interface.clone() };
    let bytes = downgraded.to_bytes().unwrap();
    assert!(matches!(
        ModelInterface::from_bytes(&bytes, LIMIT),
        Err(WireError::Ckks { source: SerializationError::InsecureParameters, .. })
    ));
    let loaded = ModelInterface::from_bytes_insecure_for_testing_only(&bytes, LIMIT).unwrap();
    assert_eq!(policy_error(Client::new(loaded)), PolicyError::InsecureParameters);
    // Even a policy that allows insecure parameters for testing sees no certified level.
    assert_eq!(downgraded.params.security_level(), None);
    assert_eq!(interface.params.security_level(), Some(SecurityLevel::Bits128));
}

#[test]
fn the_client_holds_the_interface_to_its_policy() {
    let interface = lenet_interface().clone();
    Client::new(interface.clone()).expect("the bundled networks fit the default policy");
    let strict = ClientPolicy::default().min_security(SecurityLevel::Bits192);
    assert_eq!(
        policy_error(Client::with_policy(interface.clone(), &strict)),
        PolicyError::SecurityBelowMinimum { found: Some(SecurityLevel::Bits128), min: SecurityLevel::Bits192 }
    );
    let levels = interface.params.q_primes().len();
    assert_eq!(
        policy_error(Client::with_policy(interface.clone(), &ClientPolicy::default().max_levels(levels - 1))),
        PolicyError::TooManyLevels { levels, max: levels - 1 }
    );
    let keys = interface.rotation_steps.len();
    assert_eq!(
        policy_error(Client::with_policy(interface.clone(), &ClientPolicy::default().max_rotation_keys(keys - 1))),
        PolicyError::TooManyRotationKeys { keys, max: keys - 1 }
    );
    assert!(matches!(
        policy_error(Client::with_policy(interface, &ClientPolicy::default().max_key_bytes(1 << 20))),
        PolicyError::KeysTooLarge { max: 1_048_576, .. }
    ));
    // The test deployment's insecure parameters pass only with the testing opt-in.
    let insecure = deployment().server.interface().clone();
    assert_eq!(policy_error(Client::new(insecure.clone())), PolicyError::InsecureParameters);
    Client::with_policy(insecure, &ClientPolicy::default().allow_insecure_for_testing_only()).unwrap();
}

/// An interface could ask for a key for every one of the 8191 rotations at `N = 2^14` (15.8 GiB
/// of keys): refused by count, and by bytes when the count limit is lifted.
#[test]
fn an_interface_asking_for_every_rotation_key_is_refused() {
    let mut interface = lenet_interface().clone();
    let slots = interface.slots;
    interface.rotation_steps = (1..slots).collect();
    interface.rotation_key_levels = vec![interface.params.max_level(); slots - 1];
    assert_eq!(
        policy_error(Client::new(interface.clone())),
        PolicyError::TooManyRotationKeys { keys: 8191, max: spencnn::inference::policy::DEFAULT_MAX_ROTATION_KEYS }
    );
    let error = policy_error(Client::with_policy(interface, &ClientPolicy::default().max_rotation_keys(10_000)));
    let PolicyError::KeysTooLarge { bytes, max } = error else { panic!("{error:?}") };
    assert_eq!(max, spencnn::inference::policy::DEFAULT_MAX_KEY_BYTES);
    assert!(bytes > 5 << 30, "{bytes} bytes of seeded keys");
    eprintln!("8191 rotation keys: {:.1} GiB seeded", bytes as f64 / (1u64 << 30) as f64);
}

#[test]
fn an_inconsistent_interface_is_refused() {
    let good = deployment().server.interface().clone();
    let policy = ClientPolicy::default().allow_insecure_for_testing_only();
    let refused = |edit: &dyn Fn(&mut ModelInterface)| -> &'static str {
        let mut interface = good.clone();
        edit(&mut interface);
        match policy_error(Client::with_policy(interface, &policy)) {
            PolicyError::InvalidInterface { field, .. } => field,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(refused(&|i| i.logits[0].slot = i.slots), "logits");
    assert_eq!(refused(&|i| i.logits[0].ct = i.outputs.len()), "logits");
    assert_eq!(refused(&|i| i.logits[1].scale = f64::NAN), "logits");
    assert_eq!(refused(&|i| i.logits[2].offset = f64::INFINITY), "logits");
    assert_eq!(refused(&|i| i.input_scale = 2f64.powi(400)), "input scale");
    assert_eq!(refused(&|i| i.input_scale = -1.0), "input scale");
    assert_eq!(refused(&|i| i.input_level = i.params.max_level() + 1), "input level");
    assert_eq!(refused(&|i| i.outputs[0].scale = f64::INFINITY), "output scale");
    assert_eq!(refused(&|i| i.outputs[0].level = 99), "output level");
    assert_eq!(refused(&|i| i.outputs.clear()), "outputs");
    assert_eq!(refused(&|i| i.rotation_key_levels.pop().map(drop).unwrap_or(())), "rotation key levels");
    assert_eq!(refused(&|i| i.rotation_steps.reverse()), "rotation steps");
    assert_eq!(refused(&|i| i.slots = 3), "slots");
}

/// Where the scale of the first answer ciphertext sits in an answer message: the envelope
/// header, the key fingerprint, the count, the frame length, the CKKS header, level u16,
/// size u8, slots u32.
const FIRST_SCALE_AT: usize = WIRE_HEADER_LEN + 8 + 4 + 8 + HEADER_LEN + 2 + 1 + 4;

fn with_scale(answer: &[u8], scale: f64) -> Vec<u8> {
    let mut bytes = answer.to_vec();
    bytes[FIRST_SCALE_AT..FIRST_SCALE_AT + 8].copy_from_slice(&scale.to_le_bytes());
    bytes
}

/// Doubling the scale of a returned ciphertext used to halve every logit silently, and a scale
/// of 5e-324 gave NaN: the client requires the announced scale bit for bit (and level, slots,
/// two polynomials).
#[test]
fn answers_at_another_scale_or_level_are_refused() {
    let d = deployment();
    let ctx = d.client.context();
    let bytes = d.answer.to_bytes(ctx).unwrap();
    let scale = d.answer.ciphertexts[0].scale();
    assert_eq!(f64::from_le_bytes(bytes[FIRST_SCALE_AT..FIRST_SCALE_AT + 8].try_into().unwrap()), scale);
    assert_eq!(d.client.decrypt(&d.client.receive_logits(&bytes).unwrap()).unwrap(), d.logits);
    for wrong in [2.0 * scale, 5e-324, scale * (1.0 + f64::EPSILON)] {
        let answer = d.client.receive_logits(&with_scale(&bytes, wrong)).unwrap();
        match d.client.decrypt(&answer) {
            Err(InferError::OutputMismatch { ciphertext: 0, field: "scale", expected, found }) => {
                assert_eq!((expected, found), (scale, wrong));
            }
            other => panic!("scale {wrong}: {other:?}"),
        }
    }
    // The answer is at level 0: a ciphertext at the input level stands for a wrong level.
    let spec = d.server.interface().outputs[0];
    assert!(d.image.ciphertexts[0].level() > spec.level);
    let higher = EncryptedLogits {
        key_fingerprint: d.answer.key_fingerprint,
        ciphertexts: vec![d.image.ciphertexts[0].clone()],
    };
    match d.client.decrypt(&higher) {
        Err(InferError::OutputMismatch { field: "level", expected, .. }) => assert_eq!(expected, spec.level as f64),
        other => panic!("{other:?}"),
    }
    let evaluator = spencnn_ckks::Evaluator::new(ctx);
    let unrelinearized = evaluator.multiply(&d.answer.ciphertexts[0], &d.answer.ciphertexts[0]).unwrap();
    assert_eq!(unrelinearized.size(), 3);
    let three = EncryptedLogits { key_fingerprint: d.answer.key_fingerprint, ciphertexts: vec![unrelinearized] };
    assert!(matches!(d.client.decrypt(&three), Err(InferError::OutputMismatch { field: "size", .. })));
}

/// Logits that decrypt to infinity (here: garbage under the right fingerprint, level and scale,
/// read through a huge logit scale) are an error, not a class.
#[test]
fn non_finite_logits_are_refused() {
    let d = deployment();
    let mut interface = d.server.interface().clone();
    for logit in &mut interface.logits {
        logit.scale = f64::MAX;
    }
    let mut client = Client::from_seed(interface.clone(), [22; 32]).unwrap();
    client.evaluation_keys().unwrap();
    let ctx = client.context().clone();
    let other = KeyGenerator::from_seed(&ctx, [23; 32]).secret_key();
    let mut encryptor = Encryptor::from_seed(&ctx, [24; 32]);
    let ciphertexts = interface
        .outputs
        .iter()
        .map(|spec| {
            let pt = Encoder::new(&ctx).encode_real(&[1e3; 4], interface.slots, spec.level, spec.scale).unwrap();
            encryptor.encrypt_symmetric(&pt, &other).unwrap()
        })
        .collect();
    let answer = EncryptedLogits { key_fingerprint: client.key_fingerprint().unwrap(), ciphertexts };
    match client.decrypt(&answer) {
        Err(InferError::NonFiniteOutput { value, .. }) => assert!(!value.is_finite()),
        other => panic!("{other:?}"),
    }
}

/// With the same parameters, another client's keys, image or answer used to be accepted and
/// give garbage: images and answers carry the key fingerprint and both sides compare it.
#[test]
fn messages_of_another_client_are_refused() {
    let d = deployment();
    let mut other = Client::from_seed(d.server.interface().clone(), [31; 32]).unwrap();
    let other_keys = other.evaluation_keys().unwrap();
    assert_ne!(other_keys.fingerprint(), d.client.key_fingerprint().unwrap());
    let image = other.encrypt(&common::image([1, 8, 8], 1)).unwrap();
    match d.server.infer(&image, |_| {}) {
        Err(InferError::KeyMismatch { message: "image", expected, found }) => {
            assert_eq!((expected, found), (d.client.key_fingerprint().unwrap(), other_keys.fingerprint()));
        }
        other => panic!("{other:?}"),
    }
    let bytes = image.to_bytes(other.context()).unwrap();
    assert!(matches!(d.server.receive_image(&bytes), Err(InferError::KeyMismatch { .. })));
    assert!(matches!(other.decrypt(&d.answer), Err(InferError::KeyMismatch { message: "answer", .. })));
    // A client that has made no keys yet accepts nothing.
    let fresh = Client::from_seed(d.server.interface().clone(), [32; 32]).unwrap();
    assert!(matches!(fresh.decrypt(&d.answer), Err(InferError::KeysNotMade)));
    // The server that takes the other client's keys refuses the first client's images.
    let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    let mut second = Server::new(schedule, params, EncodingPolicy::OnDemand).unwrap();
    second.set_keys(other_keys).unwrap();
    assert!(matches!(second.infer(&d.image, |_| {}), Err(InferError::KeyMismatch { .. })));
    let (answer, _) = second.infer(&image, |_| {}).unwrap();
    for (a, b) in other.decrypt(&answer).unwrap().iter().zip(&d.logits) {
        assert!((a - b).abs() < 1e-6, "the same image and weights under other keys: {a} vs {b}");
    }
}

/// Changing the logit map (or anything else) of the interface on its way to the client used
/// to change the answer silently: the keys carry the digest of the client's interface, and
/// the server refuses keys made for another one.
#[test]
fn keys_made_for_a_changed_interface_are_refused() {
    let d = deployment();
    let mut changed = d.server.interface().clone();
    changed.logits.swap(0, 1);
    let mut client = Client::from_seed(changed.clone(), [41; 32]).unwrap();
    assert_ne!(client.interface_digest(), d.server.interface().digest().unwrap());
    let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    let mut server = Server::new(schedule, params, EncodingPolicy::OnDemand).unwrap();
    let (keys, _) = client.write_evaluation_keys(Vec::new()).unwrap();
    match server.receive_keys(&keys[..]) {
        Err(InferError::InterfaceMismatch { expected, found }) => {
            assert_eq!((expected, found), (d.server.interface().digest().unwrap(), client.interface_digest()));
        }
        other => panic!("{other:?}"),
    }
    // The streamed keys and the in-memory keys have the same fingerprint.
    let mut same = Client::from_seed(changed, [41; 32]).unwrap();
    assert_eq!(same.evaluation_keys().unwrap().fingerprint(), client.key_fingerprint().unwrap());
}

/// Noise-flooded outputs: fresh noise per decryption, of the size the smudging bound sets.
#[test]
fn flooded_outputs_keep_their_precision_budget() {
    let d = deployment();
    let flood_bits = 16;
    let decoding = PublicDecoding { flooding: NoiseFlooding::Uniform { log2_bound: flood_bits }, precision_bits: None };
    let mut client = Client::from_seed(d.server.interface().clone(), [21; 32]).unwrap();
    client.evaluation_keys().unwrap();
    let client = client.with_output_flooding(decoding).unwrap();
    assert_eq!(client.output_flooding(), Some(decoding));
    let first = client.decrypt(&d.answer).unwrap();
    let second = client.decrypt(&d.answer).unwrap();
    assert_ne!(first, second, "fresh noise for every decryption");
    // Uniform noise in [-2^b, 2^b) per coefficient: about 2^b·sqrt(N/6)/Δ per real slot, times
    // each logit's scale.
    let spec = d.server.interface().outputs[0];
    let n = d.client.context().params().n() as f64;
    let slot_sigma = f64::from(flood_bits).exp2() * (n / 6.0).sqrt() / spec.scale;
    for (logits, run) in [(&first, "first"), (&second, "second")] {
        for ((value, exact), map) in logits.iter().zip(&d.logits).zip(&d.server.interface().logits) {
            let sigma = slot_sigma * map.scale.abs();
            assert!((value - exact).abs() <= 8.0 * sigma + 1e-6, "{run}: {value} vs {exact}, sigma {sigma}");
        }
    }
    let worst = first.iter().zip(&d.logits).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("flooding 2^{flood_bits}: worst logit error {worst:.3e} (slot sigma {slot_sigma:.3e})");
    assert!(matches!(
        client.with_output_flooding(PublicDecoding {
            flooding: NoiseFlooding::Uniform { log2_bound: 61 },
            precision_bits: None
        }),
        Err(InferError::Ckks(spencnn_ckks::CkksError::FloodingOutOfRange { .. }))
    ));
}

//! The four messages as bytes: a deployment that talks only in bytes gives the same logits as
//! the in-memory path; malformed, truncated, oversized and mutated messages give typed errors
//! and never panic; accepted bytes are canonical.

#[path = "../../ckks/tests/support/byte_mutation.rs"]
mod byte_mutation;
mod common;

use std::sync::OnceLock;

use byte_mutation::{apply, mutation};
use common::{LOG_N, small_cnn, test_options};
use proptest::prelude::*;
use spencnn::inference::wire::{MessageKind, WIRE_HEADER_LEN, WireError, evaluation_keys_len, peek_header};
use spencnn::inference::{
    Client, EncodingPolicy, EncryptedImage, EncryptedLogits, EvaluationKeys, InferError, ModelInterface, Server,
    plan_for_ckks,
};
use spencnn_ckks::{KeyStorage, SerializationError, SerializedForm};

const LIMIT: usize = 1 << 30;

fn server() -> Server {
    let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    Server::new(schedule, params, EncodingPolicy::Preencoded).unwrap()
}

/// One valid message of each kind, and the server and client that made them.
struct Messages {
    server: Server,
    client: Client,
    interface: Vec<u8>,
    keys: Vec<u8>,
    image: Vec<u8>,
    logits: Vec<u8>,
}

fn messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let mut server = server();
        let interface = server.interface().to_bytes().unwrap();
        let mut client = Client::from_seed(
            ModelInterface::from_bytes_insecure_for_testing_only(&interface, LIMIT).unwrap(),
            [7; 32],
        )
        .unwrap();
        let (keys, written) = client.write_evaluation_keys(Vec::new()).unwrap();
        assert_eq!(written as usize, keys.len());
        assert_eq!(server.receive_keys(&keys[..]).unwrap(), written);
        server.setup().unwrap();
        let image = client.encrypt(&common::image([1, 8, 8], 3)).unwrap().to_bytes(client.context()).unwrap();
        let (answer, _) = server.infer(&server.receive_image(&image).unwrap(), |_| {}).unwrap();
        let logits = answer.to_bytes(server.context()).unwrap();
        Messages { server, client, interface, keys, image, logits }
    })
}

#[test]
fn a_deployment_in_bytes_matches_the_in_memory_path() {
    let m = messages();
    // The in-memory path with a client from the same seed: same keys, same encryption.
    let mut server = server();
    let mut client = Client::from_seed(server.interface().clone(), [7; 32]).unwrap();
    server.set_keys(client.evaluation_keys().unwrap()).unwrap();
    server.setup().unwrap();
    let image = common::image([1, 8, 8], 3);
    let (answer, _) = server.infer(&client.encrypt(&image).unwrap(), |_| {}).unwrap();
    let in_memory = client.decrypt(&answer).unwrap();

    let received = m.client.receive_logits(&m.logits).unwrap();
    for (a, b) in answer.ciphertexts.iter().zip(&received.ciphertexts) {
        assert_eq!(a.polys(), b.polys(), "the same output ciphertexts");
    }
    let from_bytes = m.client.decrypt(&received).unwrap();
    assert_eq!(from_bytes, in_memory);
    assert_eq!(from_bytes.len(), 3);
    // The keys message is the exact seeded size of the interface's keys, about half the full form.
    let interface = m.server.interface();
    let levels: Vec<usize> = interface.rotation_keys().map(|(_, l)| l).collect();
    let params = &interface.params;
    let relin = interface.relinearization_key_level();
    assert_eq!(m.keys.len(), evaluation_keys_len(params, relin, &levels, SerializedForm::Seeded));
    // (Per key, the headers, level, element and seed take about 80 bytes in both forms.)
    assert!(
        m.keys.len() * 2 < evaluation_keys_len(params, relin, &levels, SerializedForm::Full) + 100 * (levels.len() + 1)
    );
    // The same keys written from memory give the same bytes.
    let in_memory_keys = Client::from_seed(interface.clone(), [7; 32]).unwrap().evaluation_keys().unwrap();
    assert_eq!(in_memory_keys.to_bytes(m.server.context()).unwrap(), m.keys);
    eprintln!(
        "sizes: interface {} B, keys {} B, image {} B, logits {} B",
        m.interface.len(),
        m.keys.len(),
        m.image.len(),
        m.logits.len()
    );
}

#[test]
fn compact_server_keys_give_the_same_logits() {
    let m = messages();
    let full = EvaluationKeys::from_bytes(m.server.context(), &m.keys, LIMIT).unwrap();
    // From the wire: the seeded keys are kept as they arrive.
    let mut from_wire = server();
    from_wire.set_key_storage(KeyStorage::Compact);
    assert_eq!(from_wire.key_storage(), KeyStorage::Compact);
    assert_eq!(from_wire.receive_keys(&m.keys[..]).unwrap() as usize, m.keys.len());
    // In memory: expanded keys converted on arrival.
    let mut in_memory = server();
    in_memory.set_key_storage(KeyStorage::Compact);
    in_memory.set_keys(full.clone()).unwrap();
    for server in [&mut from_wire, &mut in_memory] {
        server.setup().unwrap();
        let (answer, _) = server.infer(&server.receive_image(&m.image).unwrap(), |_| {}).unwrap();
        assert_eq!(answer.to_bytes(server.context()).unwrap(), m.logits, "bit-identical to expanded keys");
    }
    let (compact, read) =
        EvaluationKeys::read_from_with_storage(m.server.context(), &m.keys[..], LIMIT, KeyStorage::Compact).unwrap();
    assert_eq!(read as usize, m.keys.len());
    assert_eq!(compact.memory_bytes() * 2, full.memory_bytes());
    assert_eq!(compact.to_bytes(m.server.context()).unwrap(), m.keys);
}

#[test]
fn key_messages_do_not_depend_on_threads_and_report_progress() {
    let m = messages();
    let interface = m.server.interface().clone();
    let write = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut client = Client::from_seed(interface.clone(), [7; 32]).unwrap();
        let mut reports = Vec::new();
        let (bytes, _) =
            pool.install(|| client.write_evaluation_keys_with_progress(Vec::new(), |p| reports.push(p))).unwrap();
        (bytes, reports)
    };
    let (two, reports) = write(2);
    assert_eq!(two, m.keys, "the same message as one thread");
    let set = Client::from_seed(interface.clone(), [7; 32]).unwrap().galois_key_set().unwrap();
    assert_eq!(reports.len(), set.len());
    assert_eq!(reports.last().map(|p| (p.keys_done, p.keys_total)), Some((set.len(), set.len())));
    let estimate = Client::from_seed(interface, [7; 32]).unwrap().evaluation_keys_estimate(None, 2).unwrap();
    assert_eq!(estimate.keys, set.len());
    assert_eq!(reports.last().unwrap().limbs_done, estimate.work_limbs);
}

#[test]
fn the_lenet_interface_round_trips_under_secure_parameters() {
    let interface = common::secure_lenet_interface();
    let bytes = interface.to_bytes().unwrap();
    let loaded = ModelInterface::from_bytes(&bytes, 1 << 20).unwrap();
    assert_eq!(loaded.to_bytes().unwrap(), bytes);
    assert_eq!(loaded.input_layout, interface.input_layout);
    assert_eq!(loaded.logits, interface.logits);
    assert_eq!(loaded.outputs, interface.outputs);
    assert_eq!(loaded.rotation_keys().collect::<Vec<_>>(), interface.rotation_keys().collect::<Vec<_>>());
    // Deep steps have keys below the top level.
    assert!(loaded.rotation_key_levels.iter().any(|&l| l < loaded.params.max_level()));
}

fn patched(bytes: &[u8], offset: usize, field: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[offset..offset + field.len()].copy_from_slice(field);
    out
}

#[test]
fn malformed_messages_are_typed_errors() {
    let m = messages();
    let load_interface = |b: &[u8]| ModelInterface::from_bytes_insecure_for_testing_only(b, LIMIT);
    let ctx = m.server.context();
    // Insecure parameters are refused by the default loader.
    assert!(matches!(
        ModelInterface::from_bytes(&m.interface, LIMIT),
        Err(WireError::Ckks { source: SerializationError::InsecureParameters, .. })
    ));
    // Header: limit, magic, version, kind, fingerprint.
    assert!(matches!(load_interface(&m.interface[..10]), Err(WireError::UnexpectedEnd { .. })));
    assert!(matches!(
        ModelInterface::from_bytes_insecure_for_testing_only(&m.interface, 100),
        Err(WireError::InputTooLarge { .. })
    ));
    assert!(matches!(load_interface(&patched(&m.interface, 0, b"X")), Err(WireError::BadMagic { .. })));
    assert!(matches!(
        load_interface(&patched(&m.interface, 8, &9u16.to_le_bytes())),
        Err(WireError::UnsupportedVersion { found: 9, supported: 3 })
    ));
    assert!(matches!(
        load_interface(&patched(&m.interface, 10, &77u16.to_le_bytes())),
        Err(WireError::UnknownMessageKind { tag: 77 })
    ));
    assert!(matches!(
        load_interface(&m.keys),
        Err(WireError::WrongMessageKind { expected: MessageKind::ModelInterface, found: MessageKind::EvaluationKeys })
    ));
    assert!(matches!(load_interface(&patched(&m.interface, 12, &[0xee; 8])), Err(WireError::ParameterMismatch { .. })));
    assert!(matches!(
        EncryptedImage::from_bytes(ctx, &patched(&m.image, 12, &[0xee; 8]), LIMIT),
        Err(WireError::ParameterMismatch { .. })
    ));
    let mut trailing = m.logits.clone();
    trailing.push(0);
    assert!(matches!(EncryptedLogits::from_bytes(ctx, &trailing, LIMIT), Err(WireError::TrailingBytes { count: 1 })));
    assert_eq!(peek_header(&m.image).unwrap().kind, MessageKind::EncryptedImage);

    // Fields after the parameters frame: name length, then slots.
    let params_len = u64::from_le_bytes(m.interface[WIRE_HEADER_LEN..WIRE_HEADER_LEN + 8].try_into().unwrap());
    let name_at = WIRE_HEADER_LEN + 8 + params_len as usize;
    let slots_at = name_at + 2 + "small".len();
    for (slots, expected) in [(0u32, "slots"), (1 << 20, "slots")] {
        match load_interface(&patched(&m.interface, slots_at, &slots.to_le_bytes())) {
            Err(WireError::FieldOutOfRange { field, .. }) => assert_eq!(field, expected),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        load_interface(&patched(&m.interface, slots_at, &3u32.to_le_bytes())),
        Err(WireError::InvalidField { field: "slots", .. })
    ));
    assert!(matches!(
        load_interface(&patched(&m.interface, name_at, &u16::MAX.to_le_bytes())),
        Err(WireError::FieldOutOfRange { field: "model name length", .. })
    ));
    // Channels (first layout field) far too many; a non-power-of-two block.
    assert!(matches!(
        load_interface(&patched(&m.interface, slots_at + 4, &u32::MAX.to_le_bytes())),
        Err(WireError::FieldOutOfRange { field: "channels", .. })
    ));
    assert!(matches!(
        load_interface(&patched(&m.interface, slots_at + 16, &3u32.to_le_bytes())),
        Err(WireError::Layout(_))
    ));

    // The relinearization key: a presence flag (0 or 1), then its level (0 when absent).
    let end = m.interface.len();
    assert!(matches!(
        load_interface(&patched(&m.interface, end - 3, &[2])),
        Err(WireError::InvalidField { field: "relinearization key present", .. })
    ));
    assert!(matches!(
        load_interface(&patched(&m.interface, end - 3, &[0, 1, 0])),
        Err(WireError::FieldOutOfRange { field: "relinearization level", .. })
    ));

    // Keys (after the interface digest): a frame length beyond one key, a count beyond N − 1.
    let (keys, key_frame_at) = (&m.keys, WIRE_HEADER_LEN + 8 + 5);
    let ctx_keys = |b: &[u8]| EvaluationKeys::from_bytes(ctx, b, LIMIT);
    assert!(matches!(
        ctx_keys(&patched(keys, key_frame_at, &u64::MAX.to_le_bytes())),
        Err(WireError::FieldOutOfRange { field: "frame length", .. })
    ));
    assert!(matches!(
        ctx_keys(&patched(keys, WIRE_HEADER_LEN + 8 + 1, &u32::MAX.to_le_bytes())),
        Err(WireError::FieldOutOfRange { field: "Galois keys", .. })
    ));
    let mut truncated_stream = &keys[..keys.len() / 2];
    assert!(matches!(
        EvaluationKeys::read_from(ctx, &mut truncated_stream, LIMIT),
        Err(WireError::UnexpectedEnd { .. })
    ));
    assert!(matches!(EvaluationKeys::read_from(ctx, &keys[..], 1000), Err(WireError::InputTooLarge { .. })));
}

#[test]
fn the_server_checks_received_images() {
    let m = messages();
    let ctx = m.server.context();
    let image = EncryptedImage::from_bytes(ctx, &m.image, LIMIT).unwrap();
    let mut short = image.clone();
    short.ciphertexts.pop();
    let short = short.to_bytes(ctx).unwrap();
    assert!(matches!(m.server.receive_image(&short), Err(InferError::ImageCount { .. })));
    // The same number of ciphertexts one level lower: refused before evaluation.
    let evaluator = spencnn_ckks::Evaluator::new(ctx);
    let lower = EncryptedImage {
        key_fingerprint: image.key_fingerprint,
        ciphertexts: image.ciphertexts.iter().map(|ct| evaluator.drop_to_level(ct, ct.level() - 1).unwrap()).collect(),
    };
    assert!(matches!(
        m.server.infer(&lower, |_| {}),
        Err(InferError::ImageMismatch { ciphertext: 0, field: "level", .. })
    ));
    // Logits are too large for the client's limit when they claim more ciphertexts.
    let many =
        EncryptedLogits { key_fingerprint: image.key_fingerprint, ciphertexts: vec![image.ciphertexts[0].clone(); 40] }
            .to_bytes(ctx)
            .unwrap();
    assert!(matches!(m.client.receive_logits(&many), Err(InferError::Wire(WireError::InputTooLarge { .. }))));
}

#[test]
fn keys_below_the_needed_level_are_refused() {
    let mut server = server();
    let mut low = server.interface().clone();
    for level in &mut low.rotation_key_levels {
        *level = 1;
    }
    let mut keys = Client::from_seed(low, [3; 32]).unwrap().evaluation_keys().unwrap();
    // Made for another interface: refused as such.
    let digest = server.interface().digest().unwrap();
    assert!(matches!(
        server.set_keys(keys.clone()),
        Err(InferError::InterfaceMismatch { expected, found }) if expected == digest && found != digest
    ));
    // Claiming the server's interface: refused for the level of its keys.
    keys.interface_digest = digest;
    match server.set_keys(keys) {
        Err(InferError::Keys { reason }) => assert!(reason.contains("covers level 1"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// Edits concentrate on the envelope (the first 200 bytes) half of the time: the CKKS bodies
/// are fuzzed by `spencnn-ckks`'s own tests.
const ENVELOPE_WINDOW: usize = 200;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random edits of valid messages: never a panic; accepted bytes re-serialize to themselves.
    #[test]
    fn mutated_messages_never_panic(
        kind in 0usize..4,
        head in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let m = messages();
        let ctx = m.server.context();
        let mut bytes = [&m.interface, &m.keys, &m.image, &m.logits][kind].clone();
        for edit in &mutations {
            apply(&mut bytes, edit, if head { ENVELOPE_WINDOW } else { usize::MAX });
        }
        match kind {
            0 => if let Ok(i) = ModelInterface::from_bytes_insecure_for_testing_only(&bytes, LIMIT) {
                prop_assert_eq!(i.to_bytes().unwrap(), bytes);
            },
            1 => if let Ok(k) = EvaluationKeys::from_bytes(ctx, &bytes, LIMIT) {
                prop_assert_eq!(k.to_bytes(ctx).unwrap(), bytes);
            },
            2 => if let Ok(i) = EncryptedImage::from_bytes(ctx, &bytes, LIMIT) {
                prop_assert_eq!(i.to_bytes(ctx).unwrap(), bytes);
            },
            _ => if let Ok(l) = EncryptedLogits::from_bytes(ctx, &bytes, LIMIT) {
                prop_assert_eq!(l.to_bytes(ctx).unwrap(), bytes);
            },
        }
    }
}

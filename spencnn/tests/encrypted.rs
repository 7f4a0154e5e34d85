//! Encrypted inference end to end at reduced, insecure (test-only) parameters: a small CNN
//! through the client/server API, compared with the slot simulator and the f64 reference;
//! thread-count and encoding-policy invariance; the server's key and set-up checks.

mod common;

use spencnn::backend::{CkksBackend, run_simulated};
use spencnn::inference::{
    Agreement, Client, EncodingPolicy, EncryptedLogits, EvaluationKeys, InferError, ParamOptions, Server, plan_for_ckks,
};
use spencnn::model::randomize;
use spencnn::reference;

use common::{LOG_N, small_cnn, test_options};

/// A server with keys from a seeded client, and that client.
fn deployment(policy: EncodingPolicy) -> (Server, Client) {
    let (server, client, _) = deployment_with_keys(policy);
    (server, client)
}

/// [`deployment`], with a copy of the evaluation keys the server holds.
fn deployment_with_keys(policy: EncodingPolicy) -> (Server, Client, EvaluationKeys) {
    let (schedule, choice, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    assert!(choice.insecure && params.is_insecure());
    let mut server = Server::new(schedule, params, policy).unwrap();
    let mut client = Client::from_seed(server.interface().clone(), [7; 32]).unwrap();
    let keys = client.evaluation_keys().unwrap();
    server.set_keys(keys.clone()).unwrap();
    server.setup().unwrap();
    (server, client, keys)
}

#[test]
fn small_cnn_encrypted_matches_simulator_and_reference() {
    let (server, mut client) = deployment(EncodingPolicy::Preencoded);
    let model = small_cnn();
    for seed in [1, 2] {
        let image = common::image(model.input_shape, seed);
        let (answer, layers) = server.infer(&client.encrypt(&image).unwrap(), |_| {}).unwrap();
        assert_eq!(layers.iter().map(|l| l.counts.rotations).sum::<usize>(), server.schedule().totals().rotations);
        let logits = client.decrypt(&answer).unwrap();
        let simulated = run_simulated(server.schedule(), &image).unwrap().0;
        let expected = reference::forward(&model, &image).unwrap();
        let vs_sim = Agreement::of(&logits, &simulated);
        let vs_ref = Agreement::of(&logits, &expected);
        eprintln!("seed {seed}: {vs_sim:?}; logits {logits:?}");
        assert!(vs_sim.precision_bits >= 15.0, "vs simulator: {vs_sim:?}");
        assert!(vs_ref.precision_bits >= 15.0, "vs reference: {vs_ref:?}");
        assert!(vs_sim.same_class() && vs_ref.same_class());
    }
}

#[test]
fn results_do_not_depend_on_threads_or_encoding_policy() {
    let (server, mut client, keys) = deployment_with_keys(EncodingPolicy::Preencoded);
    let image = common::image([1, 8, 8], 3);
    let encrypted = client.encrypt(&image).unwrap();
    let run = |server: &Server, threads: usize| -> EncryptedLogits {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| server.infer(&encrypted, |_| {}).unwrap().0)
    };
    let one = run(&server, 1);
    let two = run(&server, 2);
    let three = run(&server, 3);
    let (lazy, _) = deployment(EncodingPolicy::PerLayer);
    let per_layer = run(&lazy, 2);
    let (lazier, _) = deployment(EncodingPolicy::OnDemand);
    let on_demand = run(&lazier, 2);
    // The sequential executor is the same interpreter on one thread, encoding per instruction.
    let backend = CkksBackend::new(server.context(), &keys.galois, keys.relin.as_ref());
    let sequential = EncryptedLogits {
        key_fingerprint: one.key_fingerprint,
        ciphertexts: spencnn::backend::execute(server.schedule(), &backend, encrypted.ciphertexts.clone()).unwrap(),
    };
    for other in [&two, &three, &per_layer, &on_demand, &sequential] {
        assert_eq!(one.ciphertexts.len(), other.ciphertexts.len());
        for (a, b) in one.ciphertexts.iter().zip(&other.ciphertexts) {
            assert_eq!(a.polys(), b.polys());
            assert_eq!(a.scale(), b.scale());
        }
    }
}

#[test]
fn the_server_checks_keys_and_set_up() {
    let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    let mut server = Server::new(schedule.clone(), params.clone(), EncodingPolicy::Preencoded).unwrap();
    let mut client = Client::from_seed(server.interface().clone(), [8; 32]).unwrap();
    let image = common::image([1, 8, 8], 4);
    // Images are bound to the client's keys: none before the keys are made.
    assert!(matches!(client.encrypt(&image), Err(InferError::KeysNotMade)));
    let mut keys = client.evaluation_keys().unwrap();
    let encrypted = client.encrypt(&image).unwrap();
    assert_eq!(encrypted.key_fingerprint, keys.fingerprint());
    assert!(matches!(server.infer(&encrypted, |_| {}), Err(InferError::Keys { .. })));
    assert!(matches!(server.setup(), Err(InferError::Keys { .. })));

    // Keys missing a rotation step are refused: made for a shorter interface, and even when
    // claiming the server's.
    let mut short_interface = server.interface().clone();
    short_interface.rotation_steps.pop();
    short_interface.rotation_key_levels.pop();
    let mut short_client = Client::from_seed(short_interface, [8; 32]).unwrap();
    let mut short = short_client.evaluation_keys().unwrap();
    assert!(matches!(server.set_keys(short.clone()), Err(InferError::InterfaceMismatch { .. })));
    short.interface_digest = keys.interface_digest;
    assert!(matches!(server.set_keys(short), Err(InferError::Keys { .. })));
    // Keys without the relinearization key are refused.
    let relin = keys.relin.take();
    assert!(matches!(server.set_keys(keys.clone()), Err(InferError::Keys { .. })));
    keys.relin = relin;
    server.set_keys(keys).unwrap();
    assert!(matches!(server.infer(&encrypted, |_| {}), Err(InferError::NotSetUp)));
    server.setup().unwrap();
    let (answer, _) = server.infer(&encrypted, |_| {}).unwrap();
    assert_eq!(client.decrypt(&answer).unwrap().len(), 3);
    let empty = EncryptedLogits { key_fingerprint: answer.key_fingerprint, ciphertexts: Vec::new() };
    assert!(matches!(client.decrypt(&empty), Err(InferError::OutputCount { expected: 1, found: 0 })));
    assert!(matches!(client.encrypt(&common::image([1, 9, 9], 1)), Err(InferError::Model(_))));

    // A schedule planned for another chain is refused.
    let mut config = spencnn::plan::PlanConfig::new(LOG_N);
    config.log_scale = 36;
    let uniform = spencnn::plan::plan(&small_cnn(), &config).unwrap();
    assert!(matches!(Server::new(uniform, params, EncodingPolicy::Preencoded), Err(InferError::ChainMismatch)));
}

#[test]
fn zoo_parameters_fit_the_128_bit_bound() {
    use spencnn::model::zoo::{Network, Variant};
    for network in [Network::LeNet, Network::Vgg5, Network::HefNet] {
        let mut model = network.build(Variant::SpEncnn);
        randomize(&mut model, 1);
        let log_n = network.default_log_n();
        let (schedule, choice, params) = plan_for_ckks(&model, log_n, &ParamOptions::default()).unwrap();
        assert!(!params.is_insecure());
        assert!(params.log_qp_bits() <= spencnn_ckks::params::max_log_qp_128(log_n).unwrap());
        assert_eq!(params.max_level(), schedule.depth(), "{network}: one prime per level above q_0");
        assert_eq!(schedule.chain.moduli.len(), params.q_primes().len());
        assert!(choice.log_scale >= ParamOptions::default().min_log_scale);
        eprintln!("{network}: {choice}");
    }
}

#[test]
fn a_prefix_runs_with_its_own_keys() {
    let (schedule, _, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    let cut = spencnn::inference::prefix::prefix(&schedule, 2);
    assert!(cut.instrs.iter().all(|i| i.layer < 2) && cut.logits.is_empty());
    assert!(cut.rotation_steps().len() < schedule.rotation_steps().len());
    let mut server = Server::new(cut, params, EncodingPolicy::Preencoded).unwrap();
    let mut client = Client::from_seed(server.interface().clone(), [9; 32]).unwrap();
    server.set_keys(client.evaluation_keys().unwrap()).unwrap();
    let setup = server.setup().unwrap();
    assert!(setup.plaintexts < schedule.plaintexts.len());
    let (answer, layers) = server.infer(&client.encrypt(&common::image([1, 8, 8], 5)).unwrap(), |_| {}).unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(answer.ciphertexts.len(), server.interface().outputs.len());
    assert!(!answer.ciphertexts.is_empty());
    assert!(client.decrypt(&answer).unwrap().is_empty());
}

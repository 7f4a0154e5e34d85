//! The robustness campaign behind the table of `docs/SECURITY.md`: hostile and careless inputs
//! per category, each sorted into one outcome, the counts printed as table rows
//! (`cargo test -p spencnn --test hostile_inputs -- --nocapture`). The test fails on any panic,
//! hang or silent wrong result.
//!
//! * **Bytes** (one row per loader, the eleven cargo-fuzz targets): the valid seeds, prefixes of
//!   each, random edits of the seeds (set, flip, insert, remove, truncate; half inside the
//!   first 200 bytes), random garbage and the seeds of the other targets. An input the loader
//!   refuses is a clean error; one it accepts then goes through the target's entry point, which
//!   checks that the message is canonical and usable by its receiver: a failure there is a
//!   silent wrong result (accepted, but not what it claims to be); a panic of the loader itself
//!   is a panic.
//! * **Encoding**: values (tiny to 10^12, non-finite) × scales × levels on a small context. An
//!   accepted encoding must decrypt to the value (within the precision of its scale).
//! * **Parameters**: prime chains × scales × secret distributions × the insecure opt-in. Built
//!   parameters must encode and decrypt 1.0, and the secure loader must refuse every set that
//!   is not certified.
//! * **Well-formed but wrong messages**: answers with tampered scales, images at other scales,
//!   another client's image and answer, keys for a changed interface, full-form key frames,
//!   interfaces below the client's policy. Accepting any is a silent wrong result.
//!
//! Each category runs on a worker thread; an input not judged within [`WATCHDOG`] is a hang.

#[path = "../../ckks/tests/support/byte_mutation.rs"]
#[allow(dead_code)]
mod byte_mutation;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use byte_mutation::{Mutation, apply};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use spencnn::inference::wire::WIRE_HEADER_LEN;
use spencnn::inference::wire::fuzzing::{self as wire, FUZZ_LOG_N, fixture as wire_fixture};
use spencnn::inference::{
    Client, ClientPolicy, EncodingPolicy, EncryptedImage, EvaluationKeys, ModelInterface, Server, plan_for_ckks,
};
use spencnn_ckks::serialization::HEADER_LEN;
use spencnn_ckks::serialization::fuzzing::{self as ckks, fixture as ckks_fixture};
use spencnn_ckks::{Context, Decryptor, Encoder, Encryptor, KeyGenerator, Parameters, SecretDistribution};

/// Longest time one input may take before it counts as a hang.
const WATCHDOG: Duration = Duration::from_secs(120);

/// How one input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Accepted, and it is what it claims to be.
    Accepted,
    /// Refused with a typed error.
    CleanError,
    Panic,
    SilentWrong,
}

/// Counts of one category.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    clean: usize,
    panics: usize,
    hangs: usize,
    wrong: usize,
    /// Descriptions of the inputs that were not accepted or cleanly refused.
    failures: Vec<String>,
}

impl Tally {
    fn inputs(&self) -> usize {
        self.accepted + self.clean + self.panics + self.hangs + self.wrong
    }
}

/// A category: a name and the judged inputs, sent one at a time (with a description for a
/// failure report).
type Judge = Box<dyn FnOnce(&mpsc::Sender<(Outcome, String)>) + Send>;

fn run_category(judge: Judge) -> Tally {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || judge(&tx));
    let mut tally = Tally::default();
    loop {
        match rx.recv_timeout(WATCHDOG) {
            Ok((outcome, what)) => match outcome {
                Outcome::Accepted => tally.accepted += 1,
                Outcome::CleanError => tally.clean += 1,
                Outcome::Panic => {
                    tally.panics += 1;
                    tally.failures.push(format!("panic: {what}"));
                }
                Outcome::SilentWrong => {
                    tally.wrong += 1;
                    tally.failures.push(format!("silent wrong: {what}"));
                }
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tally.hangs += 1;
                tally.failures.push("hang: an input was not judged in time".into());
                return tally;
            }
        }
    }
    worker.join().expect("the worker judges every input without panicking");
    tally
}

/// A loader and its entry point.
#[derive(Clone, Copy)]
struct ByteTarget {
    name: &'static str,
    loads: fn(&[u8]) -> bool,
    run: fn(&[u8]),
    seeds: fn() -> Vec<Vec<u8>>,
}

fn byte_targets() -> Vec<ByteTarget> {
    macro_rules! target {
        ($module:ident, $variant:ident) => {
            ByteTarget {
                name: $module::Target::$variant.name(),
                loads: |b| $module::Target::$variant.loads(b),
                run: |b| $module::Target::$variant.run(b),
                seeds: || $module::Target::$variant.seed_inputs(),
            }
        };
    }
    vec![
        target!(ckks, Parameters),
        target!(ckks, Plaintext),
        target!(ckks, Ciphertext),
        target!(ckks, SecretKey),
        target!(ckks, PublicKey),
        target!(ckks, RelinKey),
        target!(ckks, GaloisKeys),
        target!(wire, Interface),
        target!(wire, EvaluationKeys),
        target!(wire, Image),
        target!(wire, Logits),
    ]
}

fn judge_bytes(target: ByteTarget, bytes: &[u8]) -> Outcome {
    match catch_unwind(|| (target.loads)(bytes)) {
        Err(_) => Outcome::Panic,
        Ok(false) => Outcome::CleanError,
        Ok(true) => match catch_unwind(|| (target.run)(bytes)) {
            Ok(()) => Outcome::Accepted,
            Err(_) => Outcome::SilentWrong,
        },
    }
}

fn random_mutation(rng: &mut ChaCha20Rng) -> Mutation {
    let (i, b) = (rng.next_u64() as usize, rng.next_u32() as u8);
    match rng.next_u32() % 5 {
        0 => Mutation::Set(i, b),
        1 => Mutation::Flip(i, b % 8),
        2 => Mutation::Insert(i, b),
        3 => Mutation::Remove(i),
        _ => Mutation::Truncate(i),
    }
}

/// Seeds, 32 prefixes of each seed, 1000 edited seeds, 24 garbage strings, the other targets' seeds.
fn byte_inputs(target: ByteTarget, all: &[ByteTarget], index: usize) -> Vec<Vec<u8>> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5ec0 + index as u64);
    let seeds = (target.seeds)();
    let mut inputs = seeds.clone();
    for seed in &seeds {
        inputs.extend((0..32).map(|k| seed[..k * seed.len() / 32].to_vec()));
    }
    for k in 0..1000 {
        let mut bytes = seeds[k % seeds.len()].clone();
        for _ in 0..1 + rng.next_u32() % 4 {
            apply(&mut bytes, &random_mutation(&mut rng), if k % 2 == 0 { 200 } else { usize::MAX });
        }
        inputs.push(bytes);
    }
    for _ in 0..24 {
        let mut bytes = vec![0u8; (rng.next_u32() % 1024) as usize];
        rng.fill_bytes(&mut bytes);
        inputs.push(bytes);
    }
    for other in all.iter().filter(|o| o.name != target.name) {
        inputs.extend((other.seeds)());
    }
    inputs
}

/// Values × scales × levels on the CKKS fuzz context (`N = 16`, `Q = 40 + 30` bits).
fn judge_encodings(tx: &mpsc::Sender<(Outcome, String)>) {
    let f = ckks_fixture();
    let (ctx, encoder) = (&f.ctx, Encoder::new(&f.ctx));
    let slots = ctx.params().max_slots();
    let mut values: Vec<f64> = (-2..=12).flat_map(|k| [10f64.powi(k), -(10f64.powi(k))]).collect();
    values.extend([0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN_POSITIVE, 5e-324]);
    for &value in &values {
        for log_scale in [10, 20, 30, 40, 50, 60, 70] {
            for level in 0..=ctx.params().max_level() {
                let scale = 2f64.powi(log_scale);
                let what = format!("encode {value:e} at scale 2^{log_scale}, level {level}");
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let Ok(pt) = encoder.encode_real(&vec![value; slots], slots, level, scale) else {
                        return Outcome::CleanError;
                    };
                    let ct = Encryptor::from_seed(ctx, [3; 32]).encrypt_symmetric(&pt, &f.sk).expect("valid");
                    let decoded = encoder.decode_real(&Decryptor::new(ctx).decrypt(&ct, &f.sk).expect("valid"));
                    let tolerance = 2f64.powi(10 - log_scale) + 1e-9 * value.abs();
                    match decoded {
                        Ok(d) if d.iter().all(|x| (x - value).abs() <= tolerance) => Outcome::Accepted,
                        _ => Outcome::SilentWrong,
                    }
                }))
                .unwrap_or(Outcome::Panic);
                tx.send((outcome, what)).unwrap();
            }
        }
    }
}

/// Prime chains × scales × secrets × the insecure opt-in at `N = 2^12`.
fn judge_parameters(tx: &mpsc::Sender<(Outcome, String)>) {
    let secrets = [
        SecretDistribution::UniformTernary,
        SecretDistribution::FixedHammingWeight { weight: 1 },
        SecretDistribution::FixedHammingWeight { weight: 64 },
    ];
    for q_bits in [&[30u32, 30][..], &[40, 30], &[50, 40]] {
        for log_scale in [20.0, 28.0, 30.0, 40.0, 48.0, 55.0] {
            for secret in secrets {
                for insecure in [false, true] {
                    let what = format!("q {q_bits:?}, p [40], scale 2^{log_scale}, {secret:?}, insecure {insecure}");
                    let outcome = catch_unwind(AssertUnwindSafe(|| {
                        let mut builder =
                            Parameters::builder().log_n(12).q_bits(q_bits).p_bits(&[40]).log_scale(log_scale);
                        builder = builder.secret_distribution(secret);
                        if insecure {
                            builder = builder.insecure_for_testing_only();
                        }
                        let Ok(params) = builder.build() else { return Outcome::CleanError };
                        let sparse = secret != SecretDistribution::UniformTernary;
                        // A sparse secret without the opt-in, or a sparse set the secure loader
                        // takes, is a downgrade.
                        if sparse
                            && (!params.is_insecure() || Parameters::from_bytes(&params.to_bytes(), 1 << 16).is_ok())
                        {
                            return Outcome::SilentWrong;
                        }
                        let ctx = Context::new(params).expect("built parameters make a context");
                        let sk = KeyGenerator::from_seed(&ctx, [4; 32]).secret_key();
                        let encoder = Encoder::new(&ctx);
                        let pt = encoder.encode_real(&[1.0], 2, 0, ctx.params().default_scale()).expect("1.0 encodes");
                        let ct = Encryptor::from_seed(&ctx, [5; 32]).encrypt_symmetric(&pt, &sk).expect("valid");
                        let one = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&ct, &sk).expect("valid"));
                        match one {
                            Ok(v) if (v[0] - 1.0).abs() <= 2f64.powf(14.0 - log_scale) => Outcome::Accepted,
                            _ => Outcome::SilentWrong,
                        }
                    }))
                    .unwrap_or(Outcome::Panic);
                    tx.send((outcome, what)).unwrap();
                }
            }
        }
    }
}

/// Offset of the first ciphertext's scale in a logits message: envelope, key fingerprint,
/// count, frame length, then the ciphertext header, level (u16), size (u8), slots (u32).
const FIRST_SCALE_AT: usize = WIRE_HEADER_LEN + 8 + 4 + 8 + HEADER_LEN + 2 + 1 + 4;

/// `Ok(true)`: the receiver accepted what it must refuse.
type Attempt = Box<dyn FnOnce() -> bool>;

/// Well-formed messages with wrong contents, against the wire fixture's deployment.
fn judge_wrong_messages(tx: &mpsc::Sender<(Outcome, String)>) {
    let f = wire_fixture();
    let interface = f.client.interface().clone();
    let ctx = f.ctx.clone();
    let mut attempts: Vec<(String, Attempt)> = Vec::new();
    let answer_scale = f64::from_le_bytes(f.logits_bytes[FIRST_SCALE_AT..FIRST_SCALE_AT + 8].try_into().unwrap());
    assert_eq!(answer_scale, interface.outputs[0].scale, "the scale field is where the test writes");
    let s = answer_scale;
    let tampered_scales = [
        2.0 * s,
        0.5 * s,
        s * (1.0 + f64::EPSILON),
        s * (1.0 - 1e-9),
        5e-324,
        0.0,
        -s,
        f64::NAN,
        f64::INFINITY,
        f64::MAX,
    ];
    for wrong in tampered_scales {
        attempts.push((
            format!("answer at scale {wrong:e} instead of {s:e}"),
            Box::new(move || {
                let f = wire_fixture();
                let mut bytes = f.logits_bytes.clone();
                bytes[FIRST_SCALE_AT..FIRST_SCALE_AT + 8].copy_from_slice(&wrong.to_le_bytes());
                f.client.receive_logits(&bytes).is_ok_and(|answer| f.client.decrypt(&answer).is_ok())
            }),
        ));
    }
    for factor in [2.0, 0.5, 1.0 + 1e-12, 4.0, 1.0 - 1e-6] {
        let scale = interface.input_scale * factor;
        let interface = interface.clone();
        let ctx = ctx.clone();
        attempts.push((
            format!("image at {factor} times the input scale"),
            Box::new(move || {
                let f = wire_fixture();
                let sk = KeyGenerator::from_seed(&ctx, [9; 32]).secret_key();
                let Ok(pt) = Encoder::new(&ctx).encode_real(&[0.5], interface.slots, interface.input_level, scale)
                else {
                    return false;
                };
                let ct = Encryptor::from_seed(&ctx, [8; 32]).encrypt_symmetric(&pt, &sk).unwrap();
                let image = EncryptedImage {
                    key_fingerprint: f.image.key_fingerprint,
                    ciphertexts: vec![ct; f.image.ciphertexts.len()],
                };
                let bytes = image.to_bytes(&ctx).unwrap();
                f.server.receive_image(&bytes).is_ok_and(|image| f.server.infer(&image, |_| {}).is_ok())
            }),
        ));
    }
    for seed in 1..=3u8 {
        let interface = interface.clone();
        attempts.push((
            format!("image and answer of another client (seed {seed})"),
            Box::new(move || {
                let f = wire_fixture();
                let mut other = Client::from_seed(interface, [seed; 32]).unwrap();
                other.evaluation_keys().unwrap();
                let image = other.encrypt(&spencnn::Tensor3::random_unit([1, 2, 2], 7)).unwrap();
                let to_server = f.server.receive_image(&image.to_bytes(other.context()).unwrap());
                let answer = f.client.receive_logits(&f.logits_bytes).unwrap();
                to_server.is_ok() || other.decrypt(&answer).is_ok()
            }),
        ));
    }
    type Change = fn(&mut ModelInterface);
    let changes: [(&str, Change); 6] = [
        ("logit map swapped", |i| i.logits.swap(0, 1)),
        ("logit scale doubled", |i| i.logits[0].scale *= 2.0),
        ("output scale doubled", |i| i.outputs[0].scale *= 2.0),
        ("model renamed", |i| i.model.push('x')),
        ("a rotation key one level lower", |i| i.rotation_key_levels[0] = i.rotation_key_levels[0].saturating_sub(1)),
        ("a logit moved by one slot", |i| i.logits[0].slot += 1),
    ];
    for (name, change) in changes {
        let mut changed = interface.clone();
        change(&mut changed);
        attempts.push((
            format!("keys for an interface with the {name}"),
            Box::new(move || {
                let (schedule, _, params) =
                    plan_for_ckks(&wire::fuzz_model(), FUZZ_LOG_N, &wire::fuzz_options()).unwrap();
                let mut server = Server::new(schedule, params, EncodingPolicy::OnDemand).unwrap();
                let Ok(mut client) = Client::from_seed(changed, [6; 32]) else { return false };
                let (keys, _) = client.write_evaluation_keys(Vec::new()).unwrap();
                server.receive_keys(&keys[..]).is_ok()
            }),
        ));
    }
    attempts.push((
        "keys message with a full-form Galois frame".into(),
        Box::new(|| {
            let found = include_bytes!("../../fuzz/regressions/wire_keys/full-form-frame");
            EvaluationKeys::from_bytes(&wire_fixture().ctx, found, 1 << 16).is_ok()
        }),
    ));
    let policies: [(&str, ClientPolicy); 3] = [
        ("insecure parameters under the default policy", ClientPolicy::default()),
        (
            "more rotation keys than allowed",
            ClientPolicy::default().allow_insecure_for_testing_only().max_rotation_keys(1),
        ),
        ("more levels than allowed", ClientPolicy::default().allow_insecure_for_testing_only().max_levels(1)),
    ];
    for (name, policy) in policies {
        let interface = interface.clone();
        attempts.push((
            format!("interface with {name}"),
            Box::new(move || Client::with_policy(interface, &policy).is_ok()),
        ));
    }
    for (what, attempt) in attempts {
        let outcome = match catch_unwind(AssertUnwindSafe(attempt)) {
            Ok(false) => Outcome::CleanError,
            Ok(true) => Outcome::SilentWrong,
            Err(_) => Outcome::Panic,
        };
        tx.send((outcome, what)).unwrap();
    }
}

#[test]
fn hostile_inputs_end_in_clean_errors_or_valid_results() {
    // Panics are counted, not printed (each failure is listed at the end).
    std::panic::set_hook(Box::new(|_| {}));
    let targets = byte_targets();
    let mut rows: Vec<(String, Tally)> = Vec::new();
    for (index, &target) in targets.iter().enumerate() {
        let all = targets.clone();
        let tally = run_category(Box::new(move |tx| {
            for bytes in byte_inputs(target, &all, index) {
                let what = format!("{} bytes under {}", bytes.len(), target.name);
                tx.send((judge_bytes(target, &bytes), what)).unwrap();
            }
        }));
        rows.push((format!("bytes: `{}`", target.name), tally));
    }
    rows.push(("CKKS encoding: value × scale × level".into(), run_category(Box::new(judge_encodings))));
    rows.push(("CKKS parameters: primes × scale × secret".into(), run_category(Box::new(judge_parameters))));
    rows.push(("messages: well-formed, wrong contents".into(), run_category(Box::new(judge_wrong_messages))));
    let _ = std::panic::take_hook();

    println!("| category | inputs | accepted (valid) | clean errors | panics | hangs | silent wrong results |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, t) in &rows {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            t.inputs(),
            t.accepted,
            t.clean,
            t.panics,
            t.hangs,
            t.wrong
        );
    }
    let failures: Vec<&String> = rows.iter().flat_map(|(_, t)| &t.failures).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    for (name, t) in &rows {
        assert!(t.clean > 0, "{name}: every category has inputs that must be refused");
    }
}

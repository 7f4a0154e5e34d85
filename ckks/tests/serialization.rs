//! Serialization: round trips of every object in every form, and each rejection path of each
//! loader (the small objects come from the fuzz fixture, `N = 16`).

mod common;

use common::{Fixture, assert_precision, law_params, random_values, rotate_left};
use spencnn_ckks::serialization::fuzzing::{Target, fixture};
use spencnn_ckks::serialization::{FORMAT_VERSION, HEADER_LEN, ObjectKind, peek_header};
use spencnn_ckks::*;

const LIMIT: usize = 1 << 30;

/// Every loader, on the fuzz fixture's context; `Ok(())` when the bytes load.
fn load(target: Target, bytes: &[u8], max_bytes: usize) -> Result<(), SerializationError> {
    let ctx = &fixture().ctx;
    match target {
        Target::Parameters => Parameters::from_bytes_insecure_for_testing_only(bytes, max_bytes).map(drop),
        Target::Plaintext => Plaintext::from_bytes(ctx, bytes, max_bytes).map(drop),
        Target::Ciphertext => Ciphertext::from_bytes(ctx, bytes, max_bytes).map(drop),
        Target::SecretKey => SecretKey::from_bytes(ctx, bytes, max_bytes).map(drop),
        Target::PublicKey => PublicKey::from_bytes(ctx, bytes, max_bytes).map(drop),
        Target::RelinKey => RelinKey::from_bytes(ctx, bytes, max_bytes).map(drop),
        Target::GaloisKeys => GaloisKeys::from_bytes(ctx, bytes, max_bytes).map(drop),
    }
}

fn all_seed_inputs() -> Vec<(Target, Vec<u8>)> {
    Target::ALL.into_iter().flat_map(|t| t.seed_inputs().into_iter().map(move |b| (t, b))).collect()
}

#[test]
fn every_object_round_trips_and_still_works() {
    let mut f = Fixture::new(law_params());
    let ctx = f.ctx.clone();
    let slots = f.slots();
    let values = random_values(slots, 5);
    let pt = f.encoder.encode_complex(&values, slots, f.top(), f.scale()).unwrap();

    let params = Parameters::from_bytes_insecure_for_testing_only(&ctx.params().to_bytes(), LIMIT).unwrap();
    assert_eq!(&params, ctx.params());
    let secure = Preset::N8192Depth2.build().unwrap();
    assert_eq!(Parameters::from_bytes(&secure.to_bytes(), LIMIT).unwrap(), secure);

    let pt_bytes = pt.to_bytes(&ctx).unwrap();
    let pt2 = Plaintext::from_bytes(&ctx, &pt_bytes, LIMIT).unwrap();
    assert_eq!(pt2.to_bytes(&ctx).unwrap(), pt_bytes);
    assert_eq!((pt2.level(), pt2.scale(), pt2.slots()), (pt.level(), pt.scale(), pt.slots()));

    // Secret key, then public-key encryption with a loaded public key (both forms).
    let sk_bytes = f.sk.to_bytes(&ctx).unwrap();
    assert_eq!(sk_bytes.len(), HEADER_LEN + ctx.params().n() / 4);
    let sk = SecretKey::from_bytes(&ctx, &sk_bytes, LIMIT).unwrap();
    assert_eq!(sk.poly(), f.sk.poly());
    for bytes in [f.pk.to_bytes(&ctx).unwrap(), f.pk.to_seeded_bytes(&ctx).unwrap()] {
        let pk = PublicKey::from_bytes(&ctx, &bytes, LIMIT).unwrap();
        assert_eq!(pk.components(), f.pk.components());
        let ct = f.encryptor.encrypt(&pt, &pk).unwrap();
        let got = f.encoder.decode_complex(&f.decryptor.decrypt(&ct, &sk).unwrap()).unwrap();
        assert_precision("loaded public key", &values, &got, 26.0);
    }
    let full = f.pk.to_bytes(&ctx).unwrap().len();
    assert!(f.pk.to_seeded_bytes(&ctx).unwrap().len() * 2 < full + 100, "seeded form is half the size");

    // Ciphertexts: public-key (full only), secret-key (full and seeded), size 3.
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    assert_eq!(ct.to_seeded_bytes(&ctx), Err(SerializationError::NotSeeded));
    let symmetric = f.encryptor.encrypt_symmetric(&pt, &f.sk).unwrap();
    let size3 = f.evaluator.multiply(&ct, &ct).unwrap();
    for (original, bytes) in [
        (&ct, ct.to_bytes(&ctx).unwrap()),
        (&symmetric, symmetric.to_bytes(&ctx).unwrap()),
        (&symmetric, symmetric.to_seeded_bytes(&ctx).unwrap()),
        (&size3, size3.to_bytes(&ctx).unwrap()),
    ] {
        let loaded = Ciphertext::from_bytes(&ctx, &bytes, LIMIT).unwrap();
        assert_eq!(loaded.polys(), original.polys());
        assert_eq!(
            (loaded.scale(), loaded.slots(), loaded.size()),
            (original.scale(), original.slots(), original.size())
        );
    }
    let seeded = Ciphertext::from_bytes(&ctx, &symmetric.to_seeded_bytes(&ctx).unwrap(), LIMIT).unwrap();
    assert_eq!(seeded.seed(), symmetric.seed(), "a seeded ciphertext keeps its seed");
    assert_eq!(seeded.to_seeded_bytes(&ctx).unwrap(), symmetric.to_seeded_bytes(&ctx).unwrap());

    // Relinearization and Galois keys, both forms, used after loading.
    let galois = f.galois_keys(&[1, 5], Conjugation::Include);
    for (rlk_bytes, gk_bytes) in [
        (f.rlk.to_bytes(&ctx).unwrap(), galois.to_bytes(&ctx).unwrap()),
        (f.rlk.to_seeded_bytes(&ctx).unwrap(), galois.to_seeded_bytes(&ctx).unwrap()),
    ] {
        let rlk = RelinKey::from_bytes(&ctx, &rlk_bytes, LIMIT).unwrap();
        let gk = GaloisKeys::from_bytes(&ctx, &gk_bytes, LIMIT).unwrap();
        assert_eq!(gk.elements().collect::<Vec<_>>(), galois.elements().collect::<Vec<_>>());
        let a = f.evaluator.multiply_relin(&ct, &ct, &rlk).unwrap();
        let b = f.evaluator.multiply_relin(&ct, &ct, &f.rlk).unwrap();
        assert_eq!(a.polys(), b.polys(), "a loaded relinearization key is the same key");
        let rotated = f.evaluator.rotate(&ct, 5, &gk).unwrap();
        assert_eq!(rotated.polys(), f.evaluator.rotate(&ct, 5, &galois).unwrap().polys());
        assert_precision("rotation with loaded keys", &rotate_left(&values, 5), &f.decrypt(&rotated), 24.0);
    }
}

#[test]
fn secret_key_round_trips_with_fixed_hamming_weight() {
    let params = Parameters::builder()
        .log_n(5)
        .q_bits(&[40])
        .p_bits(&[40])
        .log_scale(30.0)
        .secret_distribution(SecretDistribution::FixedHammingWeight { weight: 7 })
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let ctx = Context::new(params).unwrap();
    let sk = KeyGenerator::from_seed(&ctx, [3; 32]).secret_key();
    let bytes = sk.to_bytes(&ctx).unwrap();
    assert_eq!(SecretKey::from_bytes(&ctx, &bytes, LIMIT).unwrap().poly(), sk.poly());
    // Turn one zero coefficient into a 1: weight 8.
    let mut heavier = bytes.to_vec();
    let (byte, shift) = (HEADER_LEN..heavier.len())
        .flat_map(|i| (0..4).map(move |k| (i, 2 * k)))
        .find(|&(i, s)| (heavier[i] >> s) & 3 == 0)
        .unwrap();
    heavier[byte] |= 1 << shift;
    assert_eq!(
        SecretKey::from_bytes(&ctx, &heavier, LIMIT).unwrap_err(),
        SerializationError::SecretHammingWeight { found: 8, expected: 7 }
    );
}

#[test]
fn every_prefix_of_every_small_object_is_rejected() {
    for (target, bytes) in all_seed_inputs() {
        load(target, &bytes, LIMIT).unwrap_or_else(|e| panic!("{target:?}: the valid input loads: {e}"));
        for len in 0..bytes.len() {
            match load(target, &bytes[..len], LIMIT) {
                Err(SerializationError::UnexpectedEnd { .. }) => {}
                other => panic!("{target:?} truncated to {len} of {} bytes: {other:?}", bytes.len()),
            }
        }
    }
}

#[test]
fn header_rejections_for_every_loader() {
    for (target, bytes) in all_seed_inputs() {
        let mut magic = bytes.clone();
        magic[0] ^= 0x20;
        assert!(matches!(load(target, &magic, LIMIT), Err(SerializationError::BadMagic { .. })), "{target:?}");

        let mut version = bytes.clone();
        version[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert_eq!(
            load(target, &version, LIMIT),
            Err(SerializationError::UnsupportedVersion { found: FORMAT_VERSION + 1, supported: FORMAT_VERSION })
        );

        let mut unknown = bytes.clone();
        unknown[10..12].copy_from_slice(&999u16.to_le_bytes());
        assert_eq!(load(target, &unknown, LIMIT), Err(SerializationError::UnknownObjectKind { tag: 999 }));

        // Every other known tag is the wrong kind for this loader (or, for the sibling form,
        // a different layout that fails later: never a panic, never success).
        let own = peek_header(&bytes).unwrap().kind;
        for kind in ObjectKind::ALL.into_iter().filter(|&k| k != own) {
            let mut other = bytes.clone();
            other[10..12].copy_from_slice(&(kind as u16).to_le_bytes());
            assert!(load(target, &other, LIMIT).is_err(), "{target:?} read as {kind:?}");
        }

        let mut fingerprint = bytes.clone();
        fingerprint[12] ^= 1;
        let expected_mismatch = match load(target, &fingerprint, LIMIT) {
            Err(SerializationError::ParameterMismatch { expected, found }) => expected ^ found == 1,
            Err(SerializationError::FingerprintMismatch { stored, computed }) => stored ^ computed == 1,
            _ => false,
        };
        assert!(expected_mismatch, "{target:?}: fingerprint mismatch detected");

        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(load(target, &trailing, LIMIT), Err(SerializationError::TrailingBytes { count: 1 }));

        assert_eq!(
            load(target, &bytes, bytes.len() - 1),
            Err(SerializationError::InputTooLarge { len: bytes.len(), max_bytes: bytes.len() - 1 })
        );
    }
}

/// Sets the last residue of an object whose last limb is of `prime` to all-ones bytes.
fn with_last_residue_out_of_range(bytes: &[u8], prime: u64) -> Vec<u8> {
    let width = (64 - prime.leading_zeros() as usize).div_ceil(8);
    let mut out = bytes.to_vec();
    let len = out.len();
    out[len - width..].fill(0xff);
    out
}

#[test]
fn residues_at_or_above_their_prime_are_rejected() {
    let f = fixture();
    let ring = f.ctx.ring();
    let last_p = ring.modulus(ring.q_count() + ring.p_count() - 1).value();
    for (target, bytes) in all_seed_inputs() {
        let level = usize::from(u16::from_le_bytes([bytes[20], bytes[21]]));
        let prime = match target {
            Target::Parameters | Target::SecretKey => continue,
            // The last Q prime of an object at level ℓ is q_ℓ.
            Target::Plaintext if bytes[22] == 0 => ring.modulus(level).value(),
            Target::Ciphertext => ring.modulus(level).value(),
            _ => last_p,
        };
        let bad = with_last_residue_out_of_range(&bytes, prime);
        match load(target, &bad, LIMIT) {
            Err(SerializationError::CoefficientOutOfRange { modulus, value, .. }) => {
                assert_eq!(modulus, prime);
                assert!(value >= prime);
            }
            other => panic!("{target:?}: {other:?}"),
        }
        // Exactly q is rejected too.
        let mut at_q = bytes.clone();
        let width = (64 - prime.leading_zeros() as usize).div_ceil(8);
        let len = at_q.len();
        at_q[len - width..].copy_from_slice(&prime.to_le_bytes()[..width]);
        assert!(matches!(load(target, &at_q, LIMIT), Err(SerializationError::CoefficientOutOfRange { .. })));
    }
    // The secret key: code 3 is undefined.
    let mut sk = f.sk.to_bytes(&f.ctx).unwrap().to_vec();
    sk[HEADER_LEN] |= 3;
    assert_eq!(
        SecretKey::from_bytes(&f.ctx, &sk, LIMIT).unwrap_err(),
        SerializationError::InvalidSecretCoefficients { count: 1 }
    );
}

#[test]
fn sizes_match_the_writers() {
    use spencnn_ckks::serialization::sizes;
    let f = fixture();
    let (ctx, params) = (&f.ctx, f.ctx.params());
    let top = params.max_level();
    assert_eq!(f.ciphertext.to_bytes(ctx).unwrap().len(), sizes::ciphertext(params, top, 2));
    assert_eq!(f.ciphertext.to_seeded_bytes(ctx).unwrap().len(), sizes::seeded_ciphertext(params, top));
    for form in [SerializedForm::Full, SerializedForm::Seeded] {
        let seeded = form == SerializedForm::Seeded;
        let rlk = KeyGenerator::from_seed(ctx, [9; 32]).relin_key_at_level(&f.sk, 0).unwrap();
        let bytes = if seeded { rlk.to_seeded_bytes(ctx) } else { rlk.to_bytes(ctx) };
        assert_eq!(bytes.unwrap().len(), sizes::relin_key(params, 0, form));
        let keys = KeyGenerator::from_seed(ctx, [9; 32]).galois_keys_at_levels(&f.sk, &[(1, 0), (2, top)]).unwrap();
        let bytes = if seeded { keys.to_seeded_bytes(ctx) } else { keys.to_bytes(ctx) };
        assert_eq!(bytes.unwrap().len(), sizes::galois_keys(params, [0, top], form));
    }
}

#[test]
fn keys_serialize_one_at_a_time() {
    let f = fixture();
    let ctx = &f.ctx;
    let mut one_by_one = GaloisKeys::empty(ctx);
    for element in f.galois.elements() {
        let bytes = f.galois.key_to_seeded_bytes(ctx, element).unwrap();
        let single = GaloisKeys::from_bytes(ctx, &bytes, LIMIT).unwrap();
        assert_eq!(single.elements().collect::<Vec<_>>(), vec![element]);
        one_by_one.merge(single).unwrap();
    }
    assert_eq!(one_by_one.to_bytes(ctx).unwrap(), f.galois.to_bytes(ctx).unwrap());
    assert_eq!(f.galois.key_to_seeded_bytes(ctx, 3).unwrap_err(), SerializationError::NoSuchKey { galois_element: 3 });
}

/// A sparse (weight 1) parameter set is refused by the secure loader as insecure, and with its
/// insecure flag cleared (as a hostile server could send it) by both loaders, because the
/// builder they rebuild it with refuses the uncertified secret before anything else.
#[test]
fn sparse_secret_parameters_are_refused_without_the_opt_in() {
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&[40, 30])
        .p_bits(&[40])
        .log_scale(30.0)
        .secret_distribution(SecretDistribution::FixedHammingWeight { weight: 1 })
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let bytes = params.to_bytes();
    assert!(matches!(Parameters::from_bytes(&bytes, LIMIT), Err(SerializationError::InsecureParameters)));
    assert_eq!(Parameters::from_bytes_insecure_for_testing_only(&bytes, LIMIT).unwrap(), params);
    // Body: log_n u8, secret kind u8, weight u32, then the insecure flag.
    let flag = HEADER_LEN + 6;
    assert_eq!((bytes[HEADER_LEN + 1], bytes[flag]), (1, 1));
    let mut cleared = bytes.clone();
    cleared[flag] = 0;
    for result in
        [Parameters::from_bytes(&cleared, LIMIT), Parameters::from_bytes_insecure_for_testing_only(&cleared, LIMIT)]
    {
        assert!(
            matches!(
                result,
                Err(SerializationError::InvalidParameters(CkksError::UncertifiedSecretDistribution {
                    secret: SecretDistribution::FixedHammingWeight { weight: 1 }
                }))
            ),
            "{result:?}"
        );
    }
}

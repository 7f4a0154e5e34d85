//! Encrypt → multiply → rotate → decrypt with the N = 8192 preset.
//!
//! `cargo run --release -p spencnn-ckks --example basic`

use spencnn_ckks::{Conjugation, Context, Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Preset};

fn main() -> Result<(), spencnn_ckks::CkksError> {
    let params = Preset::N8192Depth2.build()?;
    let (slots, level, scale) = (params.max_slots(), params.max_level(), params.default_scale());
    let ctx = Context::new(params)?;

    // Client: keys and encryption.
    let mut keygen = KeyGenerator::new(&ctx);
    let secret_key = keygen.secret_key();
    let public_key = keygen.public_key(&secret_key)?;
    let relin_key = keygen.relin_key(&secret_key)?;
    let galois_keys = keygen.galois_keys(&secret_key, &[1], Conjugation::Exclude)?;
    let encoder = Encoder::new(&ctx);
    let x: Vec<f64> = (0..slots).map(|i| i as f64 / slots as f64).collect();
    let y: Vec<f64> = (0..slots).map(|i| 1.0 - i as f64 / slots as f64).collect();
    let mut encryptor = Encryptor::new(&ctx);
    let ct_x = encryptor.encrypt(&encoder.encode_real(&x, slots, level, scale)?, &public_key)?;
    let ct_y = encryptor.encrypt(&encoder.encode_real(&y, slots, level, scale)?, &public_key)?;

    // Server: (x · y) rotated left by one slot.
    let evaluator = Evaluator::new(&ctx);
    let product = evaluator.rescale(&evaluator.multiply_relin(&ct_x, &ct_y, &relin_key)?)?;
    let rotated = evaluator.rotate(&product, 1, &galois_keys)?;

    // Client: decrypt and compare.
    let result = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&rotated, &secret_key)?)?;
    let max_error = (0..slots)
        .map(|i| {
            let j = (i + 1) % slots;
            (result[i] - x[j] * y[j]).abs()
        })
        .fold(0.0, f64::max);
    println!("slot 0 = {:.8} (expected {:.8}); max error {max_error:.2e} over {slots} slots", result[0], x[1] * y[1]);
    assert!(max_error < 1e-5);
    Ok(())
}

//! The rows of compact keys ([`KeyStorage::Compact`]: the uniform half of every switching key
//! kept as its seed and expanded during key switching) beside the same operations with the
//! expanded keys, and the split of one key switch into its inner product and the expansion.

use serde_json::{Map, Value, json};
use spencnn_ckks::rlwe::{Decomposition, KeyStorage, galois_element_for_step, key_switch_extended};
use spencnn_ckks::*;

use crate::timing::{TimingPolicy, median_micros};

/// The keys and operands the compact rows use (those of the expanded rows).
pub struct CompactInputs<'a> {
    pub ctx: &'a std::sync::Arc<Context>,
    pub eval: &'a Evaluator,
    /// A fresh ciphertext at the top level.
    pub ct: &'a Ciphertext,
    /// Its square before relinearization.
    pub unrelinearized: &'a Ciphertext,
    pub rlk: &'a RelinKey,
    /// Keys of the rotation steps `steps`.
    pub galois: &'a GaloisKeys,
    pub steps: &'a [i64],
}

/// Times the compact rows into `rows` and returns the memory of one Galois key held each way.
///
/// # Errors
/// When an operation fails (not expected) or a compact result differs from the expanded one.
pub fn time_compact_rows(
    inputs: &CompactInputs<'_>,
    policy: TimingPolicy,
    rows: &mut Map<String, Value>,
) -> Result<Value, Box<dyn std::error::Error>> {
    let CompactInputs { ctx, eval, ct, unrelinearized, rlk, galois, steps } = *inputs;
    let compact_galois = galois.clone().with_storage(ctx, KeyStorage::Compact)?;
    let compact_rlk = rlk.clone().with_storage(ctx, KeyStorage::Compact)?;
    let hoisted = eval.hoist(ct)?;
    // Bit-identical results first.
    if eval.rotate_hoisted(&hoisted, steps[0], galois)?.polys()
        != eval.rotate_hoisted(&hoisted, steps[0], &compact_galois)?.polys()
    {
        return Err("compact and expanded rotations differ".into());
    }
    let mut time = |name: &str, f: &mut dyn FnMut()| {
        rows.insert(name.to_owned(), json!(median_micros(policy, f)));
    };
    time("rotate_1_compact", &mut || drop(eval.rotate(ct, steps[0], &compact_galois).unwrap()));
    time("hoist_fast_rotation_each_compact", &mut || {
        drop(eval.rotate_hoisted(&hoisted, steps[steps.len() / 2], &compact_galois).unwrap())
    });
    time("rotate_8steps_hoisted_total_compact", &mut || {
        let h = eval.hoist(ct).unwrap();
        for &step in steps {
            drop(eval.rotate_hoisted(&h, step, &compact_galois).unwrap());
        }
    });
    time("relinearize_compact", &mut || drop(eval.relinearize(unrelinearized, &compact_rlk).unwrap()));
    // One key switch split: the inner product with the expanded key, the same with the
    // compact key (inner product + expansion), and the expansion of the key's uniform half
    // on its own.
    let decomposition = Decomposition::new(ctx, &ct.polys()[1])?;
    let element = galois_element_for_step(steps[0], ctx.params().n());
    let key = galois.get(element).ok_or("missing key")?.switching_key();
    let compact_key = compact_galois.get(element).ok_or("missing key")?.switching_key();
    time("key_switch_inner_product", &mut || drop(key_switch_extended(ctx, &decomposition, key).unwrap()));
    time("key_switch_inner_product_compact", &mut || {
        drop(key_switch_extended(ctx, &decomposition, compact_key).unwrap())
    });
    time("expand_uniform_half_1key", &mut || {
        for digit in 0..compact_key.b_parts().len() {
            drop(compact_key.uniform_part(ctx, digit));
        }
    });
    let one_key = |keys: &GaloisKeys| keys.get(element).map_or(0, |k| k.switching_key().memory_bytes());
    Ok(json!({
        "galois_key_1step_memory_bytes": one_key(galois),
        "galois_key_1step_compact_memory_bytes": one_key(&compact_galois),
    }))
}

//! Property tests of [`crate::Modulus`] against `u128` arithmetic.

use crate::{Modulus, select, subtract_if_at_least};
use proptest::prelude::*;

fn odd_modulus() -> impl Strategy<Value = u64> {
    (3u64..(1 << 62)).prop_map(|q| q | 1)
}

proptest! {
    #[test]
    fn branch_free_helpers_match_their_definitions(x in any::<u64>(), bound in any::<u64>(), c in any::<bool>()) {
        prop_assert_eq!(subtract_if_at_least(x, bound), if x >= bound { x - bound } else { x });
        prop_assert_eq!(subtract_if_at_least(bound, bound), 0);
        prop_assert_eq!(select(c, x, bound), if c { x } else { bound });
    }

    #[test]
    fn add_sub_neg_reduce_i64_match_wide_arithmetic(q in odd_modulus(), a in any::<u64>(), b in any::<u64>(), s in any::<i64>()) {
        let m = Modulus::new(q).unwrap();
        let (a, b) = (a % q, b % q);
        prop_assert_eq!(m.add(a, b), ((u128::from(a) + u128::from(b)) % u128::from(q)) as u64);
        prop_assert_eq!(m.sub(a, b), ((u128::from(a) + u128::from(q) - u128::from(b)) % u128::from(q)) as u64);
        prop_assert_eq!(m.neg(a), ((u128::from(q) - u128::from(a)) % u128::from(q)) as u64);
        prop_assert_eq!(m.reduce_i64(s), i128::from(s).rem_euclid(i128::from(q)) as u64);
    }

    #[test]
    fn reduce_u128_is_remainder(q in odd_modulus(), x in any::<u128>()) {
        let m = Modulus::new(q).unwrap();
        prop_assert_eq!(u128::from(m.reduce_u128(x)), x % u128::from(q));
    }

    #[test]
    fn mul_is_product_remainder(q in odd_modulus(), a in any::<u64>(), b in any::<u64>()) {
        let m = Modulus::new(q).unwrap();
        prop_assert_eq!(u128::from(m.mul(a, b)), u128::from(a) * u128::from(b) % u128::from(q));
    }

    #[test]
    fn shoup_lazy_range_and_value(q in odd_modulus(), a in any::<u64>(), w_raw in any::<u64>()) {
        let m = Modulus::new(q).unwrap();
        let w = w_raw % q;
        let lazy = m.mul_shoup_lazy(a, w, m.shoup(w));
        prop_assert!(lazy < 2 * q, "lazy Shoup output must lie in [0, 2q)");
        prop_assert_eq!(u128::from(lazy) % u128::from(q), u128::from(a) * u128::from(w) % u128::from(q));
        prop_assert_eq!(m.mul_shoup(a, w, m.shoup(w)), m.mul(a, w));
    }

    #[test]
    fn approximate_shoup_stays_below_4q(q in odd_modulus(), a in any::<u64>(), w_raw in any::<u64>(), edge in 0usize..6) {
        let m = Modulus::new(q).unwrap();
        // Edge multiplicands: the largest u64, the lazy bounds and their neighbours.
        let a = [a, u64::MAX, q.saturating_mul(8) - 1, 4 * q - 1, q - 1, 0][edge];
        for w in [w_raw % q, q - 1, 1, 0] {
            let r = m.mul_shoup_approx(a, w, m.shoup(w));
            prop_assert!(r < 4 * q, "approximate Shoup output must lie in [0, 4q)");
            prop_assert_eq!(u128::from(r) % u128::from(q), u128::from(a) * u128::from(w) % u128::from(q));
        }
    }

    #[test]
    fn add_sub_neg_laws(q in odd_modulus(), a_raw in any::<u64>(), b_raw in any::<u64>()) {
        let m = Modulus::new(q).unwrap();
        let (a, b) = (a_raw % q, b_raw % q);
        prop_assert_eq!(m.sub(m.add(a, b), b), a);
        prop_assert_eq!(m.add(a, m.neg(a)), 0);
        prop_assert_eq!(m.reduce_i64(-(a as i64 % (1 << 62))), m.neg(m.reduce(a % (1 << 62))));
    }
}

//! Twiddle tables and the public transform API.

#[cfg(target_arch = "x86_64")]
use super::avx2;
#[cfg(target_arch = "x86_64")]
use super::avx512::{self, InverseScaling};
#[cfg(target_arch = "x86_64")]
use super::avx512_ifma::Ifma52;
#[cfg(target_arch = "x86_64")]
use super::avx512_lanes::{ScalarConstant, Shoup64};
use super::scalar;
use crate::bit_reverse::bit_reverse;
use crate::error::NttError;
use crate::isa::Isa;
use crate::modulus::Modulus;
use crate::primes::{is_prime, minimal_primitive_root};

/// Smallest supported `log2(n)`.
pub const MIN_LOG_DEGREE: u32 = 4;
/// Largest supported `log2(n)`.
pub const MAX_LOG_DEGREE: u32 = 17;

/// A negacyclic NTT over `Z_q[X]/(X^n + 1)` for one degree `n` and one prime `q ≡ 1 (mod 2n)`.
///
/// **Ordering.** [`NttPlan::forward`] takes coefficients in natural order and returns the
/// evaluations in bit-reversed order: output index `i` holds `a(ψ^{2·bitrev(i)+1})`, where `ψ`
/// is [`NttPlan::psi`], the smallest primitive `2n`-th root of unity mod `q`.
/// [`NttPlan::inverse`] takes that order back to natural-order coefficients, including the
/// `1/n` scaling. Pointwise products of forward transforms are negacyclic products.
///
/// **Ranges.** The checked API takes and returns reduced values (`[0, q)`); the `_lazy`
/// variants document wider ranges so that callers can skip reductions.
///
/// ```
/// use spencnn_ntt::NttPlan;
/// let q = spencnn_ntt::primes::generate_ntt_primes(60, 1024, 1).unwrap()[0];
/// let plan = NttPlan::new(1024, q).unwrap();
/// let mut a: Vec<u64> = (0..1024).collect();
/// plan.forward(&mut a).unwrap();
/// plan.inverse(&mut a).unwrap();
/// assert_eq!(a, (0..1024).collect::<Vec<u64>>());
/// ```
#[derive(Debug, Clone)]
pub struct NttPlan {
    n: usize,
    modulus: Modulus,
    psi: u64,
    isa: Isa,
    /// Whether the AVX-512 kernels use IFMA multiplies (CPU support; the family then depends
    /// on `q`, see [`NttPlan::uses_ifma`]).
    ifma: bool,
    twiddles: Twiddles,
    inv_twiddles: Twiddles,
    n_inv: (u64, u64),
    last_inv_twiddle: (u64, u64),
    /// 104-bit Shoup companions (as 52-bit halves) of `n_inv.0` and `last_inv_twiddle.0`
    /// (IFMA plans only).
    inv_scaling_shoup104: ((u64, u64), (u64, u64)),
}

/// A twiddle table with its Shoup companions, in the layout every kernel shares:
/// `value[m + i]` is the twiddle of group `i` of the stage with `m` groups.
#[derive(Debug, Clone)]
pub(super) struct Twiddles {
    /// The twiddles `w`.
    pub(super) value: Vec<u64>,
    /// `floor(w·2^64/q)`; empty on IFMA plans until [`NttPlan::without_ifma`] fills it.
    pub(super) shoup: Vec<u64>,
    /// `floor(w·2^64/q) >> 32`, ready for 32×32-bit multipliers; filled with `shoup`.
    pub(super) shoup_hi: Vec<u64>,
    /// `floor(w·2^52/q)` for the IFMA kernels; empty unless the plan uses them.
    pub(super) shoup52: Vec<u64>,
    /// `floor(w·2^104/q) mod 2^52`, the low half of the 104-bit companion whose high half is
    /// `shoup52`, for the IFMA-quotient 64-bit kernels (`q >= 2^50`); empty otherwise.
    pub(super) shoup52_low: Vec<u64>,
}

impl Twiddles {
    /// The companions the plan's kernels read: the 64-bit Shoup ones, or for IFMA plans only
    /// the 52/104-bit ones (so an IFMA plan holds no more tables than a plain one).
    fn new(value: Vec<u64>, modulus: &Modulus, ifma: bool) -> Self {
        let mut table =
            Self { value, shoup: Vec::new(), shoup_hi: Vec::new(), shoup52: Vec::new(), shoup52_low: Vec::new() };
        if ifma {
            let companions: Vec<(u64, u64)> = table.value.iter().map(|&w| shoup104(w, modulus)).collect();
            table.shoup52 = companions.iter().map(|c| c.0).collect();
            // The 52-bit kernels (`q < 2^50`) read only the high halves.
            if modulus.value() >= IFMA52_LIMIT {
                table.shoup52_low = companions.iter().map(|c| c.1).collect();
            }
        } else {
            table.fill_shoup64(modulus);
        }
        table
    }

    /// Fills the 64-bit Shoup companions if they are missing.
    fn fill_shoup64(&mut self, modulus: &Modulus) {
        if self.shoup.len() != self.value.len() {
            self.shoup = self.value.iter().map(|&w| modulus.shoup(w)).collect();
            self.shoup_hi = self.shoup.iter().map(|&s| s >> 32).collect();
        }
    }
}

/// The 104-bit Shoup companion `floor(w·2^104/q)` of `w < q < 2^62` as 52-bit halves
/// `(floor(w·2^52/q), rest)`; the high half alone is the 52-bit companion of the `q < 2^50`
/// IFMA kernels.
pub(super) fn shoup104(w: u64, modulus: &Modulus) -> (u64, u64) {
    let q = u128::from(modulus.value());
    let scaled = u128::from(w) << 52;
    let (high, remainder) = (scaled / q, scaled % q);
    (high as u64, ((remainder << 52) / q) as u64)
}

/// Moduli below this bound use the 52-bit IFMA butterflies on IFMA plans; the others use the
/// 64-bit ones with an IFMA quotient.
pub(super) const IFMA52_LIMIT: u64 = 1 << 50;

/// Whether a plan on `isa` uses IFMA multiplies (any supported modulus).
fn ifma_applies(isa: Isa) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        isa == Isa::Avx512 && std::arch::is_x86_feature_detected!("avx512ifma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = isa;
        false
    }
}

/// Moduli below this bound use the wider-range ("fast") SIMD butterflies, which need `8q < 2^64`.
const FAST_RANGE_LIMIT: u64 = 1 << 61;

impl NttPlan {
    /// Builds the plan for degree `n` (a power of two in `2^4..=2^17`) and prime `q ≡ 1 mod 2n`
    /// below `2^62`, using the widest instruction set of this CPU.
    ///
    /// # Errors
    /// [`NttError::DegreeNotPowerOfTwo`], [`NttError::DegreeOutOfRange`], [`NttError::EvenModulus`],
    /// [`NttError::ModulusOutOfRange`], [`NttError::ModulusNotPrime`], [`NttError::ModulusNotNttFriendly`].
    pub fn new(n: usize, q: u64) -> Result<Self, NttError> {
        Self::with_isa(n, q, Isa::detect())
    }

    /// Like [`NttPlan::new`] with a chosen instruction set (for tests and benchmarks).
    ///
    /// # Errors
    /// As [`NttPlan::new`], plus [`NttError::IsaUnavailable`].
    pub fn with_isa(n: usize, q: u64, isa: Isa) -> Result<Self, NttError> {
        if !n.is_power_of_two() {
            return Err(NttError::DegreeNotPowerOfTwo { n });
        }
        let (min, max) = (1usize << MIN_LOG_DEGREE, 1usize << MAX_LOG_DEGREE);
        if !(min..=max).contains(&n) {
            return Err(NttError::DegreeOutOfRange { n, min, max });
        }
        let modulus = Modulus::new(q)?;
        if !is_prime(q) {
            return Err(NttError::ModulusNotPrime { q });
        }
        let isa = isa.require()?;
        let psi = minimal_primitive_root(n, q)?;
        let psi_inv = modulus.inv(psi).ok_or(NttError::ModulusNotPrime { q })?;
        let log_n = n.trailing_zeros();

        let mut twiddles = vec![0u64; n];
        let mut inv_twiddles = vec![0u64; n];
        let (mut power, mut inv_power) = (1u64, 1u64);
        for i in 0..n {
            let slot = bit_reverse(i, log_n);
            twiddles[slot] = power;
            inv_twiddles[slot] = inv_power;
            power = modulus.mul(power, psi);
            inv_power = modulus.mul(inv_power, psi_inv);
        }
        let n_inv = modulus.inv(n as u64).ok_or(NttError::ModulusNotPrime { q })?;
        let last = modulus.mul(inv_twiddles[1], n_inv);
        let ifma = ifma_applies(isa);
        Ok(Self {
            n,
            modulus,
            psi,
            isa,
            ifma,
            twiddles: Twiddles::new(twiddles, &modulus, ifma),
            inv_twiddles: Twiddles::new(inv_twiddles, &modulus, ifma),
            n_inv: (n_inv, modulus.shoup(n_inv)),
            last_inv_twiddle: (last, modulus.shoup(last)),
            inv_scaling_shoup104: if ifma {
                (shoup104(n_inv, &modulus), shoup104(last, &modulus))
            } else {
                ((0, 0), (0, 0))
            },
        })
    }

    /// The ring degree `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The modulus `q` with its constants.
    pub fn modulus(&self) -> &Modulus {
        &self.modulus
    }

    /// The primitive `2n`-th root of unity `ψ` that defines the evaluation points.
    pub fn psi(&self) -> u64 {
        self.psi
    }

    /// The instruction set the plan's kernels use.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Whether the AVX-512 kernels use IFMA multiplies (chosen when the CPU has AVX-512 IFMA):
    /// 52-bit butterflies for `q < 2^50`, the Shoup quotient of the 64-bit butterflies above.
    pub fn uses_ifma(&self) -> bool {
        self.ifma
    }

    /// The same plan with the IFMA kernels switched off (the 64-bit AVX-512 kernels with the
    /// three-`vpmuludq` quotient then run for every modulus), for tests and benchmarks that
    /// compare the two. Computes the 64-bit Shoup tables an IFMA plan does not keep.
    pub fn without_ifma(mut self) -> Self {
        self.twiddles.fill_shoup64(&self.modulus);
        self.inv_twiddles.fill_shoup64(&self.modulus);
        self.ifma = false;
        self
    }

    fn check_len(&self, values: &[u64]) -> Result<(), NttError> {
        if values.len() == self.n {
            Ok(())
        } else {
            Err(NttError::LengthMismatch { expected: self.n, actual: values.len() })
        }
    }

    /// Forward transform in place. Input in `[0, q)` (any value below `4q` is accepted),
    /// output in `[0, q)`, bit-reversed order.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when `values.len() != n`.
    pub fn forward(&self, values: &mut [u64]) -> Result<(), NttError> {
        self.check_len(values)?;
        self.forward_unchecked::<true>(values);
        Ok(())
    }

    /// Forward transform in place without the final reduction.
    /// Input in `[0, 4q)`, output in `[0, 4q)`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when `values.len() != n`.
    pub fn forward_lazy(&self, values: &mut [u64]) -> Result<(), NttError> {
        self.check_len(values)?;
        self.forward_unchecked::<false>(values);
        Ok(())
    }

    /// Inverse transform in place, including the `1/n` scaling. Input in `[0, q)` (any value
    /// below `2q` is accepted), bit-reversed order; output in `[0, q)`, natural order.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when `values.len() != n`.
    pub fn inverse(&self, values: &mut [u64]) -> Result<(), NttError> {
        self.check_len(values)?;
        self.inverse_unchecked::<true>(values);
        Ok(())
    }

    /// Inverse transform in place without the final reduction.
    /// Input in `[0, 2q)`, output in `[0, 2q)`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when `values.len() != n`.
    pub fn inverse_lazy(&self, values: &mut [u64]) -> Result<(), NttError> {
        self.check_len(values)?;
        self.inverse_unchecked::<false>(values);
        Ok(())
    }

    /// Forward transform of a slice whose length was checked; `STRICT` selects `[0, q)` output.
    fn forward_unchecked<const STRICT: bool>(&self, values: &mut [u64]) {
        debug_assert_eq!(values.len(), self.n);
        let q = self.modulus.value();
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` verified AVX-512 is available; the length is n (a power of two
            // >= 16), and the tables have n entries.
            Isa::Avx512 => unsafe {
                let table = &self.twiddles;
                match (self.ifma, q) {
                    (true, q) if q < IFMA52_LIMIT => avx512::ifma::forward::<_, STRICT>(values, table, Ifma52::new(q)),
                    (true, q) if q < FAST_RANGE_LIMIT => {
                        avx512::ifma::forward::<_, STRICT>(values, table, Shoup64::<true, true>::new(q))
                    }
                    (true, _) => avx512::ifma::forward::<_, STRICT>(values, table, Shoup64::<false, true>::new(q)),
                    (false, q) if q < FAST_RANGE_LIMIT => {
                        avx512::plain::forward::<_, STRICT>(values, table, Shoup64::<true, false>::new(q))
                    }
                    (false, _) => avx512::plain::forward::<_, STRICT>(values, table, Shoup64::<false, false>::new(q)),
                }
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` verified AVX2 is available; length n >= 16 and n-entry tables.
            Isa::Avx2 => unsafe { avx2::forward::<STRICT>(values, &self.twiddles, q) },
            _ => {
                scalar::forward_lazy(values, &self.modulus, &self.twiddles.value, &self.twiddles.shoup);
                if STRICT {
                    scalar::reduce_from_4q(values, &self.modulus);
                }
            }
        }
    }

    /// Inverse transform of a slice whose length was checked; `STRICT` selects `[0, q)` output.
    fn inverse_unchecked<const STRICT: bool>(&self, values: &mut [u64]) {
        debug_assert_eq!(values.len(), self.n);
        let q = self.modulus.value();
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `forward_unchecked`; IFMA plans were checked for IFMA support.
            Isa::Avx512 => unsafe {
                let constant = |(value, shoup): (u64, u64), (shoup52, shoup52_low)| ScalarConstant {
                    value,
                    shoup,
                    shoup52,
                    shoup52_low,
                };
                let scaling = InverseScaling {
                    n_inv: constant(self.n_inv, self.inv_scaling_shoup104.0),
                    last_twiddle: constant(self.last_inv_twiddle, self.inv_scaling_shoup104.1),
                };
                let table = &self.inv_twiddles;
                match (self.ifma, q) {
                    (true, q) if q < IFMA52_LIMIT => {
                        avx512::ifma::inverse::<_, STRICT>(values, table, scaling, Ifma52::new(q))
                    }
                    (true, q) if q < FAST_RANGE_LIMIT => {
                        avx512::ifma::inverse::<_, STRICT>(values, table, scaling, Shoup64::<true, true>::new(q))
                    }
                    (true, _) => {
                        avx512::ifma::inverse::<_, STRICT>(values, table, scaling, Shoup64::<false, true>::new(q))
                    }
                    (false, q) if q < FAST_RANGE_LIMIT => {
                        avx512::plain::inverse::<_, STRICT>(values, table, scaling, Shoup64::<true, false>::new(q))
                    }
                    (false, _) => {
                        avx512::plain::inverse::<_, STRICT>(values, table, scaling, Shoup64::<false, false>::new(q))
                    }
                }
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` verified AVX2 is available; length n >= 16 and n-entry tables.
            Isa::Avx2 => unsafe {
                avx2::inverse::<STRICT>(values, &self.inv_twiddles, self.n_inv, self.last_inv_twiddle, q)
            },
            _ => {
                scalar::inverse_lazy(
                    values,
                    &self.modulus,
                    &self.inv_twiddles.value,
                    &self.inv_twiddles.shoup,
                    self.n_inv,
                    self.last_inv_twiddle,
                );
                if STRICT {
                    scalar::reduce_from_4q(values, &self.modulus);
                }
            }
        }
    }
}

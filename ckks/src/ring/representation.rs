//! Type-level representation of RNS polynomials: coefficient form or NTT (evaluation) form.

mod sealed {
    pub trait Sealed {}
}

/// A polynomial representation; only [`Coefficient`] and [`Ntt`] implement it.
pub trait Representation: sealed::Sealed + Copy + Default + std::fmt::Debug + Send + Sync + 'static {
    /// Name used in debug output.
    const NAME: &'static str;
}

/// Coefficient form: limb `i` holds the coefficients modulo prime `i`, natural order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coefficient;

/// NTT form: limb `i` holds the evaluations modulo prime `i` in the bit-reversed order of
/// `spencnn_ntt::NttPlan::forward`. Products are element-wise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ntt;

impl sealed::Sealed for Coefficient {}
impl sealed::Sealed for Ntt {}
impl Representation for Coefficient {
    const NAME: &'static str = "coefficient";
}
impl Representation for Ntt {
    const NAME: &'static str = "ntt";
}

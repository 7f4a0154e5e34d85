//! Lowering of a ReLU approximation: normalise by the radius, one polynomial per ciphertext.

use std::sync::Arc;

use super::PlanError;
use super::planner::{PlanValue, Planner};
use crate::model::{ReluApprox, composite_products};

impl Planner<'_> {
    /// `ReLU(x) ≈ R·p(x/R)`: the factor `1/R` is folded into the stages that produced `x`
    /// (through a per-channel rescaling stage when the value is not open), the ciphertexts
    /// hold `x/R ∈ [-1, 1]`, each goes through [`super::Op::Polynomial`], and `R` becomes the
    /// pending scale of the result (folded into the next linear stage). Slots that were zero
    /// stay zero (`p(0) = 0`).
    pub(crate) fn lower_relu(&mut self, n: usize, relu: &ReluApprox) -> Result<PlanValue, PlanError> {
        let input = self.model.nodes[n].input;
        let mut v = if self.is_open(input) {
            self.value(input).clone()
        } else {
            let layout = self.value(input).layout.clone();
            self.rescale_channels(n, input, None, layout, None)?
        };
        let levels = relu.depth();
        if v.level < levels {
            return Err(PlanError::ReluTooDeep { node: self.name(n), needed: levels, level: v.level });
        }
        let inverse = 1.0 / relu.radius;
        for &s in &v.open {
            let stage = &mut self.stages[s];
            stage.out_scale.iter_mut().for_each(|x| *x *= inverse);
            stage.out_shift.iter_mut().for_each(|x| *x *= inverse);
        }
        let poly = Arc::new(relu.unit_polynomial().clone());
        let products = composite_products(&poly);
        let level = v.level;
        v.cts = v.cts.iter().map(|&ct| self.b.polynomial(level, ct, Arc::clone(&poly), levels, products)).collect();
        v.level -= levels;
        v.open.clear();
        v.pending_scale = vec![relu.radius; v.layout.channels];
        v.pending_offset = vec![0.0; v.layout.channels];
        Ok(v)
    }
}

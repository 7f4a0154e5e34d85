//! Appends instructions and plaintexts while the planner walks the model.

use super::ir::{Instr, Op, PlainId, PlainSpec, ValueId};

/// The growing program.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProgramBuilder {
    pub instrs: Vec<Instr>,
    pub plaintexts: Vec<PlainSpec>,
    pub next_value: u32,
    /// Layer the next instructions belong to.
    pub layer: usize,
}

impl ProgramBuilder {
    /// A builder whose fresh values start after `first_value`.
    pub fn starting_at(first_value: u32, layer: usize) -> Self {
        Self { next_value: first_value, layer, ..Self::default() }
    }

    pub fn value(&mut self) -> ValueId {
        let v = ValueId(self.next_value);
        self.next_value += 1;
        v
    }

    pub fn emit(&mut self, level: usize, op: Op) {
        self.instrs.push(Instr { layer: self.layer, level, op });
    }

    pub fn plain(&mut self, spec: PlainSpec) -> PlainId {
        self.plaintexts.push(spec);
        PlainId(self.plaintexts.len() as u32 - 1)
    }

    pub fn rescale(&mut self, level: usize, src: ValueId) -> ValueId {
        let dst = self.value();
        self.emit(level, Op::Rescale { dst, src });
        dst
    }

    pub fn square(&mut self, level: usize, src: ValueId) -> ValueId {
        let dst = self.value();
        self.emit(level, Op::Square { dst, src });
        dst
    }

    pub fn polynomial(
        &mut self,
        level: usize,
        src: ValueId,
        poly: std::sync::Arc<spencnn_ckks::circuits::polynomial::CompositePolynomial>,
        levels: usize,
        products: usize,
    ) -> ValueId {
        let dst = self.value();
        self.emit(level, Op::Polynomial { dst, src, poly, levels, products });
        dst
    }

    pub fn add(&mut self, level: usize, lhs: ValueId, rhs: ValueId) -> ValueId {
        let dst = self.value();
        self.emit(level, Op::Add { dst, lhs, rhs });
        dst
    }

    /// Sums values with a chain of additions (`values` must be non-empty).
    pub fn sum(&mut self, level: usize, values: &[ValueId]) -> ValueId {
        let mut acc = values[0];
        for &v in &values[1..] {
            acc = self.add(level, acc, v);
        }
        acc
    }

    pub fn drop_levels(&mut self, level: usize, src: ValueId, levels: usize) -> ValueId {
        if levels == 0 {
            return src;
        }
        let dst = self.value();
        self.emit(level, Op::DropLevels { dst, src, levels });
        dst
    }

    pub fn rotate_sum(&mut self, level: usize, terms: Vec<(ValueId, usize)>) -> ValueId {
        if let [(v, 0)] = terms.as_slice() {
            return *v;
        }
        let dst = self.value();
        self.emit(level, Op::RotateSum { dst, terms });
        dst
    }
}

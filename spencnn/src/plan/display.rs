//! Human-readable printing of the IR: one line per instruction, grouped by layer.

use std::fmt;

use super::ir::{Instr, Op, Schedule, ValueId};

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Prints a step as a signed rotation when that is shorter (`S − 1` prints as `-1`).
struct Step(usize, usize);

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Step(step, slots) = *self;
        if step > slots / 2 { write!(f, "-{}", slots - step) } else { write!(f, "{step}") }
    }
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

impl Instr {
    /// One line describing this instruction (`slots` makes steps signed).
    pub fn render(&self, slots: usize) -> String {
        let body = match &self.op {
            Op::RotateHoistedExt { src, steps, dsts } => format!(
                "[{}] = rot_hoisted_ext({src}; {})",
                list(dsts, |d| d.to_string()),
                list(steps, |s| Step(*s, slots).to_string())
            ),
            Op::MulAccExt { dst, terms } => {
                format!("{dst} = mul_acc_ext({})", list(terms, |(v, p)| format!("{v}*p{}", p.0)))
            }
            Op::RotateSum { dst, terms } => {
                format!("{dst} = rotate_sum({})", list(terms, |(v, s)| format!("rot({v}, {})", Step(*s, slots))))
            }
            Op::MulAcc { dst, terms } => {
                format!("{dst} = mul_acc({})", list(terms, |(v, p)| format!("{v}*p{}", p.0)))
            }
            Op::MulPlain { dst, src, pt } => format!("{dst} = {src} * p{}", pt.0),
            Op::AddPlain { dst, src, pt } => format!("{dst} = {src} + p{}", pt.0),
            Op::Add { dst, lhs, rhs } => format!("{dst} = {lhs} + {rhs}"),
            Op::Rescale { dst, src } => format!("{dst} = rescale({src})"),
            Op::Square { dst, src } => format!("{dst} = square({src})"),
            Op::Polynomial { dst, src, levels, products, .. } => {
                format!("{dst} = polynomial({src}; {levels} levels, {products} products)")
            }
            Op::DropLevels { dst, src, levels } => format!("{dst} = drop({src}, {levels})"),
        };
        format!("L{:<3} {body}", self.level)
    }
}

impl fmt::Display for Schedule {
    /// The whole program, with a header per layer, the input encoding and the logit slots.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.input_layout;
        writeln!(
            f,
            "# {}: {} slots; input {:?} {}x{}x{} -> {} ciphertexts ({:?}, block {}x{}) at level {}",
            self.model,
            self.slots,
            self.inputs.iter().map(|v| v.0).collect::<Vec<_>>(),
            l.channels,
            l.grid.height,
            l.grid.width,
            l.num_cts(),
            l.placement,
            l.grid.block_height,
            l.grid.block_width,
            self.input_level
        )?;
        let mut layer = usize::MAX;
        for instr in &self.instrs {
            if instr.layer != layer {
                layer = instr.layer;
                let r = &self.layers[layer];
                writeln!(f, "# {} ({})", r.name, r.kind)?;
            }
            writeln!(f, "  {}", instr.render(self.slots))?;
        }
        writeln!(
            f,
            "# outputs {:?} at level {}; logits at (ct, slot): {}",
            self.outputs.iter().map(|v| v.0).collect::<Vec<_>>(),
            self.output_level,
            list(&self.logits, |o| format!("({}, {})", o.ct, o.slot))
        )
    }
}

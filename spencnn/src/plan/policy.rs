//! Encryption-aware placement: which channel order a tensor gets.
//!
//! A tensor consumed (through element-wise layers) by a grouped convolution with `s_in` inputs
//! per group is group-interleaved with `s = s_in`, so the consumer needs only `s` channel
//! diagonals; otherwise the output of a grouped convolution is interleaved by its own `s_out`
//! (so the producer writes each group's outputs with in-group diagonals); otherwise channels are
//! contiguous. Interleaving only applies when `s` is a power of two below the blocks per
//! ciphertext `c` (for `s ≥ c` contiguous placement already keeps groups on whole ciphertexts).

use crate::layout::Placement;
use crate::model::{Layer, Model};

/// In-group input count of the first grouped convolution reached from `value` through
/// element-wise layers.
pub(crate) fn consumer_group(model: &Model, value: usize) -> Option<usize> {
    let mut frontier = vec![value];
    let mut seen = vec![false; model.nodes.len() + 1];
    while let Some(v) = frontier.pop() {
        for n in model.consumers(v) {
            match &model.nodes[n].layer {
                Layer::Conv2d(conv) if conv.groups > 1 => return Some(conv.group_in()),
                Layer::BatchNorm(_)
                | Layer::Activation(_)
                | Layer::Relu(_)
                | Layer::AvgPool2
                | Layer::AvgPool(_)
                | Layer::Add { .. }
                    if !seen[n + 1] =>
                {
                    seen[n + 1] = true;
                    frontier.push(n + 1);
                }
                _ => {}
            }
        }
    }
    None
}

/// Placement for value `value` (produced by a layer with `producer_group_out` outputs per group,
/// if grouped) in ciphertexts of `per_ct` blocks.
pub(crate) fn placement_for(
    model: &Model,
    value: usize,
    producer_group_out: Option<usize>,
    per_ct: usize,
) -> Placement {
    let fits = |s: &usize| s.is_power_of_two() && *s < per_ct;
    consumer_group(model, value)
        .filter(fits)
        .or(producer_group_out.filter(fits))
        .map_or(Placement::Contiguous, |group_size| Placement::Interleaved { group_size })
}

/// The add node reached from `value` through single-consumer batch norms, and its other operand.
pub(crate) fn add_partner(model: &Model, value: usize) -> Option<usize> {
    let mut v = value;
    loop {
        let consumers = model.consumers(v);
        let [n] = consumers.as_slice() else {
            return None;
        };
        let node = &model.nodes[*n];
        match node.layer {
            Layer::BatchNorm(_) => v = n + 1,
            Layer::Add { other } => return Some(if node.input == v { other } else { node.input }),
            _ => return None,
        }
    }
}

/// Polyphase factor for the network input: 2 when the first 2×2 average pooling is reached from
/// the input through a chain of single-consumer stride-1 convolutions, batch norms and
/// activations (the pooling then becomes ciphertext additions), else 1.
pub(crate) fn input_phases(model: &Model) -> usize {
    let mut v = 0;
    loop {
        let consumers = model.consumers(v);
        let [n] = consumers.as_slice() else {
            return 1;
        };
        match &model.nodes[*n].layer {
            Layer::AvgPool2 => return 2,
            Layer::Conv2d(conv) if conv.stride == 1 => v = n + 1,
            Layer::BatchNorm(_) | Layer::Activation(_) | Layer::Relu(_) => v = n + 1,
            _ => return 1,
        }
    }
}

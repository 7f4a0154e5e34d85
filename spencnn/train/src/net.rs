//! A trainable copy of a sequential zoo [`Model`]: the same layers in `f32`, optionally with a batch
//! normalisation inserted between each convolution/dense layer and its activation, and the way back
//! ([`TrainNet::to_model`]) with every inserted normalisation folded into the layer before it — so the
//! exported tensors are exactly the planner's
//! ([`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)).

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::TrainError;
use super::batch::Batch;
use super::layers::{
    Conv, Dense, Norm, Param, PolyAct, avg_pool2, avg_pool2_backward, global_avg_pool, global_avg_pool_backward,
};
use super::unit_f32;
use spencnn::model::{BatchNorm, Conv2d, Layer, Linear, Model, PolyActivation};

/// One trainable layer.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainLayer {
    /// Convolution.
    Conv(Conv),
    /// Batch normalisation (of the model, or inserted for training).
    Norm(Norm),
    /// Polynomial activation.
    Act(PolyAct),
    /// 2×2 average pooling.
    AvgPool2,
    /// Global average pooling.
    GlobalAvgPool,
    /// Reshape to `(c·h·w) × 1 × 1`.
    Flatten,
    /// Dense layer.
    Dense(Dense),
}

/// A layer and the model node it trains (`None`: a normalisation inserted for training).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainNode {
    /// Index into the model's nodes.
    pub node: Option<usize>,
    /// The layer.
    pub layer: TrainLayer,
}

/// How to build the trainable network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetOptions {
    /// Insert a batch normalisation between every convolution/dense layer with a bias and the
    /// activation that follows it (folded away on export).
    pub batch_norm: bool,
    /// Initial quadratic coefficient `a` of the activations (`b = 1`, `c = 0`) used by
    /// [`TrainNet::init`].
    pub act_a: f32,
}

/// The trainable network.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainNet {
    /// `[C, H, W]` of an input image.
    pub input_shape: [usize; 3],
    /// Layers in order.
    pub nodes: Vec<TrainNode>,
}

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| v as f64).collect()
}

fn unsupported(model: &Model, n: usize, reason: &str) -> TrainError {
    TrainError::Unsupported { node: model.nodes[n].name.clone(), reason: reason.to_string() }
}

impl TrainNet {
    /// The trainable copy of `model` (its current weights, as `f32`).
    ///
    /// # Errors
    /// [`TrainError::Model`] for an invalid model; [`TrainError::Unsupported`] for a node that
    /// does not read the previous value (residual networks) or a shared activation.
    pub fn from_model(model: &Model, options: &NetOptions) -> Result<Self, TrainError> {
        let shapes = model.shapes()?;
        let mut nodes = Vec::new();
        for (n, node) in model.nodes.iter().enumerate() {
            if node.input != n {
                return Err(unsupported(model, n, "the trainer handles sequential networks only"));
            }
            let feeds_activation = matches!(model.nodes.get(n + 1).map(|m| &m.layer), Some(Layer::Activation(_)));
            let layer = match &node.layer {
                Layer::Conv2d(conv) if conv.pads.is_some() => {
                    return Err(unsupported(model, n, "asymmetric convolution padding"));
                }
                Layer::Conv2d(conv) => TrainLayer::Conv(Conv {
                    in_channels: conv.in_channels,
                    out_channels: conv.out_channels,
                    kernel: conv.kernel,
                    stride: conv.stride,
                    padding: conv.padding,
                    groups: conv.groups,
                    weight: Param::new(to_f32(&conv.weight), true),
                    bias: conv.bias.as_ref().map(|b| Param::new(to_f32(b), false)),
                }),
                Layer::Linear(fc) => TrainLayer::Dense(Dense {
                    in_features: fc.in_features,
                    out_features: fc.out_features,
                    weight: Param::new(to_f32(&fc.weight), true),
                    bias: fc.bias.as_ref().map(|b| Param::new(to_f32(b), false)),
                }),
                Layer::BatchNorm(bn) => {
                    let mut norm = Norm::new(bn.channels);
                    norm.gamma.value = to_f32(&bn.gamma);
                    norm.beta.value = to_f32(&bn.beta);
                    norm.running_mean = to_f32(&bn.mean);
                    norm.running_var = to_f32(&bn.var);
                    norm.eps = bn.eps as f32;
                    TrainLayer::Norm(norm)
                }
                Layer::Activation(act) => {
                    if act.channels != shapes[n + 1][0] {
                        return Err(unsupported(model, n, "activations shared across channels"));
                    }
                    TrainLayer::Act(PolyAct {
                        a: Param::new(to_f32(&act.a), false),
                        b: Param::new(to_f32(&act.b), false),
                        c: Param::new(to_f32(&act.c), false),
                    })
                }
                Layer::AvgPool2 => TrainLayer::AvgPool2,
                Layer::GlobalAvgPool => TrainLayer::GlobalAvgPool,
                Layer::Flatten => TrainLayer::Flatten,
                Layer::Add { .. } => return Err(unsupported(model, n, "residual additions")),
                Layer::AvgPool(_) => return Err(unsupported(model, n, "general average pooling")),
                Layer::Relu(_) => {
                    return Err(unsupported(model, n, "ReLU approximations (train a polynomial activation)"));
                }
            };
            let has_bias = match &layer {
                TrainLayer::Conv(c) => c.bias.is_some(),
                TrainLayer::Dense(d) => d.bias.is_some(),
                _ => false,
            };
            nodes.push(TrainNode { node: Some(n), layer });
            if options.batch_norm && feeds_activation && has_bias {
                nodes.push(TrainNode { node: None, layer: TrainLayer::Norm(Norm::new(shapes[n + 1][0])) });
            }
        }
        Ok(Self { input_shape: model.input_shape, nodes })
    }

    /// Seeded initialisation: weights uniform with variance `1/fan_in`, zero biases, identity
    /// normalisations, activations `a·x² + x`.
    pub fn init(&mut self, seed: u64, act_a: f32) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut fill = |p: &mut Param, fan_in: usize| {
            let bound = (3.0 / fan_in as f32).sqrt();
            p.value.iter_mut().for_each(|v| *v = (2.0 * unit_f32(&mut rng) - 1.0) * bound);
        };
        for node in &mut self.nodes {
            match &mut node.layer {
                TrainLayer::Conv(c) => {
                    fill(&mut c.weight, c.in_channels / c.groups * c.kernel * c.kernel);
                    if let Some(b) = &mut c.bias {
                        b.value.fill(0.0);
                    }
                }
                TrainLayer::Dense(d) => {
                    fill(&mut d.weight, d.in_features);
                    if let Some(b) = &mut d.bias {
                        b.value.fill(0.0);
                    }
                }
                TrainLayer::Norm(norm) => *norm = Norm::new(norm.gamma.value.len()),
                TrainLayer::Act(act) => *act = PolyAct::new(act.a.value.len(), act_a),
                TrainLayer::AvgPool2 | TrainLayer::GlobalAvgPool | TrainLayer::Flatten => {}
            }
        }
    }

    /// Inference: normalisations use their running statistics. Returns every layer's output
    /// (the last one is the logits).
    pub fn forward_eval_all(&self, x: &Batch) -> Vec<Batch> {
        let mut values: Vec<Batch> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let input = values.last().unwrap_or(x);
            let out = match &node.layer {
                TrainLayer::Norm(norm) => norm.forward_eval(input),
                layer => stateless_forward(layer, input),
            };
            values.push(out);
        }
        values
    }

    /// Inference logits.
    pub fn forward_eval(&self, x: &Batch) -> Batch {
        self.forward_eval_all(x).pop().unwrap_or_else(|| x.clone())
    }

    /// Training forward pass: batch statistics in the normalisations. Returns the logits and
    /// every layer's input (for [`TrainNet::backward`]).
    pub fn forward_train(&mut self, x: &Batch) -> (Batch, Vec<Batch>) {
        let mut inputs = Vec::with_capacity(self.nodes.len());
        let mut current = x.clone();
        for node in &mut self.nodes {
            let out = match &mut node.layer {
                TrainLayer::Norm(norm) => norm.forward_train(&current),
                layer => stateless_forward(layer, &current),
            };
            inputs.push(std::mem::replace(&mut current, out));
        }
        (current, inputs)
    }

    /// Accumulates every parameter gradient for the logits gradient `grad`, given the inputs
    /// returned by the training forward pass.
    pub fn backward(&mut self, inputs: &[Batch], mut grad: Batch) {
        for (i, (node, x)) in self.nodes.iter_mut().zip(inputs).enumerate().rev() {
            grad = match &mut node.layer {
                TrainLayer::Conv(conv) => match conv.backward(x, &grad, i > 0) {
                    Some(dx) => dx,
                    None => return,
                },
                TrainLayer::Norm(norm) => norm.backward(&grad),
                TrainLayer::Act(act) => act.backward(x, &grad),
                TrainLayer::AvgPool2 => avg_pool2_backward(&grad, x.h, x.w),
                TrainLayer::GlobalAvgPool => global_avg_pool_backward(&grad, x.h, x.w),
                TrainLayer::Flatten => Batch { data: grad.data, ..x.clone() },
                TrainLayer::Dense(dense) => dense.backward(x, &grad),
            };
        }
    }

    /// Every trainable parameter.
    pub fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut out = Vec::new();
        for node in &mut self.nodes {
            match &mut node.layer {
                TrainLayer::Conv(Conv { weight, bias, .. }) | TrainLayer::Dense(Dense { weight, bias, .. }) => {
                    out.push(weight);
                    out.extend(bias.as_mut());
                }
                TrainLayer::Norm(norm) => out.extend([&mut norm.gamma, &mut norm.beta]),
                TrainLayer::Act(act) => out.extend([&mut act.a, &mut act.b, &mut act.c]),
                TrainLayer::AvgPool2 | TrainLayer::GlobalAvgPool | TrainLayer::Flatten => {}
            }
        }
        out
    }

    /// The convolution training model node `node`, if it is one.
    pub fn conv_mut(&mut self, node: usize) -> Option<&mut Conv> {
        self.nodes.iter_mut().find(|t| t.node == Some(node)).and_then(|t| match &mut t.layer {
            TrainLayer::Conv(conv) => Some(conv),
            _ => None,
        })
    }

    /// `template` (the model this network was built from) with the trained weights, every
    /// inserted normalisation folded into the convolution or dense layer before it (in f64):
    /// `w ← w·s`, `b ← b·s + t` per output channel with `(s, t)` the normalisation's affine map.
    /// Scaling a whole output channel keeps pruned (zero) weights zero.
    pub fn to_model(&self, template: &Model) -> Model {
        let mut model = template.clone();
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(n) = node.node else { continue };
            let folded = match self.nodes.get(i + 1) {
                Some(TrainNode { node: None, layer: TrainLayer::Norm(norm) }) => Some(norm),
                _ => None,
            };
            let fold = |weight: &[f32], bias: Option<&Param>, per_out: usize| {
                let mut w = to_f64(weight);
                let mut b = bias.map(|b| to_f64(&b.value));
                if let Some(norm) = folded {
                    for (o, row) in w.chunks_mut(per_out).enumerate() {
                        let (s, t) = norm.affine(o);
                        row.iter_mut().for_each(|v| *v *= s);
                        if let Some(b) = &mut b {
                            b[o] = b[o] * s + t;
                        }
                    }
                }
                (w, b)
            };
            match (&node.layer, &mut model.nodes[n].layer) {
                (TrainLayer::Conv(c), Layer::Conv2d(Conv2d { weight, bias, .. })) => {
                    (*weight, *bias) = fold(&c.weight.value, c.bias.as_ref(), c.weight.value.len() / c.out_channels);
                }
                (TrainLayer::Dense(d), Layer::Linear(Linear { weight, bias, .. })) => {
                    (*weight, *bias) = fold(&d.weight.value, d.bias.as_ref(), d.in_features);
                }
                (TrainLayer::Norm(norm), Layer::BatchNorm(bn)) => {
                    *bn = BatchNorm {
                        channels: bn.channels,
                        gamma: to_f64(&norm.gamma.value),
                        beta: to_f64(&norm.beta.value),
                        mean: to_f64(&norm.running_mean),
                        var: to_f64(&norm.running_var),
                        eps: norm.eps as f64,
                    };
                }
                (TrainLayer::Act(act), Layer::Activation(pa)) => {
                    *pa = PolyActivation {
                        channels: pa.channels,
                        a: to_f64(&act.a.value),
                        b: to_f64(&act.b.value),
                        c: to_f64(&act.c.value),
                    };
                }
                _ => {}
            }
        }
        model
    }
}

/// Layers whose forward pass needs no mutable state.
fn stateless_forward(layer: &TrainLayer, x: &Batch) -> Batch {
    match layer {
        TrainLayer::Conv(conv) => conv.forward(x),
        TrainLayer::Norm(norm) => norm.forward_eval(x),
        TrainLayer::Act(act) => act.forward(x),
        TrainLayer::AvgPool2 => avg_pool2(x),
        TrainLayer::GlobalAvgPool => global_avg_pool(x),
        TrainLayer::Flatten => Batch { n: x.n, c: x.image_len(), h: 1, w: 1, data: x.data.clone() },
        TrainLayer::Dense(dense) => dense.forward(x),
    }
}

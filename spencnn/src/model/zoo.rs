//! The four networks of the paper, dense and SpENCNN (grouped) variants, with zero weights
//! (fill them with [`super::randomize`] or [`super::load_safetensors`]).
//!
//! Where the paper leaves a detail open, our reading (documented with the planner):
//! LeNet's conv2 has no padding (14×14 → 10×10); VGG-5 and the CIFAR networks use a global
//! average pool before the dense head when the paper only says "pool"; ResNet-20 uses 1×1
//! projection shortcuts (option B) and groups 2 in every 3×3 block convolution of the SpENCNN
//! variant.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::{BatchNorm, Conv2d, Layer, Linear, Model, Node, PolyActivation};

/// Dense baseline (groups 1) or SpENCNN (HE-group convolutions; pruning is applied separately).
///
/// Spelled `dense` and `spencnn` everywhere: [`Variant::name`], [`fmt::Display`],
/// [`FromStr`], the JSON of its [`Serialize`] form, and the bundled weight file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Every convolution dense.
    Dense,
    /// Grouped convolutions as in the paper.
    SpEncnn,
}

impl Variant {
    /// Both variants.
    pub const ALL: [Variant; 2] = [Variant::Dense, Variant::SpEncnn];

    /// The variant's name: `dense` or `spencnn`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Dense => "dense",
            Variant::SpEncnn => "spencnn",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown variant {s:?} (dense, spencnn)"))
    }
}

/// The networks of the zoo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Network {
    /// LeNet on MNIST.
    LeNet,
    /// VGG-5 on CIFAR-10.
    Vgg5,
    /// HEFNet on CIFAR-10.
    HefNet,
    /// ResNet-20 on CIFAR-10.
    ResNet20,
}

impl Network {
    /// All networks.
    pub const ALL: [Network; 4] = [Network::LeNet, Network::Vgg5, Network::HefNet, Network::ResNet20];

    /// Builds the network's architecture (zero weights).
    pub fn build(self, variant: Variant) -> Model {
        match self {
            Network::LeNet => lenet(variant),
            Network::Vgg5 => vgg5(variant),
            Network::HefNet => hefnet(variant),
            Network::ResNet20 => resnet20(variant),
        }
    }

    /// The ring degree `log2 N` this network is planned and run at by default: `2^14` for
    /// LeNet, VGG-5 and HEFNet, `2^16` for ResNet-20 (its depth needs the larger modulus).
    pub fn default_log_n(self) -> u32 {
        match self {
            Network::LeNet | Network::Vgg5 | Network::HefNet => 14,
            Network::ResNet20 => 16,
        }
    }

    /// The sub-block pruning ratio of the SpENCNN variant.
    pub fn default_prune_ratio(self) -> f64 {
        match self {
            Network::LeNet | Network::Vgg5 | Network::HefNet => 0.5,
            Network::ResNet20 => 0.3,
        }
    }

    /// The network's name: `lenet`, `vgg5`, `hefnet` or `resnet20`.
    pub fn name(self) -> &'static str {
        match self {
            Network::LeNet => "lenet",
            Network::Vgg5 => "vgg5",
            Network::HefNet => "hefnet",
            Network::ResNet20 => "resnet20",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Network {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Network::ALL
            .into_iter()
            .find(|n| n.name() == s)
            .ok_or_else(|| format!("unknown model {s:?} (lenet, vgg5, hefnet, resnet20)"))
    }
}

/// Appends nodes in order; tracks the last value.
struct Builder {
    model: Model,
    last: usize,
}

impl Builder {
    fn new(name: &str, input_shape: [usize; 3]) -> Self {
        Self { model: Model { name: name.to_string(), input_shape, nodes: Vec::new() }, last: 0 }
    }

    fn push_from(&mut self, name: &str, layer: Layer, input: usize) -> usize {
        self.model.nodes.push(Node { name: name.to_string(), layer, input });
        self.last = self.model.nodes.len();
        self.last
    }

    fn push(&mut self, name: &str, layer: Layer) -> usize {
        self.push_from(name, layer, self.last)
    }

    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        name: &str,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        pad: usize,
        groups: usize,
        bias: bool,
    ) -> usize {
        let mut conv = Conv2d::new(cin, cout, k, stride, pad, groups);
        conv.bias = bias.then(|| vec![0.0; cout]);
        self.push(name, Layer::Conv2d(conv))
    }

    fn bn(&mut self, name: &str, c: usize) -> usize {
        self.push(name, Layer::BatchNorm(BatchNorm::identity(c)))
    }

    fn act(&mut self, name: &str, c: usize) -> usize {
        let act = PolyActivation { channels: c, a: vec![0.0; c], b: vec![1.0; c], c: vec![0.0; c] };
        self.push(name, Layer::Activation(act))
    }

    fn linear(&mut self, name: &str, inputs: usize, outputs: usize) -> usize {
        let fc = Linear {
            in_features: inputs,
            out_features: outputs,
            weight: vec![0.0; inputs * outputs],
            bias: Some(vec![0.0; outputs]),
        };
        self.push(name, Layer::Linear(fc))
    }
}

fn groups(variant: Variant, g: usize) -> usize {
    match variant {
        Variant::Dense => 1,
        Variant::SpEncnn => g,
    }
}

/// LeNet (MNIST 1×28×28): conv5×5 1→64 pad 2 → act → avgpool → conv5×5 64→32 (groups 4) → act →
/// global avgpool → FC 32→32 → act → FC 32→10.
pub fn lenet(variant: Variant) -> Model {
    let mut b = Builder::new("lenet", [1, 28, 28]);
    b.conv("conv1", 1, 64, 5, 1, 2, 1, true);
    b.act("act1", 64);
    b.push("pool1", Layer::AvgPool2);
    b.conv("conv2", 64, 32, 5, 1, 0, groups(variant, 4), true);
    b.act("act2", 32);
    b.push("pool2", Layer::GlobalAvgPool);
    b.push("flatten", Layer::Flatten);
    b.linear("fc1", 32, 32);
    b.act("act3", 32);
    b.linear("fc2", 32, 10);
    b.model
}

/// VGG-5 (CIFAR-10): conv3×3 3→64 → act → avgpool → conv 64→128 (groups 8) → act →
/// conv 128→128 (groups 8) → act → global avgpool → FC 128→128 → act → FC 128→10.
pub fn vgg5(variant: Variant) -> Model {
    let mut b = Builder::new("vgg5", [3, 32, 32]);
    b.conv("conv1", 3, 64, 3, 1, 1, 1, true);
    b.act("act1", 64);
    b.push("pool1", Layer::AvgPool2);
    b.conv("conv2", 64, 128, 3, 1, 1, groups(variant, 8), true);
    b.act("act2", 128);
    b.conv("conv3", 128, 128, 3, 1, 1, groups(variant, 8), true);
    b.act("act3", 128);
    b.push("pool2", Layer::GlobalAvgPool);
    b.push("flatten", Layer::Flatten);
    b.linear("fc1", 128, 128);
    b.act("act4", 128);
    b.linear("fc2", 128, 10);
    b.model
}

/// HEFNet (CIFAR-10): conv3×3 3→256 → BN → act → conv 256→128 (groups 8) → BN → act → avgpool →
/// conv 128→64 (groups 8) → BN → act → avgpool → conv 64→64 (groups 8) → BN → act → avgpool →
/// FC 256→10. All convolutions unpadded: 32 → 30 → 28 → 14 → 12 → 6 → 4 → 2.
pub fn hefnet(variant: Variant) -> Model {
    let mut b = Builder::new("hefnet", [3, 32, 32]);
    b.conv("conv1", 3, 256, 3, 1, 0, 1, false);
    b.bn("bn1", 256);
    b.act("act1", 256);
    b.conv("conv2", 256, 128, 3, 1, 0, groups(variant, 8), false);
    b.bn("bn2", 128);
    b.act("act2", 128);
    b.push("pool1", Layer::AvgPool2);
    b.conv("conv3", 128, 64, 3, 1, 0, groups(variant, 8), false);
    b.bn("bn3", 64);
    b.act("act3", 64);
    b.push("pool2", Layer::AvgPool2);
    b.conv("conv4", 64, 64, 3, 1, 0, groups(variant, 8), false);
    b.bn("bn4", 64);
    b.act("act4", 64);
    b.push("pool3", Layer::AvgPool2);
    b.push("flatten", Layer::Flatten);
    b.linear("fc", 256, 10);
    b.model
}

/// ResNet-20 (CIFAR-10): stem conv 3→16, three stages of three basic blocks (16, 32, 64 channels,
/// stride 2 at the start of stages 2 and 3, 1×1 projection shortcuts), polynomial activations,
/// global avgpool, FC 64→10. The SpENCNN variant uses groups 2 in the block convolutions.
pub fn resnet20(variant: Variant) -> Model {
    let mut b = Builder::new("resnet20", [3, 32, 32]);
    b.conv("conv1", 3, 16, 3, 1, 1, 1, false);
    b.bn("bn1", 16);
    b.act("act1", 16);
    let g = groups(variant, 2);
    let mut channels = 16;
    for (stage, width) in [16usize, 32, 64].into_iter().enumerate() {
        for block in 0..3 {
            let p = format!("layer{}.{}", stage + 1, block);
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            let input = b.last;
            b.conv(&format!("{p}.conv1"), channels, width, 3, stride, 1, g, false);
            b.bn(&format!("{p}.bn1"), width);
            b.act(&format!("{p}.act1"), width);
            b.conv(&format!("{p}.conv2"), width, width, 3, 1, 1, g, false);
            let main = b.bn(&format!("{p}.bn2"), width);
            let shortcut = if stride != 1 || channels != width {
                let conv = Conv2d::new(channels, width, 1, stride, 0, 1);
                b.push_from(&format!("{p}.shortcut"), Layer::Conv2d(conv), input);
                b.bn(&format!("{p}.shortcut_bn"), width)
            } else {
                input
            };
            b.push_from(&format!("{p}.add"), Layer::Add { other: shortcut }, main);
            b.act(&format!("{p}.act2"), width);
            channels = width;
        }
    }
    b.push("pool", Layer::GlobalAvgPool);
    b.push("flatten", Layer::Flatten);
    b.linear("fc", 64, 10);
    b.model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_has_consistent_shapes() {
        for net in Network::ALL {
            for variant in Variant::ALL {
                let model = net.build(variant);
                let shapes = model.shapes().unwrap();
                assert_eq!(shapes.last().unwrap()[0], 10, "{net}");
            }
        }
        let shapes = hefnet(Variant::Dense).shapes().unwrap();
        assert_eq!(shapes[shapes.len() - 2], [256, 1, 1]);
    }

    #[test]
    fn names_parse_back_and_are_the_json_spelling() {
        for net in Network::ALL {
            assert_eq!(net.to_string().parse::<Network>(), Ok(net));
        }
        for variant in Variant::ALL {
            assert_eq!(variant.to_string().parse::<Variant>(), Ok(variant));
        }
        assert_eq!("spencnn".parse::<Variant>(), Ok(Variant::SpEncnn));
        assert!("SpEncnn".parse::<Variant>().unwrap_err().contains("dense, spencnn"));
        assert!("mlp".parse::<Network>().unwrap_err().contains("lenet"));
    }
}

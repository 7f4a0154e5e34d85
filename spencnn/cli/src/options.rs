//! Options and helpers several subcommands share: the variant, the worker threads, reading a
//! weights file (and detecting its variant), writing to standard output.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use spencnn::files::{MAX_WEIGHTS_FILE_BYTES, read_capped};
use spencnn::model::Model;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::ConvMethod;
use spencnn::prune::PruneUnit;
use spencnn::variant::load_variant;

/// `--variant`: [`Variant`]'s names (`dense`, `spencnn`) and `hear`, the dense architecture
/// lowered the HEAR way (the paper's baseline).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VariantArg {
    /// Dense baseline (every convolution dense), planned by our planner.
    Dense,
    /// SpENCNN: HE-group convolutions, sub-block pruned.
    Spencnn,
    /// The paper's baseline: the dense network lowered as HEAR does (stride-grid maps, tap
    /// giant steps, every rotation a full key switch, no double hoisting).
    Hear,
}

impl VariantArg {
    /// The three, in the order the comparisons print them.
    pub(crate) const ALL: [VariantArg; 3] = [VariantArg::Hear, VariantArg::Dense, VariantArg::Spencnn];

    /// How the planner lowers the linear layers.
    pub(crate) fn method(self) -> ConvMethod {
        match self {
            VariantArg::Hear => ConvMethod::Hear,
            _ => ConvMethod::DoubleHoisted,
        }
    }

    /// `dense`, `spencnn` or `hear`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            VariantArg::Dense => "dense",
            VariantArg::Spencnn => "spencnn",
            VariantArg::Hear => "hear",
        }
    }
}

impl From<VariantArg> for Variant {
    /// The architecture (HEAR runs the dense one).
    fn from(v: VariantArg) -> Variant {
        match v {
            VariantArg::Dense | VariantArg::Hear => Variant::Dense,
            VariantArg::Spencnn => Variant::SpEncnn,
        }
    }
}

/// The `--cost-profile` given on the command line, passed on to child `spencnn` processes.
pub(crate) static COST_PROFILE_ARG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `--unit`: spelled as [`PruneUnit`]'s name (`rotation`, `diagonal`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum UnitArg {
    /// Whole rotations' worth of sub-blocks, ranked by importance per unit of cost saved.
    #[default]
    Rotation,
    /// Single sub-blocks (diagonal plaintexts), ranked by magnitude.
    Diagonal,
}

impl From<UnitArg> for PruneUnit {
    fn from(u: UnitArg) -> PruneUnit {
        match u {
            UnitArg::Rotation => PruneUnit::Rotation,
            UnitArg::Diagonal => PruneUnit::Diagonal,
        }
    }
}

/// `--threads`, with one default for every subcommand: all cores.
#[derive(Clone, Copy, Debug, Args)]
pub(crate) struct ThreadsArg {
    /// Worker threads, at most 4 per available core [default: all cores].
    #[arg(long, value_parser = crate::bounds::threads)]
    threads: Option<u16>,
}

impl ThreadsArg {
    /// The thread count: as given, else the available parallelism.
    pub(crate) fn count(self) -> usize {
        self.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from)
    }

    /// Runs `f` on a rayon pool of [`ThreadsArg::count`] threads.
    pub(crate) fn install<T: Send>(self, f: impl FnOnce() -> anyhow::Result<T> + Send) -> anyhow::Result<T> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.count())
            .build()
            .context("cannot start the worker threads")?;
        pool.install(f)
    }

    /// The value to pass on to a child `spencnn` process, if one was given.
    pub(crate) fn given(self) -> Option<u16> {
        self.threads
    }
}

/// A weights file and its bytes.
#[derive(Debug)]
pub(crate) struct WeightsFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

impl WeightsFile {
    /// Reads `path` (at most [`MAX_WEIGHTS_FILE_BYTES`]).
    pub(crate) fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = read_capped(path, MAX_WEIGHTS_FILE_BYTES).context("cannot read the weights file")?;
        Ok(Self { path: path.to_path_buf(), bytes })
    }

    /// Loads the file into `network` as `variant`, or, without one, as whichever variant the
    /// file fits (as `eval` and `infer` detect it).
    pub(crate) fn load(&self, network: Network, variant: Option<Variant>) -> anyhow::Result<(Variant, Model)> {
        load_variant(network, variant, &self.bytes).with_context(|| {
            let what = variant.map_or_else(|| "either variant".to_string(), |v| format!("the {v} variant"));
            format!("{} does not hold {network} weights of {what}", self.path.display())
        })
    }
}

/// Writes `text` to standard output; a closed pipe (e.g. `| head`) is not an error.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// [`emit`] for a JSON report (pretty, one trailing newline).
pub(crate) fn emit_json(report: &impl serde::Serialize) -> anyhow::Result<()> {
    emit(&(serde_json::to_string_pretty(report).context("cannot render the JSON report")? + "\n"))
}

/// `--data DIR`: the `split` of MNIST in `dir` (the distribution's idx files, gzipped or not),
/// or the 20 bundled test digits when `dir` holds only them (`spencnn/assets`), with a note.
pub(crate) fn load_mnist(dir: &Path, split: spencnn_train::Split) -> anyhow::Result<spencnn_train::Dataset> {
    use spencnn_train::{Dataset, MnistFiles};
    let files = MnistFiles::locate(dir, split).with_context(|| {
        format!("cannot load MNIST from --data {} (--data spencnn/assets: the 20 bundled test digits)", dir.display())
    })?;
    if files.bundled {
        eprintln!(
            "note: {} holds no MNIST {} files: using the 20 bundled test digits ({})",
            dir.display(),
            split.prefix(),
            files.images.display()
        );
    }
    Dataset::from_idx_files(&files.images, &files.labels).context("cannot load the data set")
}

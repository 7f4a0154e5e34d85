//! The progress bars over the evaluation keys' generation and over a network's layers
//! (standard error; hidden for JSON or no terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spencnn::inference::KeyGenProgress;

/// A progress bar advanced once per evaluated layer.
pub(crate) struct LayersBar {
    bar: ProgressBar,
    layers: u64,
}

/// A bar over `layers` layers; hidden when `hidden` (JSON output) or stderr is no terminal.
pub(crate) fn layers_bar(layers: usize, hidden: bool) -> LayersBar {
    let target = if hidden { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bar = ProgressBar::with_draw_target(Some(layers as u64), target);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} layers {msg} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    LayersBar { bar, layers: layers as u64 }
}

impl LayersBar {
    /// Starts a new pass (one image).
    pub(crate) fn reset(&self, prefix: &str) {
        self.bar.reset();
        self.bar.set_prefix(prefix.to_string());
    }

    /// One more layer evaluated.
    pub(crate) fn layer_done(&self, name: &str) {
        self.bar.set_message(name.to_string());
        self.bar.inc(1);
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        self.bar.set_position(self.layers);
        self.bar.finish_and_clear();
    }
}

/// A bar over the Galois keys being generated, with the time left extrapolated from the work
/// done (keys differ in size with their level); hidden as [`layers_bar`].
pub(crate) fn keys_bar(keys: usize, hidden: bool) -> ProgressBar {
    let target = if hidden { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bar = ProgressBar::with_draw_target(Some(keys as u64), target);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} keys {msg} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix("keys");
    bar
}

/// Advances a [`keys_bar`] to `progress`.
pub(crate) fn keys_done(bar: &ProgressBar, progress: &KeyGenProgress) {
    bar.set_position(progress.keys_done as u64);
    if let Some(remaining) = progress.remaining() {
        bar.set_message(format!("{:.0} s left", remaining.as_secs_f64()));
    }
}

//! The progress bar over a network's layers (standard error; hidden for JSON or no terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

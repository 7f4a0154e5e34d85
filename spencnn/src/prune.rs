//! Sub-block pruning.

//! CKKS bootstrapping: ModRaise, CoeffsToSlots, EvalMod and SlotsToCoeffs.

pub mod dft;

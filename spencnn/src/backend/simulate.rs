//! The end-to-end simulated run: encode an image into the input layout, run the schedule on
//! the slot simulator, decode the logits.

use super::noise::NoiseModel;
use super::runner::execute;
use super::{ExecError, SlotSimulator};
use crate::model::ModelError;
use crate::plan::Schedule;
use crate::tensor::Tensor3;

impl Schedule {
    /// The slot vectors the client encrypts for `image` (the input layout, with replication).
    pub fn encode_input(&self, image: &Tensor3) -> Result<Vec<Vec<f64>>, ModelError> {
        let expected = self.input_layout.shape();
        if image.shape() != expected {
            return Err(ModelError::ImageShape { expected, found: image.shape() });
        }
        Ok(self.input_layout.pack(image))
    }

    /// The logits from the decrypted output vectors (applies the output affine maps).
    pub fn decode_output(&self, decrypted: &[Vec<f64>]) -> Vec<f64> {
        self.logits.iter().map(|l| l.scale * decrypted[l.ct][l.slot] + l.offset).collect()
    }
}

/// Runs `schedule` on the slot simulator with only the schedule's rotation keys; returns the
/// logits and the simulator (for its executed-operation counts).
pub fn run_simulated(schedule: &Schedule, image: &Tensor3) -> Result<(Vec<f64>, SlotSimulator), ExecError> {
    run_on_simulator(schedule, image, simulator_for(schedule))
}

/// Runs `schedule` on the slot simulator with `noise`'s rounding error added (seeded with `seed`)
/// where CKKS would round: the logits as CKKS-like noise leaves them.
///
/// # Errors
/// As [`run_simulated`].
pub fn run_simulated_noisy(
    schedule: &Schedule,
    image: &Tensor3,
    noise: NoiseModel,
    seed: u64,
) -> Result<Vec<f64>, ExecError> {
    Ok(run_on_simulator(schedule, image, simulator_for(schedule).with_noise(noise, seed))?.0)
}

/// A simulator over the schedule's chain holding only the schedule's rotation keys.
fn simulator_for(schedule: &Schedule) -> SlotSimulator {
    let keys = schedule.rotation_steps().into_iter().collect();
    SlotSimulator::new(schedule.slots, schedule.chain.clone(), Some(keys))
}

fn run_on_simulator(
    schedule: &Schedule,
    image: &Tensor3,
    sim: SlotSimulator,
) -> Result<(Vec<f64>, SlotSimulator), ExecError> {
    let inputs = schedule
        .encode_input(image)?
        .iter()
        .map(|v| sim.encrypt(v, schedule.input_level, schedule.input_scale))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ExecError::Backend { instr: 0, source })?;
    let outputs = execute(schedule, &sim, inputs)?;
    let decrypted: Vec<Vec<f64>> = outputs.iter().map(|c| sim.decrypt(c)).collect();
    Ok((schedule.decode_output(&decrypted), sim))
}

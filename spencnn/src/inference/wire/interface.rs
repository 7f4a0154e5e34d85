//! [`ModelInterface`] as bytes: the parameters as a `spencnn-ckks` object, the layout, logit
//! map, rotation steps and key levels in the envelope.

use spencnn_ckks::Parameters;

use super::codec::{WireReader, WireWriter, check_range, parse_bytes};
use super::{MAX_INPUT_EXTENT, MAX_LOGITS, MAX_NAME_BYTES, MAX_PARAMETER_BYTES, MAX_PHASES, MessageKind, WireError};
use crate::inference::messages::ModelInterface;
use crate::inference::outputs::OutputSpec;
use crate::layout::{Placement, SlotLayout, SpatialGrid};
use crate::plan::OutputSlot;

/// Largest accepted number of input ciphertexts (the client packs and encrypts them: 64
/// ciphertexts of `2^16` slots are 32 MiB of slot values).
pub const MAX_INPUT_CIPHERTEXTS: usize = 64;
/// Largest accepted number of output ciphertexts.
const MAX_OUTPUTS: usize = super::MAX_CIPHERTEXTS;

/// A `usize` field narrowed to the wire type `T`.
fn narrow<T: TryFrom<usize>>(field: &'static str, value: usize, max: u64) -> Result<T, WireError> {
    T::try_from(value).map_err(|_| WireError::FieldOutOfRange { field, value: value as u64, min: 0, max })
}

fn finite(field: &'static str, value: f64) -> Result<f64, WireError> {
    if value.is_finite() { Ok(value) } else { Err(WireError::InvalidNumber { field, value }) }
}

impl ModelInterface {
    /// The interface as a message (see [`super`] for the format).
    ///
    /// # Errors
    /// [`WireError::FieldOutOfRange`] for a field too large for its wire type (never for an
    /// interface made by [`ModelInterface::new`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let (u32_max, u16_max) = (u64::from(u32::MAX), u64::from(u16::MAX));
        let mut w = WireWriter::new(Vec::new(), MessageKind::ModelInterface, self.params.fingerprint())?;
        w.frame(&self.params.to_bytes())?;
        let name = self.model.as_bytes();
        w.u16(narrow("model name length", name.len(), u16_max)?)?;
        w.bytes(name)?;
        w.u32(narrow("slots", self.slots, u32_max)?)?;
        let layout = &self.input_layout;
        let g = &layout.grid;
        for (field, value) in [
            ("channels", layout.channels),
            ("height", g.height),
            ("width", g.width),
            ("block height", g.block_height),
            ("block width", g.block_width),
            ("stride", g.stride),
            ("phases", g.phases),
        ] {
            w.u32(narrow(field, value, u32_max)?)?;
        }
        let (tag, group_size) = match layout.placement {
            Placement::Contiguous => (0, 0),
            Placement::Interleaved { group_size } => (1, group_size),
        };
        w.u8(tag)?;
        w.u32(narrow("group size", group_size, u32_max)?)?;
        w.u16(narrow("input level", self.input_level, u16_max)?)?;
        w.f64(self.input_scale)?;
        w.u32(narrow("outputs", self.outputs.len(), u32_max)?)?;
        for output in &self.outputs {
            w.u16(narrow("output level", output.level, u16_max)?)?;
            w.f64(output.scale)?;
        }
        w.u32(narrow("logits", self.logits.len(), u32_max)?)?;
        for logit in &self.logits {
            w.u32(narrow("logit ciphertext", logit.ct, u32_max)?)?;
            w.u32(narrow("logit slot", logit.slot, u32_max)?)?;
            w.f64(logit.scale)?;
            w.f64(logit.offset)?;
        }
        let keys: Vec<(usize, usize)> = self.rotation_keys().collect();
        w.u32(narrow("rotation keys", keys.len(), u32_max)?)?;
        for (step, level) in keys {
            w.u32(narrow("rotation step", step, u32_max)?)?;
            w.u16(narrow("key level", level, u16_max)?)?;
        }
        w.u8(u8::from(self.needs_relinearization))?;
        w.u16(narrow("relinearization level", self.relinearization_key_level().unwrap_or(0), u16_max)?)?;
        Ok(w.finish()?.0)
    }

    /// Loads an interface received from a server. The parameters must be secure (inside the
    /// 128-bit bound); everything else is checked against them.
    ///
    /// # Errors
    /// Any [`WireError`]; the parameters' rejection as [`WireError::Ckks`].
    pub fn from_bytes(bytes: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        parse_bytes(bytes, max_bytes, |r| read_interface(r, false))
    }

    /// [`ModelInterface::from_bytes`] accepting parameters built with the insecure opt-in
    /// (tests only).
    ///
    /// # Errors
    /// As [`ModelInterface::from_bytes`].
    pub fn from_bytes_insecure_for_testing_only(bytes: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        parse_bytes(bytes, max_bytes, |r| read_interface(r, true))
    }
}

fn read_interface(r: &mut WireReader<&[u8]>, insecure: bool) -> Result<ModelInterface, WireError> {
    let header = r.open(MessageKind::ModelInterface, None)?;
    let params_bytes = r.frame(MAX_PARAMETER_BYTES)?;
    let loaded = if insecure {
        Parameters::from_bytes_insecure_for_testing_only(&params_bytes, MAX_PARAMETER_BYTES)
    } else {
        Parameters::from_bytes(&params_bytes, MAX_PARAMETER_BYTES)
    };
    let params = loaded.map_err(|source| WireError::Ckks { object: "parameters", index: 0, source })?;
    if params.fingerprint() != header.fingerprint {
        return Err(WireError::ParameterMismatch { expected: params.fingerprint(), found: header.fingerprint });
    }
    let top = params.max_level() as u64;
    let name_len = usize::from(r.u16()?);
    check_range("model name length", name_len as u64, 0, MAX_NAME_BYTES as u64)?;
    let model = String::from_utf8(r.bytes(name_len)?).map_err(|_| WireError::InvalidName)?;

    let slots = u64::from(r.u32()?);
    let max_slots = params.max_slots() as u64;
    check_range("slots", slots, 1, max_slots)?;
    if !slots.is_power_of_two() {
        return Err(WireError::InvalidField { field: "slots", value: slots });
    }
    let input_layout = read_layout(r, slots as usize)?;

    let input_level = u64::from(r.u16()?);
    check_range("input level", input_level, 0, top)?;
    let input_scale = r.f64()?;
    if !(input_scale.is_finite() && input_scale > 0.0) {
        return Err(WireError::InvalidNumber { field: "input scale", value: input_scale });
    }
    let outputs = u64::from(r.u32()?);
    check_range("outputs", outputs, 1, MAX_OUTPUTS as u64)?;
    // 10 bytes per output must be present before the list is allocated.
    r.reserve(outputs * 10)?;
    let mut output_specs = Vec::with_capacity(outputs as usize);
    for _ in 0..outputs {
        let level = u64::from(r.u16()?);
        check_range("output level", level, 0, top)?;
        let scale = r.f64()?;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(WireError::InvalidNumber { field: "output scale", value: scale });
        }
        output_specs.push(OutputSpec { level: level as usize, scale });
    }
    let logit_count = u64::from(r.u32()?);
    check_range("logits", logit_count, 0, MAX_LOGITS as u64)?;
    // 24 bytes per logit must be present before the table is allocated.
    r.reserve(logit_count * 24)?;
    let mut logits = Vec::with_capacity(logit_count as usize);
    for _ in 0..logit_count {
        let ct = u64::from(r.u32()?);
        check_range("logit ciphertext", ct, 0, outputs - 1)?;
        let slot = u64::from(r.u32()?);
        check_range("logit slot", slot, 0, slots - 1)?;
        let scale = finite("logit scale", r.f64()?)?;
        let offset = finite("logit offset", r.f64()?)?;
        logits.push(OutputSlot { ct: ct as usize, slot: slot as usize, scale, offset });
    }

    let key_count = u64::from(r.u32()?);
    check_range("rotation keys", key_count, 0, slots - 1)?;
    r.reserve(key_count * 6)?;
    let (mut rotation_steps, mut rotation_key_levels) = (Vec::new(), Vec::new());
    for _ in 0..key_count {
        let step = u64::from(r.u32()?);
        check_range("rotation step", step, 1, slots - 1)?;
        if let Some(&previous) = rotation_steps.last()
            && step <= previous as u64
        {
            return Err(WireError::UnorderedSteps { previous: previous as u64, step });
        }
        let level = u64::from(r.u16()?);
        check_range("key level", level, 0, top)?;
        rotation_steps.push(step as usize);
        rotation_key_levels.push(level as usize);
    }
    let needs_relinearization = match r.u8()? {
        0 => false,
        1 => true,
        other => return Err(WireError::InvalidField { field: "relinearization key present", value: u64::from(other) }),
    };
    let relinearization_level = u64::from(r.u16()?);
    // Level 0 when absent, so that the encoding stays canonical.
    check_range("relinearization level", relinearization_level, 0, if needs_relinearization { top } else { 0 })?;

    Ok(ModelInterface {
        model,
        slots: slots as usize,
        input_layout,
        input_level: input_level as usize,
        input_scale,
        logits,
        outputs: output_specs,
        rotation_steps,
        rotation_key_levels,
        needs_relinearization,
        relinearization_level: relinearization_level as usize,
        params,
    })
}

/// The input layout, rebuilt through its validating constructors after bounding every field
/// (so that building it allocates at most `MAX_INPUT_CIPHERTEXTS · slots` entries).
fn read_layout(r: &mut WireReader<&[u8]>, slots: usize) -> Result<SlotLayout, WireError> {
    let mut field = |name: &'static str, max: usize| -> Result<usize, WireError> {
        let value = u64::from(r.u32()?);
        check_range(name, value, 1, max as u64)?;
        Ok(value as usize)
    };
    let channels = field("channels", MAX_INPUT_EXTENT)?;
    let height = field("height", MAX_INPUT_EXTENT)?;
    let width = field("width", MAX_INPUT_EXTENT)?;
    let block_height = field("block height", slots)?;
    let block_width = field("block width", slots)?;
    let stride = field("stride", slots)?;
    let phases = field("phases", MAX_PHASES)?;
    let placement = match r.u8()? {
        0 => Placement::Contiguous,
        1 => Placement::Interleaved { group_size: 0 },
        tag => return Err(WireError::InvalidField { field: "placement", value: u64::from(tag) }),
    };
    let group_size = r.u32()? as usize;
    let placement = match placement {
        Placement::Interleaved { .. } => Placement::Interleaved { group_size },
        Placement::Contiguous if group_size == 0 => Placement::Contiguous,
        Placement::Contiguous => return Err(WireError::InvalidField { field: "group size", value: group_size as u64 }),
    };
    // A 1×1 map always fits a block: set the phases, then the real extent (checked).
    let grid = SpatialGrid::new(1, 1, block_height, block_width, stride)?
        .with_phases(phases)?
        .resized(height, width, stride)?;
    let block_len = block_height * block_width;
    check_range("block length", block_len as u64, 1, slots as u64)?;
    let per_ct = slots / block_len;
    // Replicated tensors take one ciphertext per phase; others at most one more than the
    // channels need (interleaved groups round up).
    let upper = (channels.div_ceil(per_ct) + 1) * phases * phases;
    check_range("input ciphertexts", upper as u64, 1, MAX_INPUT_CIPHERTEXTS as u64)?;
    Ok(SlotLayout::new(slots, channels, grid, placement)?)
}

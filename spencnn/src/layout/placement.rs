//! Which channel goes to which block of which ciphertext.

use serde::Serialize;

/// How channels are assigned to the `c` blocks of each ciphertext.
///
/// Both placements replicate channels when the whole tensor needs less than one ciphertext, so a convolution
/// reading it needs fewer channel diagonals (see
/// [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Placement {
    /// Channel `ch` at ciphertext `ch / c`, block `ch % c`. When `C ≤ c / 2`, channels repeat
    /// with period `P = next_pow2(C)`: block `b` holds channel `b mod P` (if `< C`).
    Contiguous,
    /// Group-interleaved encoding for groups of `group_size = s` consecutive channels
    /// (`s` a power of two smaller than `c`): member `t` of group `q` sits at ciphertext
    /// `q / (c/s)`, block `t · (c/s) + q mod (c/s)`. A rotation by `δ · (c/s)` blocks then
    /// shifts every group cyclically by `δ` members at once. With fewer than `c/s` groups, groups
    /// repeat with period `next_pow2(groups)`. Falls back to [`Placement::Contiguous`] when `s`
    /// is not a power of two below `c` or does not divide `C`.
    Interleaved {
        /// Channels per group `s`.
        group_size: usize,
    },
}

impl Placement {
    /// The channel held by each block, for `channels` channels and `per_ct` blocks per ciphertext.
    pub(crate) fn block_table(&self, channels: usize, per_ct: usize) -> Vec<Option<u32>> {
        match *self {
            Placement::Interleaved { group_size: s }
                if s.is_power_of_two() && s < per_ct && channels.is_multiple_of(s) =>
            {
                interleaved(channels, per_ct, s)
            }
            _ => contiguous(channels, per_ct),
        }
    }
}

fn contiguous(channels: usize, per_ct: usize) -> Vec<Option<u32>> {
    let period = channels.next_power_of_two();
    if period < per_ct {
        return (0..per_ct).map(|b| Some(b % period).filter(|&ch| ch < channels).map(|c| c as u32)).collect();
    }
    let cts = channels.div_ceil(per_ct);
    (0..cts * per_ct).map(|i| Some(i).filter(|&ch| ch < channels).map(|c| c as u32)).collect()
}

fn interleaved(channels: usize, per_ct: usize, s: usize) -> Vec<Option<u32>> {
    let groups_per_ct = per_ct / s;
    let groups = channels / s;
    if groups < groups_per_ct {
        let period = groups.next_power_of_two();
        return (0..per_ct)
            .map(|b| {
                let (t, q) = (b / groups_per_ct, (b % groups_per_ct) % period);
                (q < groups).then_some((q * s + t) as u32)
            })
            .collect();
    }
    let cts = groups.div_ceil(groups_per_ct);
    (0..cts * per_ct)
        .map(|i| {
            let (k, b) = (i / per_ct, i % per_ct);
            let (t, q) = (b / groups_per_ct, k * groups_per_ct + b % groups_per_ct);
            (q < groups).then_some((q * s + t) as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tensors_replicate_periodically() {
        let t = Placement::Contiguous.block_table(3, 8);
        let ch: Vec<_> = t.iter().map(|c| c.map(|v| v as i32).unwrap_or(-1)).collect();
        assert_eq!(ch, vec![0, 1, 2, -1, 0, 1, 2, -1]);
        // 2 groups of 4 channels, c = 16, 4 group slots: groups repeat with period 2.
        let t = Placement::Interleaved { group_size: 4 }.block_table(8, 16);
        assert_eq!(t[0], Some(0));
        assert_eq!(t[1], Some(4));
        assert_eq!(t[2], Some(0));
        assert_eq!(t[4], Some(1));
    }
}

//! 2×2 average pooling (stride 2, odd trailing rows/columns dropped) and global average pooling.

use rayon::prelude::*;

use crate::batch::Batch;

/// 2×2 average pooling with stride 2.
pub fn avg_pool2(x: &Batch) -> Batch {
    let (ho, wo) = (x.h / 2, x.w / 2);
    let mut y = Batch::zeros(x.n, x.c, ho, wo);
    y.data.par_chunks_mut((ho * wo).max(1)).zip(x.data.par_chunks(x.plane())).for_each(|(out, inp)| {
        for oy in 0..ho {
            for ox in 0..wo {
                let at = |dy: usize, dx: usize| inp[(2 * oy + dy) * x.w + 2 * ox + dx];
                out[oy * wo + ox] = 0.25 * (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1));
            }
        }
    });
    y
}

/// Input gradient of [`avg_pool2`] for an input of `h × w`.
pub fn avg_pool2_backward(dy: &Batch, h: usize, w: usize) -> Batch {
    let mut dx = Batch::zeros(dy.n, dy.c, h, w);
    dx.data.par_chunks_mut(h * w).zip(dy.data.par_chunks(dy.plane().max(1))).for_each(|(inp, out)| {
        for oy in 0..dy.h {
            for ox in 0..dy.w {
                let g = 0.25 * out[oy * dy.w + ox];
                for (ddy, ddx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    inp[(2 * oy + ddy) * w + 2 * ox + ddx] = g;
                }
            }
        }
    });
    dx
}

/// Mean over each channel plane, giving `c × 1 × 1`.
pub fn global_avg_pool(x: &Batch) -> Batch {
    let inv = 1.0 / x.plane() as f32;
    Batch { n: x.n, c: x.c, h: 1, w: 1, data: x.data.chunks(x.plane()).map(|p| p.iter().sum::<f32>() * inv).collect() }
}

/// Input gradient of [`global_avg_pool`] for an input of `h × w`.
pub fn global_avg_pool_backward(dy: &Batch, h: usize, w: usize) -> Batch {
    let inv = 1.0 / (h * w) as f32;
    Batch { n: dy.n, c: dy.c, h, w, data: dy.data.iter().flat_map(|&g| std::iter::repeat_n(g * inv, h * w)).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    #[test]
    fn backward_passes_match_finite_differences() {
        let x = Batch { n: 2, c: 2, h: 5, w: 4, data: check::values(80, 11, 1.0) };
        let y = avg_pool2(&x);
        assert_eq!([y.h, y.w], [2, 2]);
        let r = check::values(y.data.len(), 12, 1.0);
        let dx = avg_pool2_backward(&Batch { data: r.clone(), ..y }, 5, 4);
        check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 1e-4, |d| {
            check::dot(&r, &avg_pool2(&Batch { data: d.to_vec(), ..x.clone() }).data)
        });
        let y = global_avg_pool(&x);
        let r = check::values(y.data.len(), 13, 1.0);
        let dx = global_avg_pool_backward(&Batch { data: r.clone(), ..y }, 5, 4);
        check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 1e-4, |d| {
            check::dot(&r, &global_avg_pool(&Batch { data: d.to_vec(), ..x.clone() }).data)
        });
    }
}

//! Constant tensors of an ONNX graph (initializers, `Constant` nodes, folded arithmetic) and the
//! few operations constant folding needs, with NumPy broadcasting.

/// Whether a constant holds integers (shapes, axes, indices) or real numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TensorKind {
    /// Real numbers (float32 or float64 in the file).
    Float,
    /// Integers (int32 or int64 in the file), exact in `f64`.
    Int,
}

/// A dense constant, row-major. Invariant: `data.len()` is the product of `dims`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Tensor {
    pub dims: Vec<usize>,
    pub data: Vec<f64>,
    pub kind: TensorKind,
}

impl Tensor {
    /// A rank-1 integer constant.
    pub fn ints(values: &[i64]) -> Self {
        Self { dims: vec![values.len()], data: values.iter().map(|&v| v as f64).collect(), kind: TensorKind::Int }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The values as integers (`None` if some value is not integral).
    pub fn as_ints(&self) -> Option<Vec<i64>> {
        self.data.iter().map(|&v| (v.fract() == 0.0).then_some(v as i64)).collect()
    }

    /// The same data under new dimensions (`None` if the element counts differ).
    pub fn reshaped(&self, dims: Vec<usize>) -> Option<Self> {
        (dims.iter().product::<usize>() == self.len()).then(|| Self { dims, data: self.data.clone(), kind: self.kind })
    }

    /// Element-wise `f(a, b)` with NumPy broadcasting; `None` if the shapes do not broadcast or
    /// the result would exceed `max_elements`.
    pub fn broadcast(&self, other: &Tensor, max_elements: u64, f: impl Fn(f64, f64) -> f64) -> Option<Tensor> {
        let rank = self.dims.len().max(other.dims.len());
        let pad =
            |d: &[usize]| -> Vec<usize> { std::iter::repeat_n(1, rank - d.len()).chain(d.iter().copied()).collect() };
        let (a, b) = (pad(&self.dims), pad(&other.dims));
        let mut dims = Vec::with_capacity(rank);
        for (&x, &y) in a.iter().zip(&b) {
            dims.push(match (x, y) {
                _ if x == y => x,
                (1, _) => y,
                (_, 1) => x,
                _ => return None,
            });
        }
        let total = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))?;
        if total > max_elements {
            return None;
        }
        let strides = |d: &[usize]| -> Vec<usize> {
            let mut s = vec![0; rank];
            let mut acc = 1;
            for i in (0..rank).rev() {
                s[i] = if d[i] == 1 { 0 } else { acc };
                acc *= d[i];
            }
            s
        };
        let (sa, sb) = (strides(&a), strides(&b));
        let mut data = Vec::with_capacity(total as usize);
        let mut index = vec![0usize; rank];
        for _ in 0..total {
            let ia: usize = index.iter().zip(&sa).map(|(i, s)| i * s).sum();
            let ib: usize = index.iter().zip(&sb).map(|(i, s)| i * s).sum();
            data.push(f(self.data[ia], other.data[ib]));
            for axis in (0..rank).rev() {
                index[axis] += 1;
                if index[axis] < dims[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        let kind = if self.kind == TensorKind::Int && other.kind == TensorKind::Int {
            TensorKind::Int
        } else {
            TensorKind::Float
        };
        Some(Tensor { dims, data, kind })
    }

    /// `f` applied to every element.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Tensor {
        Tensor { dims: self.dims.clone(), data: self.data.iter().map(|&v| f(v)).collect(), kind: self.kind }
    }

    /// The transpose of a rank-2 tensor (`None` for other ranks).
    pub fn transposed(&self) -> Option<Tensor> {
        let [r, c] = self.dims[..] else { return None };
        let data = (0..c).flat_map(|j| (0..r).map(move |i| (i, j))).map(|(i, j)| self.data[i * c + j]).collect();
        Some(Tensor { dims: vec![c, r], data, kind: self.kind })
    }

    /// The rank-2 product `self · other` (`None` on a shape mismatch).
    pub fn matmul(&self, other: &Tensor) -> Option<Tensor> {
        let (&[m, k], &[k2, n]) = (self.dims.as_slice(), other.dims.as_slice()) else { return None };
        if k != k2 {
            return None;
        }
        let data = (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| (0..k).map(|t| self.data[i * k + t] * other.data[t * n + j]).sum())
            .collect();
        Some(Tensor { dims: vec![m, n], data, kind: TensorKind::Float })
    }

    /// Concatenation along `axis` (`None` on a shape mismatch).
    pub fn concat(parts: &[Tensor], axis: usize) -> Option<Tensor> {
        let first = parts.first()?;
        let rank = first.dims.len();
        if axis >= rank || parts.iter().any(|p| p.dims.len() != rank) {
            return None;
        }
        let same = |p: &Tensor| (0..rank).all(|d| d == axis || p.dims[d] == first.dims[d]);
        if !parts.iter().all(same) {
            return None;
        }
        let outer: usize = first.dims[..axis].iter().product();
        let mut dims = first.dims.clone();
        dims[axis] = parts.iter().map(|p| p.dims[axis]).sum();
        let mut data = Vec::with_capacity(dims.iter().product());
        for o in 0..outer {
            for p in parts {
                let chunk: usize = p.dims[axis..].iter().product();
                data.extend_from_slice(&p.data[o * chunk..(o + 1) * chunk]);
            }
        }
        let kind = if parts.iter().all(|p| p.kind == TensorKind::Int) { TensorKind::Int } else { TensorKind::Float };
        Some(Tensor { dims, data, kind })
    }

    /// Elements `indices` along axis 0 (`None` if an index is out of range).
    pub fn gather0(&self, indices: &[i64], scalar: bool) -> Option<Tensor> {
        let n = *self.dims.first()? as i64;
        let row: usize = self.dims[1..].iter().product();
        let mut data = Vec::with_capacity(indices.len() * row);
        for &i in indices {
            let i = if i < 0 { i + n } else { i };
            if !(0..n).contains(&i) {
                return None;
            }
            data.extend_from_slice(&self.data[i as usize * row..(i as usize + 1) * row]);
        }
        let mut dims = if scalar { Vec::new() } else { vec![indices.len()] };
        dims.extend_from_slice(&self.dims[1..]);
        Some(Tensor { dims, data, kind: self.kind })
    }
}

/// Normalises a possibly negative `axis` for `rank` dimensions.
pub(crate) fn normalize_axis(axis: i64, rank: usize) -> Option<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    (0..rank as i64).contains(&a).then_some(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(dims: &[usize], data: &[f64]) -> Tensor {
        Tensor { dims: dims.to_vec(), data: data.to_vec(), kind: TensorKind::Float }
    }

    #[test]
    fn broadcasting_follows_numpy() {
        let a = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let row = t(&[3], &[10.0, 20.0, 30.0]);
        let col = t(&[2, 1], &[100.0, 200.0]);
        assert_eq!(a.broadcast(&row, 100, |x, y| x + y).unwrap().data, vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        assert_eq!(a.broadcast(&col, 100, |x, y| x + y).unwrap().data, vec![101.0, 102.0, 103.0, 204.0, 205.0, 206.0]);
        assert_eq!(row.broadcast(&col, 100, |x, y| x * y).unwrap().dims, vec![2, 3]);
        assert!(a.broadcast(&t(&[2], &[1.0, 2.0]), 100, |x, y| x + y).is_none());
        assert!(a.broadcast(&col, 5, |x, y| x + y).is_none(), "size limit");
    }

    #[test]
    fn transpose_matmul_concat_gather() {
        let a = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(a.transposed().unwrap().data, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let p = a.matmul(&a.transposed().unwrap()).unwrap();
        assert_eq!(p.data, vec![14.0, 32.0, 32.0, 77.0]);
        let c = Tensor::concat(&[Tensor::ints(&[1, 2]), Tensor::ints(&[3])], 0).unwrap();
        assert_eq!(c.as_ints().unwrap(), vec![1, 2, 3]);
        assert_eq!(c.gather0(&[-1], true).unwrap().dims, Vec::<usize>::new());
        assert!(c.gather0(&[3], false).is_none());
    }
}

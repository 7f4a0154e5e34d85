//! The one matrix product of the trainer: a safe, bounds-checked front to `matrixmultiply`'s
//! SIMD `sgemm` (run-time AVX/FMA detection, no threads of its own: parallelism is rayon's,
//! over the images of a batch).

/// A row-major matrix operand, possibly read transposed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> MatRef<'a> {
    /// The `rows × cols` row-major matrix stored in `data`.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self { data, rows, cols, transposed: false }
    }

    /// The same storage read as its transpose (`cols × rows`).
    pub(crate) fn t(self) -> Self {
        Self { transposed: !self.transposed, ..self }
    }

    /// `(rows, cols)` as read.
    fn dims(&self) -> (usize, usize) {
        if self.transposed { (self.cols, self.rows) } else { (self.rows, self.cols) }
    }

    /// `(row stride, column stride)` as read.
    fn strides(&self) -> (isize, isize) {
        let (row, col) = (self.cols as isize, 1);
        if self.transposed { (col, row) } else { (row, col) }
    }
}

/// `c ← a · b + beta · c` with `c` row-major `a.rows × b.cols` (as read).
///
/// # Panics
/// If the inner dimensions differ or a slice is shorter than its matrix (a programming error
/// inside the trainer, never a property of user input).
pub(crate) fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let (kb, n) = b.dims();
    assert_eq!(k, kb, "gemm: inner dimensions differ");
    assert!(a.data.len() >= a.rows * a.cols && b.data.len() >= b.rows * b.cols, "gemm: short operand");
    assert!(c.len() >= m * n, "gemm: short output");
    if m == 0 || n == 0 {
        return;
    }
    let ((rsa, csa), (rsb, csb)) = (a.strides(), b.strides());
    // SAFETY: the asserts above guarantee that every index the kernel forms,
    // `i·rs + j·cs` for `i < rows`, `j < cols` of each operand as read, lies inside its slice;
    // `c` is a distinct `&mut` borrow, so it aliases neither input.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            rsa,
            csa,
            b.data.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            }
        }
        c
    }

    fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols).map(|i| x[(i % rows) * cols + i / rows]).collect()
    }

    #[test]
    fn every_transpose_combination_matches_the_naive_product() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.91).cos()).collect();
        let expected = naive(&a, &b, m, k, n);
        let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ar = if ta { MatRef::new(&at, k, m).t() } else { MatRef::new(&a, m, k) };
            let br = if tb { MatRef::new(&bt, n, k).t() } else { MatRef::new(&b, k, n) };
            let mut c = vec![1.0; m * n];
            gemm(ar, br, 1.0, &mut c);
            for (got, want) in c.iter().zip(&expected) {
                assert!((got - want - 1.0).abs() < 1e-5, "{ta} {tb}: {got} vs {want} + 1");
            }
        }
    }
}

//! The encoder's arithmetic on plain `f32` slices, vectorised with `pulp` (safe SIMD chosen
//! at run time: AVX-512 where the processor has it, else AVX2 + FMA) and split over the
//! embedder's pool.
//!
//! Why not candle's tensors (decision 0013, amended): at one sentence a forward pass is ~60
//! small matrix products, and candle asks the operating system for the physical core count
//! (it reads `/proc/cpuinfo`) before every one of them, then hands each to a nested thread
//! pool. That overhead was a quarter of batch-1 time. Here one dense layer is one parallel
//! step, with its bias and activation applied by the thread that computed it.

use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

/// What a dense layer applies to its outputs after the bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    None,
    /// Exact GELU, `x · Φ(x)` with the error function (BERT's `gelu`).
    GeluErf,
}

/// `rows × inp` times the transpose of `weight` (`out × inp`, as stored) plus `bias`:
/// `rows × out`. The output columns are split into `threads` contiguous ranges, one per
/// worker of the current pool.
pub(crate) fn dense(
    arch: Arch,
    x: &[f32],
    rows: usize,
    weight: &[f32],
    bias: &[f32],
    threads: usize,
    activation: Activation,
) -> Vec<f32> {
    let out = bias.len();
    let inp = weight.len() / out.max(1);
    debug_assert_eq!(x.len(), rows * inp);
    debug_assert_eq!(weight.len(), out * inp);
    // Ranges are multiples of the 4-row tile, so only the last one has a ragged edge.
    let span = out.div_ceil(threads.max(1)).div_ceil(4) * 4;
    let ranges: Vec<(usize, usize)> = (0..out)
        .step_by(span.max(1))
        .map(|start| (start, (start + span).min(out)))
        .collect();
    let compute = |&(start, end): &(usize, usize)| {
        let width = end - start;
        let mut part = vec![0.0f32; rows * width];
        arch.dispatch(Tile {
            x,
            inp,
            rows,
            weight: &weight[start * inp..end * inp],
            out: &mut part,
            width,
        });
        let bias = &bias[start..end];
        // Inside a dispatch so the plain loops below are compiled for the same SIMD level.
        arch.dispatch(|| {
            for row in part.chunks_exact_mut(width) {
                for (y, b) in row.iter_mut().zip(bias) {
                    *y += b;
                }
                if activation == Activation::GeluErf {
                    for y in row.iter_mut() {
                        *y = gelu_erf(*y);
                    }
                }
            }
        });
        (start, width, part)
    };
    let parts: Vec<(usize, usize, Vec<f32>)> = if ranges.len() > 1 {
        ranges.par_iter().map(compute).collect()
    } else {
        ranges.iter().map(compute).collect()
    };
    let mut y = vec![0.0f32; rows * out];
    for (start, width, part) in parts {
        for (dst, src) in y.chunks_exact_mut(out).zip(part.chunks_exact(width)) {
            dst[start..start + width].copy_from_slice(src);
        }
    }
    y
}

#[inline(always)]
fn gelu_erf(v: f32) -> f32 {
    0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function as a branch-free rational approximation (the minimax fit Eigen and XLA
/// use for `f32`), so a loop of it vectorises; within 1e-6 of the exact value everywhere
/// (tested against `libm`). `libm::erff` branched per value and was a tenth of a pass.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2.mul_add(-2.726_142_3e-10, 2.770_681_4e-8);
    p = x2.mul_add(p, -2.101_024e-6);
    p = x2.mul_add(p, -5.692_506_4e-5);
    p = x2.mul_add(p, -7.349_906_3e-4);
    p = x2.mul_add(p, -2.954_600_2e-3);
    p = x2.mul_add(p, -1.609_603_3e-2);
    let mut q = x2.mul_add(-1.456_607_2e-5, -2.133_740_6e-4);
    q = x2.mul_add(q, -1.682_827e-3);
    q = x2.mul_add(q, -7.373_329e-3);
    q = x2.mul_add(q, -1.426_474e-2);
    x * p / q
}

/// One worker's share of a dense layer: `out[r][o] = x[r] · weight[o]` (no bias).
struct Tile<'a> {
    x: &'a [f32],
    inp: usize,
    rows: usize,
    weight: &'a [f32],
    out: &'a mut [f32],
    width: usize,
}

impl WithSimd for Tile<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Tile {
            x,
            inp,
            rows,
            weight,
            out,
            width,
        } = self;
        // 4 weight rows × 3 input rows: 12 accumulators, 7 loads per 12 multiply-adds,
        // which fits AVX2's 16 registers (AVX-512 has 32) and keeps both FMA units busy.
        let row = |o: usize| &weight[o * inp..(o + 1) * inp];
        let mut o = 0;
        while o + 4 <= width {
            let w = [row(o), row(o + 1), row(o + 2), row(o + 3)];
            over_rows::<S, 4>(simd, w, x, inp, rows, out, width, o);
            o += 4;
        }
        while o < width {
            let w = [row(o)];
            over_rows::<S, 1>(simd, w, x, inp, rows, out, width, o);
            o += 1;
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn over_rows<S: Simd, const O: usize>(
    simd: S,
    w: [&[f32]; O],
    x: &[f32],
    inp: usize,
    rows: usize,
    out: &mut [f32],
    width: usize,
    o: usize,
) {
    let row = |r: usize| &x[r * inp..(r + 1) * inp];
    let mut r = 0;
    if O == 4 {
        while r + 3 <= rows {
            let sums = dots_4x3(
                simd,
                [w[0], w[1], w[2], w[3]],
                [row(r), row(r + 1), row(r + 2)],
            );
            for (j, sums) in sums.iter().enumerate() {
                out[(r + j) * width + o..(r + j) * width + o + 4].copy_from_slice(sums);
            }
            r += 3;
        }
    }
    while r < rows {
        for (i, w) in w.iter().enumerate() {
            out[r * width + o + i] = dot(simd, w, row(r));
        }
        r += 1;
    }
}

/// The 12 dot products of 4 weight rows with 3 input rows (all of one length), as
/// `[input row][weight row]`. Twelve named accumulators: written as an array, they were kept
/// in memory and stored back on every step.
#[inline(always)]
fn dots_4x3<S: Simd>(simd: S, w: [&[f32]; 4], x: [&[f32]; 3]) -> [[f32; 4]; 3] {
    let (w0, w0t) = S::as_simd_f32s(w[0]);
    let (w1, w1t) = S::as_simd_f32s(w[1]);
    let (w2, w2t) = S::as_simd_f32s(w[2]);
    let (w3, w3t) = S::as_simd_f32s(w[3]);
    let (x0, x0t) = S::as_simd_f32s(x[0]);
    let (x1, x1t) = S::as_simd_f32s(x[1]);
    let (x2, x2t) = S::as_simd_f32s(x[2]);
    let n = w0.len();
    let (w1, w2, w3, x0, x1, x2) = (&w1[..n], &w2[..n], &w3[..n], &x0[..n], &x1[..n], &x2[..n]);
    let z = simd.splat_f32s(0.0);
    let (mut a00, mut a01, mut a02, mut a10, mut a11, mut a12) = (z, z, z, z, z, z);
    let (mut a20, mut a21, mut a22, mut a30, mut a31, mut a32) = (z, z, z, z, z, z);
    for k in 0..n {
        let (p0, p1, p2) = (x0[k], x1[k], x2[k]);
        let q = w0[k];
        a00 = simd.mul_add_f32s(q, p0, a00);
        a01 = simd.mul_add_f32s(q, p1, a01);
        a02 = simd.mul_add_f32s(q, p2, a02);
        let q = w1[k];
        a10 = simd.mul_add_f32s(q, p0, a10);
        a11 = simd.mul_add_f32s(q, p1, a11);
        a12 = simd.mul_add_f32s(q, p2, a12);
        let q = w2[k];
        a20 = simd.mul_add_f32s(q, p0, a20);
        a21 = simd.mul_add_f32s(q, p1, a21);
        a22 = simd.mul_add_f32s(q, p2, a22);
        let q = w3[k];
        a30 = simd.mul_add_f32s(q, p0, a30);
        a31 = simd.mul_add_f32s(q, p1, a31);
        a32 = simd.mul_add_f32s(q, p2, a32);
    }
    let tail = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f32>();
    let sum = |acc, a, b| simd.reduce_sum_f32s(acc) + tail(a, b);
    [
        [
            sum(a00, w0t, x0t),
            sum(a10, w1t, x0t),
            sum(a20, w2t, x0t),
            sum(a30, w3t, x0t),
        ],
        [
            sum(a01, w0t, x1t),
            sum(a11, w1t, x1t),
            sum(a21, w2t, x1t),
            sum(a31, w3t, x1t),
        ],
        [
            sum(a02, w0t, x2t),
            sum(a12, w1t, x2t),
            sum(a22, w2t, x2t),
            sum(a32, w3t, x2t),
        ],
    ]
}

/// Dot product of two equal-length slices.
#[inline(always)]
fn dot<S: Simd>(simd: S, a: &[f32], b: &[f32]) -> f32 {
    let (av, at) = S::as_simd_f32s(a);
    let (bv, bt) = S::as_simd_f32s(b);
    let mut acc = simd.splat_f32s(0.0);
    for (p, q) in av.iter().zip(bv) {
        acc = simd.mul_add_f32s(*p, *q, acc);
    }
    simd.reduce_sum_f32s(acc) + at.iter().zip(bt).map(|(p, q)| p * q).sum::<f32>()
}

/// Self-attention over one sequence: `qkv` is `seq × 3·hidden` (queries, keys, values side by
/// side, each split into `heads` heads); `real` tells which positions are tokens rather than
/// padding (padding is never attended to). Returns `seq × hidden`.
pub(crate) struct Attention<'a> {
    pub qkv: &'a [f32],
    pub real: &'a [bool],
    pub heads: usize,
    pub hidden: usize,
    pub out: &'a mut [f32],
}

impl WithSimd for Attention<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Attention {
            qkv,
            real,
            heads,
            hidden,
            out,
        } = self;
        let seq = real.len();
        let d = hidden / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let stride = 3 * hidden;
        let mut probs = vec![0.0f32; seq];
        let mut context = vec![0.0f32; d];
        for h in 0..heads {
            let (qo, ko, vo) = (h * d, hidden + h * d, 2 * hidden + h * d);
            for i in 0..seq {
                let q = &qkv[i * stride + qo..i * stride + qo + d];
                let mut max = f32::NEG_INFINITY;
                for (j, p) in probs.iter_mut().enumerate() {
                    *p = if real[j] {
                        dot(simd, q, &qkv[j * stride + ko..j * stride + ko + d]) * scale
                    } else {
                        f32::NEG_INFINITY
                    };
                    max = max.max(*p);
                }
                let mut total = 0.0;
                for p in probs.iter_mut() {
                    *p = (*p - max).exp();
                    total += *p;
                }
                context.fill(0.0);
                for (j, p) in probs.iter().enumerate() {
                    if *p == 0.0 {
                        continue;
                    }
                    let v = &qkv[j * stride + vo..j * stride + vo + d];
                    let weight = p / total;
                    for (c, v) in context.iter_mut().zip(v) {
                        *c += weight * v;
                    }
                }
                out[i * hidden + h * d..i * hidden + (h + 1) * d].copy_from_slice(&context);
            }
        }
    }
}

/// Layer normalisation of each `width`-long row in place (biased variance, as BERT).
pub(crate) fn layer_norm(x: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let width = weight.len();
    for row in x.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / width as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], rows: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
        let out = b.len();
        let inp = w.len() / out;
        let mut y = vec![0.0; rows * out];
        for r in 0..rows {
            for o in 0..out {
                let mut s = b[o] as f64;
                for k in 0..inp {
                    s += x[r * inp + k] as f64 * w[o * inp + k] as f64;
                }
                y[r * out + o] = s as f32;
            }
        }
        y
    }

    /// Every ragged edge: rows not a multiple of 3, outputs not a multiple of 4 or of the
    /// thread split, inputs not a multiple of the vector width.
    #[test]
    fn dense_matches_the_definition_on_ragged_shapes() {
        let arch = Arch::new();
        for (rows, inp, out, threads) in [
            (1, 384, 1536, 2),
            (2, 33, 7, 2),
            (5, 17, 13, 3),
            (7, 8, 4, 1),
            (3, 1, 1, 4),
            (0, 16, 8, 2),
        ] {
            let x: Vec<f32> = (0..rows * inp)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0)
                .collect();
            let w: Vec<f32> = (0..out * inp)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..out).map(|i| i as f32 / 10.0).collect();
            let got = dense(arch, &x, rows, &w, &b, threads, Activation::None);
            let want = naive(&x, rows, &w, &b);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-3 * (1.0 + w.abs()),
                    "{rows}x{inp}x{out}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn erf_is_within_a_millionth_of_the_exact_function() {
        let mut worst = 0.0f64;
        for i in -120_000..=120_000 {
            let x = i as f32 / 10_000.0;
            let err = (erf(x) as f64 - libm::erf(x as f64)).abs();
            worst = worst.max(err);
        }
        assert!(worst < 1e-6, "worst error {worst:e}");
    }

    #[test]
    fn gelu_is_exact_at_known_points() {
        assert_eq!(gelu_erf(0.0), 0.0);
        assert!((gelu_erf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu_erf(-1.0) + 0.158_655_26).abs() < 1e-6);
    }
}

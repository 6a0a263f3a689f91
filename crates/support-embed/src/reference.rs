//! The 2,000 reference texts and the vectors sentence-transformers computed for them
//! (`tests/minilm-reference/README.md`): the fidelity test and `skill bench embed` use both.

const TEXTS: &str = include_str!("../tests/minilm-reference/minilm_bitext2000.txt");
const VECTORS: &[u8] = include_bytes!("../tests/minilm-reference/minilm_bitext2000.f32");

/// Dimensions of the reference vectors.
pub const DIM: usize = 384;

/// The texts, in file order.
pub fn texts() -> Vec<&'static str> {
    TEXTS.lines().collect()
}

/// Row `i` is the reference vector of `texts()[i]`.
pub fn vectors() -> Vec<Vec<f32>> {
    VECTORS
        .chunks_exact(DIM * 4)
        .map(|row| {
            row.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect()
}

/// Cosine similarity; both inputs need not be normalised.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

//! Fuzz-ish, without proptest: ~2,000 deterministic garbage header values through every
//! verifier. None may panic, and none may accept.

use support_signing::{front, slack, stripe, support};

/// Numerical Recipes' 64-bit LCG; deterministic so a failure is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "t=",
    "v1=",
    "v0=",
    "v2=",
    ",",
    "=",
    "==",
    " ",
    "t",
    "v1",
    "0",
    "1767225600",
    "1767225600000",
    "99999999999999999999",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "deadbeef",
    "DEADBEEF",
    "5f33d86d8782e03ee170fa70d86dbd4c5df0b702bf2ff746b79f1d2ec9118f60",
    "GZF3isU7mSiMOYUjK0hP1+w73EfWccvR8d3/LA4ruGg=",
    "+/",
    "\u{e9}",
    "\u{1F600}",
    "\u{0}",
    "\r\n",
    "\u{202E}",
    "whsec_",
    "%",
    ";",
    "t=1767225600,v1=",
    "\u{FEFF}",
];

fn garbage(rng: &mut Lcg) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(12) {
        if rng.below(4) == 0 {
            // A random printable or non-ASCII char, or a random valid scalar value.
            let c = char::from_u32(rng.next() as u32 % 0x11_0000).unwrap_or('\u{FFFD}');
            s.push(c);
        } else {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
    }
    s
}

#[test]
fn garbage_headers_never_panic_and_never_verify() {
    let mut rng = Lcg(0x5EED);
    let secrets: &[&[u8]] = &[b"whsec_test_secret", b""];
    let now = 1_767_225_600;
    for i in 0..2_000 {
        let a = garbage(&mut rng);
        let b = garbage(&mut rng);
        let body = garbage(&mut rng);
        let body = body.as_bytes();
        // Exercise odd clocks too, including the extremes.
        let now = match i % 4 {
            0 => now,
            1 => i64::MAX,
            2 => i64::MIN,
            _ => -1,
        };
        let results = [
            (
                "support",
                support::verify(Some(&a), body, secrets, now, 300),
            ),
            (
                "stripe",
                stripe::verify(Some(&a), body, secrets, now, i64::MAX),
            ),
            (
                "slack",
                slack::verify(Some(&a), Some(&b), body, secrets, now, 300),
            ),
            (
                "slack ts",
                slack::verify(Some(&b), Some(&a), body, secrets, now, 300),
            ),
            (
                "front",
                front::verify(Some(&a), Some(&b), body, secrets, now),
            ),
            (
                "front ts",
                front::verify(Some(&b), Some(&a), body, secrets, now),
            ),
            ("front rule", front::verify_rule(Some(&a), body, secrets)),
        ];
        for (which, got) in results {
            assert!(got.is_err(), "{which} accepted {a:?} / {b:?}");
        }
    }
}

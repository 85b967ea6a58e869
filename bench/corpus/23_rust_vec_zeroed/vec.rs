// A decoder that allocates a zeroed 64 MiB frame buffer per frame and writes
// only the first 1 MiB of it (most frames are small).
//
// Built with `--cfg resize` it grows an empty Vec with `resize(n, 0)`, which
// writes every zero byte itself and so faults in all 64 MiB. Without it the
// buffer is `vec![0u8; n]`, which Rust allocates with alloc_zeroed (calloc):
// glibc takes fresh, already zero pages from the kernel and never writes them,
// so only the pages the frame touches are faulted in.
use std::env;


const FRAME: usize = 64 << 20;
const USED: usize = 1 << 20;

fn frame() -> Vec<u8> {
    #[cfg(resize)]
    {
        // black_box keeps the compiler from turning this back into calloc
        let mut v = Vec::with_capacity(FRAME);
        v.resize(FRAME, std::hint::black_box(0u8));
        v
    }
    #[cfg(not(resize))]
    {
        vec![0u8; FRAME]
    }
}

fn main() {
    let n: usize = env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut sum: u64 = 0;
    for it in 0..n {
        let mut v = frame();
        for i in 0..USED {
            v[i] = (i + it) as u8;
        }
        sum += v[it % USED] as u64 + v[FRAME - 1] as u64;
    }
    println!("{}", sum);
}

//! `lapor-local bench-attachments`: what checking one upload costs the attachments function:
//! a phone-sized photo (synthetic: gradients and noise, so JPEG cannot compress it to nothing)
//! decoded, re-encoded without metadata and previewed, as `attachments::clean` does; the time of
//! each of a few rounds and the process's peak memory.

use lapor::attachments::{clean, MediaType};
use std::time::Instant;

pub fn run(megapixels: u32, rounds: u32) -> anyhow::Result<()> {
    let megapixels = megapixels.clamp(1, 40);
    // 4:3, as phones shoot.
    let width = ((f64::from(megapixels) * 1e6 * 4.0 / 3.0).sqrt()) as u32;
    let height = width * 3 / 4;
    let mut seed: u32 = 0x9E37_79B9;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed & 0x1F) as u8;
        image::Rgb([
            ((x * 255 / width) as u8).wrapping_add(noise),
            ((y * 255 / height) as u8).wrapping_add(noise),
            (((x + y) * 127 / (width + height)) as u8).wrapping_add(noise),
        ])
    });
    let mut photo = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 90).encode_image(&pixels)?;
    drop(pixels);
    println!(
        "photo: {width}x{height} ({:.1} MP), JPEG {:.1} MiB",
        f64::from(width * height) / 1e6,
        photo.len() as f64 / 1048576.0
    );
    let before = peak_rss_mib();
    for round in 1..=rounds.max(1) {
        let started = Instant::now();
        let cleaned = clean::clean(MediaType::Jpeg, &photo)
            .map_err(|e| anyhow::anyhow!("the photo did not pass: {e}"))?;
        println!(
            "round {round}: {:.0} ms  file {:.1} MiB  preview {} KiB",
            started.elapsed().as_secs_f64() * 1000.0,
            cleaned.body.len() as f64 / 1048576.0,
            cleaned.preview.map(|p| p.len() / 1024).unwrap_or(0)
        );
    }
    match (before, peak_rss_mib()) {
        (Some(before), Some(after)) => println!(
            "peak memory of the process: {after} MiB ({before} MiB before the first check)"
        ),
        _ => println!("peak memory: not readable here (/proc/self/status)"),
    }
    Ok(())
}

/// The process's peak resident memory (`VmHWM`), Linux only.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

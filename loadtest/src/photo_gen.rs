//! Synthetic camera photos for the ingest benchmark: deterministic JPEGs that compress like
//! photographs (a few megabytes at 12 megapixels), not like flat test cards.
//!
//! Each photo is a scene made of smooth parts (a sky and a ground gradient split by a wavy
//! horizon, soft blobs of colour, a vignette), mid- and fine-scale texture (value noise,
//! strong on the ground and faint in the sky, like foliage against sky) and per-pixel
//! sensor noise, then encoded at quality 92 (by default) with a small EXIF block (make, model,
//! orientation 1, capture time and offset), as a phone or camera writes it. Everything
//! comes from a seed, so a run is repeatable; every photo of a run differs from the others.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub width: u32,
    pub height: u32,
    /// JPEG quality (1..=100).
    pub quality: u8,
    pub seed: u64,
}

impl Default for Spec {
    /// 12 megapixels (4000 × 3000) at quality 92, about what phones write.
    fn default() -> Spec {
        Spec {
            width: 4000,
            height: 3000,
            quality: 92,
            seed: 0x00f0_1105,
        }
    }
}

/// One generated photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The file name to upload it as.
    pub name: String,
    pub jpeg: Bytes,
}

/// Bumped whenever the generator's output changes, so cached files are not reused.
const GENERATOR_VERSION: u32 = 1;

/// Generates (or loads from `cache_dir`, when given and already generated there) `count`
/// photos, spread over the threads this process may use. Returns the photos and the
/// seconds spent generating (0 when all came from the cache).
pub fn generate_all(
    spec: Spec,
    count: usize,
    cache_dir: Option<&Path>,
) -> anyhow::Result<(Vec<Photo>, f64)> {
    let start = Instant::now();
    if let Some(dir) = cache_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    type Slot = Mutex<Option<anyhow::Result<(Photo, bool)>>>;
    let slots: Vec<Slot> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(count.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                *slots[i].lock().expect("slot") = Some(one(spec, i, cache_dir));
            });
        }
    });
    let mut photos = Vec::with_capacity(count);
    let mut generated = false;
    for slot in slots {
        let (photo, fresh) = slot
            .into_inner()
            .expect("slot")
            .expect("every slot filled")?;
        generated |= fresh;
        photos.push(photo);
    }
    Ok((
        photos,
        if generated {
            start.elapsed().as_secs_f64()
        } else {
            0.0
        },
    ))
}

/// Photo `index` of a run: from the cache if there, else generated (and cached). The flag
/// says whether it was generated.
fn one(spec: Spec, index: usize, cache_dir: Option<&Path>) -> anyhow::Result<(Photo, bool)> {
    let name = format!("IMG_{:04}.jpg", index + 1);
    let cached = cache_dir.map(|d| {
        d.join(format!(
            "v{GENERATOR_VERSION}-{}x{}-q{}-seed{:x}-{index:04}.jpg",
            spec.width, spec.height, spec.quality, spec.seed
        ))
    });
    if let Some(path) = &cached {
        if let Ok(bytes) = std::fs::read(path) {
            return Ok((
                Photo {
                    name,
                    jpeg: Bytes::from(bytes),
                },
                false,
            ));
        }
    }
    let jpeg = encode(spec, index)?;
    if let Some(path) = &cached {
        // Write then rename, so a run killed halfway leaves no truncated file behind.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &jpeg).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path)?;
    }
    Ok((
        Photo {
            name,
            jpeg: Bytes::from(jpeg),
        },
        true,
    ))
}

/// Renders photo `index` of `spec` and encodes it as a JPEG.
pub fn encode(spec: Spec, index: usize) -> anyhow::Result<Vec<u8>> {
    let rgb = render(spec, index);
    let mut out = Vec::with_capacity(rgb.len() / 6);
    let mut enc = JpegEncoder::new_with_quality(&mut out, spec.quality);
    enc.set_exif_metadata(exif(index))
        .map_err(|e| anyhow::anyhow!("exif: {e}"))?;
    enc.write_image(&rgb, spec.width, spec.height, ExtendedColorType::Rgb8)
        .context("encoding a JPEG")?;
    Ok(out)
}

/// SplitMix64: small, fast and the same on every platform and crate version.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    fn color(&mut self, lo: f32, hi: f32) -> [f32; 3] {
        [self.range(lo, hi), self.range(lo, hi), self.range(lo, hi)]
    }
}

fn lerp3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// One octave of 2-D value noise: random values on a lattice, smoothly interpolated.
struct Octave {
    cell: f32,
    cols: usize,
    grid: Vec<f32>,
    amp: f32,
}

impl Octave {
    fn new(rng: &mut Rng, width: u32, height: u32, cell: f32, amp: f32) -> Octave {
        let cols = (width as f32 / cell) as usize + 2;
        let rows = (height as f32 / cell) as usize + 2;
        let grid = (0..cols * rows).map(|_| rng.range(-1.0, 1.0)).collect();
        Octave {
            cell,
            cols,
            grid,
            amp,
        }
    }
}

/// Per-column lookups of one octave: lattice column and smoothed weight.
struct OctaveCols {
    idx: Vec<u32>,
    w: Vec<f32>,
}

fn render(spec: Spec, index: usize) -> Vec<u8> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let mut rng = Rng::new(spec.seed ^ (index as u64 + 1).wrapping_mul(0xd1b5_4a32_d192_ed03));
    // The scene.
    let warm = rng.unit();
    let sky_top = lerp3([40.0, 80.0, 170.0], [120.0, 70.0, 90.0], warm * 0.6);
    let sky_bottom = lerp3([170.0, 200.0, 235.0], [250.0, 190.0, 130.0], warm);
    let ground_top = rng.color(50.0, 150.0);
    let ground_bottom = rng.color(15.0, 80.0);
    let horizon_base = rng.range(0.35, 0.65) * h as f32;
    // 6.283 (not TAU) is part of the generator: the cached benchmark photos depend on it.
    #[allow(clippy::approx_constant)]
    let waves: Vec<(f32, f32, f32)> = (0..4)
        .map(|k| {
            (
                rng.range(0.005, 0.05) * h as f32 / (k + 1) as f32,
                rng.range(1.0, 6.0) * (k + 1) as f32,
                rng.range(0.0, 6.283),
            )
        })
        .collect();
    let horizon: Vec<f32> = (0..w)
        .map(|x| {
            let u = x as f32 / w as f32 * std::f32::consts::TAU;
            horizon_base
                + waves
                    .iter()
                    .map(|(a, f, p)| a * (u * f + p).sin())
                    .sum::<f32>()
        })
        .collect();
    // Soft blobs of colour (subjects, out-of-focus highlights); separable Gaussians.
    let blob_count = 5 + (rng.next_u64() % 5) as usize;
    // (row weights, column weights, colour, strength) of each blob.
    type Blob = (Vec<f32>, Vec<f32>, [f32; 3], f32);
    let blobs: Vec<Blob> = (0..blob_count)
        .map(|_| {
            let (cx, cy) = (rng.range(0.0, w as f32), rng.range(0.0, h as f32));
            let (rx, ry) = (
                rng.range(0.03, 0.25) * w as f32,
                rng.range(0.03, 0.25) * h as f32,
            );
            let gx = (0..w)
                .map(|x| (-((x as f32 - cx) / rx).powi(2)).exp())
                .collect();
            let gy = (0..h)
                .map(|y| (-((y as f32 - cy) / ry).powi(2)).exp())
                .collect();
            (gx, gy, rng.color(10.0, 245.0), rng.range(0.3, 0.9))
        })
        .collect();
    // Texture: coarse to fine.
    let octaves = [
        Octave::new(&mut rng, spec.width, spec.height, 160.0, 0.50),
        Octave::new(&mut rng, spec.width, spec.height, 40.0, 0.30),
        Octave::new(&mut rng, spec.width, spec.height, 9.0, 0.30),
        Octave::new(&mut rng, spec.width, spec.height, 2.5, 0.22),
    ];
    let cols: Vec<OctaveCols> = octaves
        .iter()
        .map(|o| {
            let mut oc = OctaveCols {
                idx: Vec::with_capacity(w),
                w: Vec::with_capacity(w),
            };
            for x in 0..w {
                let fx = x as f32 / o.cell;
                oc.idx.push(fx as u32);
                oc.w.push(smooth(fx.fract()));
            }
            oc
        })
        .collect();
    let texture_ground = rng.range(45.0, 70.0);
    let texture_sky = rng.range(6.0, 14.0);
    let noise_sigma = rng.range(4.5, 9.0);
    let vignette = rng.range(0.15, 0.35);
    let vx: Vec<f32> = (0..w)
        .map(|x| 1.0 - vignette * ((x as f32 / w as f32) * 2.0 - 1.0).powi(2))
        .collect();

    let mut out = vec![0u8; w * h * 3];
    let mut tex_row = vec![0f32; w];
    for y in 0..h {
        let yf = y as f32;
        // This row's texture.
        tex_row.iter_mut().for_each(|t| *t = 0.0);
        for (o, oc) in octaves.iter().zip(&cols) {
            let fy = yf / o.cell;
            let (gy, wy) = (fy as usize, smooth(fy.fract()));
            let (r0, r1) = (
                &o.grid[gy * o.cols..(gy + 1) * o.cols],
                &o.grid[(gy + 1) * o.cols..(gy + 2) * o.cols],
            );
            for ((t, &idx), &wx) in tex_row.iter_mut().zip(&oc.idx).zip(&oc.w).take(w) {
                let i = idx as usize;
                let top = r0[i] + (r0[i + 1] - r0[i]) * wx;
                let bottom = r1[i] + (r1[i + 1] - r1[i]) * wx;
                *t += o.amp * (top + (bottom - top) * wy);
            }
        }
        let vy = 1.0 - vignette * ((yf / h as f32) * 2.0 - 1.0).powi(2);
        let row = &mut out[y * w * 3..(y + 1) * w * 3];
        for x in 0..w {
            let hz = horizon[x];
            // Sky above the horizon, ground below, blended over a few pixels.
            let sky = lerp3(sky_top, sky_bottom, (yf / hz).min(1.0));
            let ground = lerp3(
                ground_top,
                ground_bottom,
                ((yf - hz) / (h as f32 - hz)).clamp(0.0, 1.0),
            );
            let g = ((yf - hz) / 3.0 + 0.5).clamp(0.0, 1.0);
            let mut c = lerp3(sky, ground, g);
            for (gx, gy, color, strength) in &blobs {
                let a = gx[x] * gy[y] * strength;
                if a > 0.002 {
                    c = lerp3(c, *color, a);
                }
            }
            let texture = tex_row[x] * (texture_sky + (texture_ground - texture_sky) * g);
            // Sensor noise: mostly luminance, a little colour. Two uniforms make a
            // triangular distribution with a standard deviation of about 0.41.
            let r = rng.next_u64();
            let tri = |shift: u32| {
                (((r >> shift) & 0xffff) as f32 + ((r >> (shift + 16)) & 0xffff) as f32) / 65535.0
                    - 1.0
            };
            let luma = tri(0) * noise_sigma * 2.45;
            let chroma = tri(32) * noise_sigma * 0.8;
            let shade = vx[x] * vy;
            let px = &mut row[x * 3..x * 3 + 3];
            px[0] = ((c[0] + texture + luma + chroma) * shade).clamp(0.0, 255.0) as u8;
            px[1] = ((c[1] + texture + luma) * shade).clamp(0.0, 255.0) as u8;
            px[2] = ((c[2] + texture * 0.9 + luma - chroma) * shade).clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// A little-endian TIFF block with IFD0 (Make, Model, Orientation = 1, the Exif IFD
/// pointer) and an Exif IFD (DateTimeOriginal, OffsetTimeOriginal), as cameras write.
/// Photo `index` was taken `index` minutes after the first.
fn exif(index: usize) -> Vec<u8> {
    let minutes = 9 * 60 + index;
    let taken = format!(
        "2025:06:14 {:02}:{:02}:{:02}\0",
        (minutes / 60) % 24,
        minutes % 60,
        (index * 7) % 60
    );
    let make = b"Folio\0".to_vec();
    let model = b"Synthetic 12MP\0".to_vec();
    let offset = b"+02:00\0".to_vec();

    // Layout: header (8), IFD0 (4 entries), Exif IFD (2 entries), then the values.
    let ifd_len = |n: usize| 2 + n * 12 + 4;
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd_len(4);
    let mut data_at = exif_at + ifd_len(2);
    let mut data = Vec::new();
    let mut place = |bytes: &[u8]| {
        let at = data_at;
        data.extend_from_slice(bytes);
        if bytes.len() % 2 == 1 {
            data.push(0);
        }
        data_at += bytes.len().div_ceil(2) * 2;
        at as u32
    };
    let (make_at, model_at, taken_at, offset_at) = (
        place(&make),
        place(&model),
        place(taken.as_bytes()),
        place(&offset),
    );

    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&(ifd0_at as u32).to_le_bytes());
    let entry = |out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    };
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    out.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut out, 0x010f, ASCII, make.len() as u32, make_at);
    entry(&mut out, 0x0110, ASCII, model.len() as u32, model_at);
    entry(&mut out, 0x0112, SHORT, 1, 1);
    entry(&mut out, 0x8769, LONG, 1, exif_at as u32);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut out, 0x9003, ASCII, taken.len() as u32, taken_at);
    entry(&mut out, 0x9011, ASCII, offset.len() as u32, offset_at);
    out.extend_from_slice(&0u32.to_le_bytes());
    debug_assert_eq!(out.len(), exif_at + ifd_len(2));
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_photos_decode_and_repeat() {
        let spec = Spec {
            width: 320,
            height: 240,
            quality: 90,
            seed: 7,
        };
        let a = encode(spec, 0).unwrap();
        assert_eq!(a, encode(spec, 0).unwrap(), "same seed, same bytes");
        assert_ne!(a, encode(spec, 1).unwrap(), "photos differ");
        let img = image::load_from_memory(&a).unwrap();
        assert_eq!((img.width(), img.height()), (320, 240));
    }

    #[test]
    fn exif_block_is_well_formed() {
        let e = exif(3);
        assert_eq!(&e[..4], b"II*\0");
        // IFD0 has four entries; the Exif IFD pointer (the fourth) points past IFD0.
        assert_eq!(u16::from_le_bytes([e[8], e[9]]), 4);
        let exif_at =
            u32::from_le_bytes(e[10 + 3 * 12 + 8..10 + 3 * 12 + 12].try_into().unwrap()) as usize;
        assert_eq!(u16::from_le_bytes([e[exif_at], e[exif_at + 1]]), 2);
        let taken_at =
            u32::from_le_bytes(e[exif_at + 2 + 8..exif_at + 2 + 12].try_into().unwrap()) as usize;
        assert_eq!(&e[taken_at..taken_at + 19], b"2025:06:14 09:03:21");
    }
}

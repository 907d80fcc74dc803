//! Pictures made for tests: small valid images and hostile ones.

use image::{DynamicImage, Rgb, RgbImage};

/// A JPEG of `w`×`h` pixels: a smooth gradient.
pub fn gradient_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    }));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .expect("encode JPEG");
    out
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` RGB pixels, with a
/// valid CRC and a tiny IDAT: a decompression bomb's shape without its payload.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // zlib: one empty stored block, Adler-32 of nothing.
    chunk(
        &mut png,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
        ],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A small EXIF-less JPEG, landscape, portrait or square by `i` (the `i % 3`-th of
/// `shapes`), each `i` in its own colours: a distinct photo per number, for suites that
/// upload many.
pub fn numbered_jpeg(i: usize, shapes: [(u32, u32); 3]) -> Vec<u8> {
    let (w, h) = shapes[i % 3];
    let base = [
        (i * 53 % 256) as u32,
        (i * 97 % 256) as u32,
        (i * 151 % 256) as u32,
    ];
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            ((base[0] + x * 64 / w) % 256) as u8,
            ((base[1] + y * 64 / h) % 256) as u8,
            ((base[2] + (x + y) * 32 / (w + h)) % 256) as u8,
        ])
    }));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .expect("encode JPEG");
    out
}

//! Picture seeds for the photo decoder: tiny files encoded by `image`, some with hand-built
//! EXIF, and PNG and JPEG containers built by hand.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .expect("encode a seed picture");
    out.into_inner()
}

fn gradient(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) * 7 % 256) as u8,
        ])
    }))
}

pub(super) fn photo_seeds() -> Vec<(String, Vec<u8>)> {
    let small = gradient(24, 16);
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(16, 24, |x, y| {
        Rgba([200, (x * 10) as u8, (y * 10) as u8, (x * y % 256) as u8])
    }));
    let gray = DynamicImage::ImageLuma8(image::GrayImage::from_fn(20, 20, |x, y| {
        image::Luma([((x ^ y) * 12) as u8])
    }));
    let wide = gradient(300, 40);
    let jpeg = encode(&small, ImageFormat::Jpeg);
    let with_exif = insert_app1(&jpeg, &exif_tiff(6));
    let png = encode(&small, ImageFormat::Png);
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("jpeg-rgb.jpg", jpeg.clone()),
        ("jpeg-gray.jpg", encode(&gray, ImageFormat::Jpeg)),
        ("jpeg-wide-one-size.jpg", encode(&wide, ImageFormat::Jpeg)),
        ("jpeg-exif-orientation-6-gps-time.jpg", with_exif.clone()),
        (
            "jpeg-exif-orientation-3.jpg",
            insert_app1(&jpeg, &exif_tiff(3)),
        ),
        ("jpeg-truncated.jpg", jpeg[..jpeg.len() * 2 / 3].to_vec()),
        ("png-rgb.png", png.clone()),
        ("png-rgba.png", encode(&rgba, ImageFormat::Png)),
        ("png-gray.png", encode(&gray, ImageFormat::Png)),
        (
            "png-rgb16.png",
            encode(
                &DynamicImage::ImageRgb16(small.to_rgb16()),
                ImageFormat::Png,
            ),
        ),
        ("png-exif-chunk.png", insert_png_exif(&png, &exif_tiff(8))),
        (
            "png-declaring-100000x100000.png",
            png_declaring(100_000, 100_000),
        ),
        ("webp-lossless-rgba.webp", encode(&rgba, ImageFormat::WebP)),
        ("webp-lossless-rgb.webp", encode(&small, ImageFormat::WebP)),
        (
            "heic-ftyp.heic",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta".to_vec(),
        ),
        ("gif-header.gif", b"GIF89a\x01\0\x01\0\0\0\0;".to_vec()),
    ];
    seeds.push((
        "exif-tiff-only.tif",
        [b"Exif\0\0".as_slice(), &exif_tiff(1)].concat(),
    ));
    seeds.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` RGB pixels.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(
        &mut png,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
        ],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

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

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The PNG with an `eXIf` chunk right after its IHDR.
fn insert_png_exif(png: &[u8], tiff: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    png_chunk(&mut out, b"eXIf", tiff);
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// The JPEG with an EXIF APP1 segment right after its SOI marker.
fn insert_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let payload = [b"Exif\0\0".as_slice(), tiff].concat();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// One IFD entry: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL), count, value bytes.
type Entry = (u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, s: &str) -> Entry {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    (tag, 2, v.len() as u32, v)
}

fn rationals(tag: u16, parts: &[(u32, u32)]) -> Entry {
    (
        tag,
        5,
        parts.len() as u32,
        parts
            .iter()
            .flat_map(|(n, d)| n.to_be_bytes().into_iter().chain(d.to_be_bytes()))
            .collect(),
    )
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len()
        + 4
        + entries
            .iter()
            .map(|e| {
                if e.3.len() > 4 {
                    e.3.len().next_multiple_of(2)
                } else {
                    0
                }
            })
            .sum::<usize>()
}

fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) {
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for (tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_be_bytes());
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at += value.len().next_multiple_of(2);
        }
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&data);
}

/// A big-endian TIFF block as a camera writes it: make, model and orientation; capture time
/// with sub-seconds and offset; GPS (Lisbon).
fn exif_tiff(orientation: u16) -> Vec<u8> {
    let exif_ifd = vec![
        ascii(0x9003, "2024:05:30 15:56:01"),
        ascii(0x9011, "+02:00"),
        ascii(0x9291, "042"),
    ];
    let gps_ifd = vec![
        ascii(0x0001, "N"),
        rationals(0x0002, &[(38, 1), (42, 1), (4380, 100)]),
        ascii(0x0003, "W"),
        rationals(0x0004, &[(9, 1), (8, 1), (2760, 100)]),
    ];
    let mut ifd0 = vec![
        ascii(0x010F, "FOLIO"),
        ascii(0x0110, "Fuzz Camera 1"),
        (0x0112, 3, 1, orientation.to_be_bytes().to_vec()),
        (0x8769, 4, 1, vec![0; 4]),
        (0x8825, 4, 1, vec![0; 4]),
    ];
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd_len(&ifd0);
    let gps_at = exif_at + ifd_len(&exif_ifd);
    ifd0[3].3 = (exif_at as u32).to_be_bytes().to_vec();
    ifd0[4].3 = (gps_at as u32).to_be_bytes().to_vec();
    let mut out = b"MM\0\x2a\0\0\0\x08".to_vec();
    write_ifd(&mut out, &ifd0);
    assert_eq!(out.len(), exif_at);
    write_ifd(&mut out, &exif_ifd);
    assert_eq!(out.len(), gps_at);
    write_ifd(&mut out, &gps_ifd);
    out
}

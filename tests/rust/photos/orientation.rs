//! EXIF orientation: every sample comes out upright in every size.

use super::*;

/// A 32×24 grey thumbnail, to compare pictures across JPEG re-encodes.
fn grey_thumb(img: &DynamicImage) -> Vec<i32> {
    img.resize_exact(32, 24, image::imageops::FilterType::Triangle)
        .to_luma8()
        .pixels()
        .map(|p| p.0[0] as i32)
        .collect()
}

fn grey_distance(a: &[i32], b: &[i32]) -> i32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<i32>() / a.len() as i32
}

#[tokio::test]
async fn orientation_samples_come_out_upright_in_every_size() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    for kind in ["landscape", "portrait"] {
        let files: Vec<(String, Vec<u8>)> = (1..=8)
            .map(|n| named(&samples("jpg/orientation").join(format!("{kind}_{n}.jpg"))))
            .collect();
        let up = upload(&api, &owner.token, &files, None).await;
        assert!(up.errors.is_empty(), "{}", up.body);
        let expected = if kind == "landscape" {
            (600, 450)
        } else {
            (450, 600)
        };
        let mut reference: Option<Vec<i32>> = None;
        for (n, photo) in (1..=8u64).zip(&up.photos) {
            let what = format!("{kind}_{n}");
            assert_eq!(photo["orientation"].as_u64(), Some(n), "{what}");
            assert_eq!(wh(photo), expected, "{what}: width and height");
            assert_eq!(
                photo["shape"],
                if kind == "landscape" { "L" } else { "P" },
                "{what}"
            );
            let id = id_of(photo);
            let (status, headers, bytes) = api
                .get_raw(
                    &format!("/api/photos/{id}/file?size=0"),
                    Some(&owner.token),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{what}: size 0");
            assert_eq!(
                headers[reqwest::header::CONTENT_TYPE],
                "image/jpeg",
                "{what}"
            );
            let img = decoded(&bytes, &what);
            assert_eq!(
                (img.width(), img.height()),
                dims(&photo["sizes"][0]),
                "{what}: size 0 is the size its entry says"
            );
            assert!(
                same_aspect((img.width(), img.height()), expected.0, expected.1),
                "{what}: size 0 is {}×{}, not {expected:?}'s shape",
                img.width(),
                img.height()
            );
            // The pixels are turned, not only the numbers: of the ways to turn size 0 that
            // keep its shape, leaving it alone looks most like the upright sample's.
            let thumb = grey_thumb(&img);
            let reference = reference.get_or_insert_with(|| thumb.clone());
            let diffs: Vec<(u8, i32)> = (1..=8u8)
                .map(|m| (m, orient(img.clone(), Orientation::from_exif(m as u32))))
                .filter(|(_, t)| (t.width(), t.height()) == (img.width(), img.height()))
                .map(|(m, t)| (m, grey_distance(&grey_thumb(&t), reference)))
                .collect();
            let best = diffs.iter().min_by_key(|d| d.1).unwrap();
            assert_eq!(
                best.0, 1,
                "{what}: size 0 is not upright (grey-level differences when turned: {diffs:?})"
            );
        }
    }
}

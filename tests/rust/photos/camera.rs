//! The real camera files upload in batches, and each photo's metadata agrees with exiftool.

use super::*;

/// Batches of at most `max_files` files and about `max_bytes` bytes, in order.
fn batches(files: &[PathBuf], max_files: usize, max_bytes: u64) -> Vec<Vec<PathBuf>> {
    let mut out: Vec<Vec<PathBuf>> = vec![Vec::new()];
    let mut bytes = 0;
    for f in files {
        let len = std::fs::metadata(f).expect("stat").len();
        let last = out.last_mut().unwrap();
        if !last.is_empty() && (last.len() >= max_files || bytes + len > max_bytes) {
            out.push(Vec::new());
            bytes = 0;
        }
        out.last_mut().unwrap().push(f.clone());
        bytes += len;
    }
    out
}

#[tokio::test]
async fn camera_files_upload_in_batches_and_agree_with_exiftool() {
    let files = files_under(&samples("jpg"), &["invalid", "tests"]);
    assert!(
        files.len() >= 60,
        "expected the exif-samples camera set, found {} files",
        files.len()
    );
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let batches = batches(&files, 12, 4 << 20);
    assert!(
        batches.len() >= 3 && batches.iter().filter(|b| b.len() > 1).count() >= 3,
        "several files per request, several requests"
    );
    let mut photos: HashMap<String, Value> = HashMap::new();
    let mut groups = BTreeSet::new();
    let uploads = async {
        for batch in &batches {
            let named: Vec<(String, Vec<u8>)> = batch.iter().map(|p| named(p)).collect();
            let up = upload(&api, &owner.token, &named, None).await;
            for (file, code, _) in &up.errors {
                // photo_meta: only the file named corrupted.jpg may fail to decode.
                assert_eq!(
                    file, "corrupted.jpg",
                    "a camera file was refused with {code}: {}",
                    up.body
                );
            }
            assert!(
                groups.insert(up.group_id.clone().unwrap()),
                "each batch its own group"
            );
            for p in up.photos {
                photos.insert(p["name"].as_str().unwrap().to_owned(), p);
            }
        }
    };
    tokio::time::timeout(CAMERA_SET_HANG_GUARD, uploads)
        .await
        .expect("the camera files were not all answered within the hang guard");
    assert!(
        photos.len() + 1 >= files.len(),
        "{} of {} camera files ingested",
        photos.len(),
        files.len()
    );

    // Listed, and one upload group per request.
    let ids: Vec<String> = photos.values().map(id_of).collect();
    assert_eq!(
        sorted(list_ids(&api, &owner.token, "").await),
        sorted(ids.clone())
    );
    let upload_groups: BTreeSet<String> = get(&api, &owner.token, "/api/groups?source=upload")
        .await
        .as_array()
        .expect("groups")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(upload_groups, groups);

    let Some(exiftool) = exiftool(&files) else {
        return;
    };
    let (mut with_time, mut with_offset, mut with_gps, mut rotated) = (0, 0, 0, 0);
    for (path, entry) in files.iter().zip(&exiftool) {
        let what = path
            .strip_prefix(samples(""))
            .unwrap()
            .display()
            .to_string();
        let Some(photo) = photos.get(&file_name(path)) else {
            continue;
        };
        assert_eq!(photo["format"], "jpeg", "{what}");
        assert_eq!(
            photo["bytes"].as_u64(),
            Some(std::fs::metadata(path).unwrap().len()),
            "{what}: bytes"
        );

        let expected = expected_capture(entry);
        let got = photo["taken_at"].as_str().map(|t| {
            (
                t.to_owned(),
                photo["taken_at_offset"].as_str().map(str::to_owned),
            )
        });
        assert_eq!(got, expected, "{what}: capture time (exiftool: {entry})");
        assert!(
            expected.is_some() || photo["taken_at_offset"].is_null(),
            "{what}: an offset without a time"
        );
        with_time += expected.is_some() as usize;
        with_offset += expected.as_ref().is_some_and(|e| e.1.is_some()) as usize;

        match gps(entry) {
            Some((lat, lon)) => {
                let (got_lat, got_lon) =
                    (photo["gps"]["lat"].as_f64(), photo["gps"]["lon"].as_f64());
                assert!(
                    got_lat.is_some_and(|v| (v - lat).abs() < 1e-6)
                        && got_lon.is_some_and(|v| (v - lon).abs() < 1e-6),
                    "{what}: GPS {}, exiftool {lat},{lon}",
                    photo["gps"]
                );
                with_gps += 1;
            }
            None => assert_eq!(
                photo["gps"],
                Value::Null,
                "{what}: GPS where exiftool has none"
            ),
        }

        let o = orientation(entry);
        assert_eq!(
            photo["orientation"].as_u64(),
            Some(o),
            "{what}: orientation"
        );
        let (w, h) = stored_size(entry);
        let oriented = if o >= 5 { (h, w) } else { (w, h) };
        assert_eq!(
            wh(photo),
            oriented,
            "{what}: width and height after orientation {o}"
        );
        rotated += (o >= 5) as usize;

        let camera = camera_name(
            tag_text(entry, "IFD0:Make").as_deref(),
            tag_text(entry, "IFD0:Model").as_deref(),
        );
        assert_eq!(photo["camera"], json!(camera), "{what}: camera");
    }
    eprintln!("{} camera files over HTTP: {with_time} with a capture time ({with_offset} with an offset), {with_gps} with GPS, {rotated} turned", photos.len());
    assert!(
        with_time >= 40 && with_gps >= 10 && with_offset >= 1 && rotated >= 4,
        "the sample set should exercise times, offsets, GPS and turns"
    );
}

//! A decompression bomb is refused without the memory to decode it.

use super::*;

/// VmRSS and VmHWM (peak) of a process, in bytes.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test]
async fn decompression_bomb_is_refused_and_memory_stays_flat() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The real binary in its own process, so its memory is its own.
    let pg = if postgres_requested() {
        Some(
            PgDatabase::create()
                .await
                .expect("FOLIO_TEST_DB=postgres, but PostgreSQL is not reachable"),
        )
    } else {
        None
    };
    let env: Vec<(&str, &str)> = pg
        .iter()
        .map(|db| ("DATABASE_URL", db.url.as_str()))
        .collect();
    let server = BinServer::start_env(dir.path(), &env).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    // Warm up: decoders, pools and the store have done one real photo.
    let warm = jpeg(&gradient(1200, 800), 90);
    let (status, body) = api.upload(&owner.token, &[("warm.jpg", &warm)], None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let bomb = folio_tests::pictures::png_declaring(100_000, 100_000);
    assert!(bomb.len() < 100, "a bomb of {} bytes", bomb.len());
    let pid = server.pid();
    let (rss_before, peak_before) = memory_of(pid);
    for i in 0..5 {
        let name = format!("bomb-{i}.png");
        let (status, body) = api
            .upload(&owner.token, &[(name.as_str(), &bomb)], None)
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "bomb {i}: {body}");
        assert_eq!(body["errors"][0]["file"], name, "{body}");
        assert_eq!(
            body["errors"][0]["error"]["code"], "too_many_pixels",
            "{body}"
        );
        assert_eq!(body["errors"][0]["error"]["status"], 413, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    let (rss_after, peak_after) = memory_of(pid);
    const LIMIT: u64 = 64 << 20;
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!(
        "RSS {:.1} → {:.1} MiB, peak {:.1} → {:.1} MiB",
        mib(rss_before),
        mib(rss_after),
        mib(peak_before),
        mib(peak_after)
    );
    assert!(
        rss_after < rss_before + LIMIT,
        "RSS grew by {:.1} MiB over five bombs",
        mib(rss_after - rss_before)
    );
    assert!(
        peak_after < peak_before + LIMIT,
        "peak RSS grew by {:.1} MiB over five bombs",
        mib(peak_after - peak_before)
    );
    assert_eq!(
        list_ids(&api, &owner.token, "").await.len(),
        1,
        "only the warm-up photo is kept"
    );
    drop(server);
}

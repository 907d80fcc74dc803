//! What the PDFs hold: each product's trim and bleed boxes, every font embedded, photos at
//! their effective PPI, capped.

use super::*;

/// a. Every product's interior pages have its trim inside its bleed, and its cover sheet is
/// back, spine and front with the bleed all round.
#[tokio::test]
async fn every_product_prints_with_its_trim_and_bleed_boxes() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let dir = tempfile::tempdir().unwrap();
    assert!(crdt_schema::PRODUCTS.len() >= 7, "the catalogue");
    for product in crdt_schema::PRODUCTS {
        let project = create_project(&api, &owner, product.name, product.id).await;
        let u = owner.id.as_str();
        let pages = vec![
            inside(vec![caption(u, "First page")]),
            inside(vec![caption(u, "Second page")]),
            inside(vec![caption(u, "Third page")]),
        ];
        add_pages(&server, &project, &owner, pages).await;
        // The project's own product, by default.
        let result = render_ok(&api, &owner, &project, json!({})).await;
        let n = result["pages"].as_u64().expect("pages") as usize;
        assert_eq!(n, 3, "{result}");
        let spine = spine_in(n);
        assert!(
            (result["cover"]["spine_in"].as_f64().expect("spine") - spine).abs() < 1e-9,
            "{}: {result}",
            product.id
        );

        let sub = dir.path().join(product.id);
        std::fs::create_dir_all(&sub).unwrap();
        let (interior, cover) = download_pdfs(&api, &owner, &result, &sub).await;
        qpdf_clean(&interior);
        qpdf_clean(&cover);
        if !have("pdfinfo") {
            continue;
        }
        let k = POINTS_PER_INCH;
        let [tw, th] = product.trim_in;
        let b = product.bleed_in;
        let info = run(
            "pdfinfo",
            &["-box", "-f", "1", "-l", &n.to_string()],
            &interior,
        );
        assert_eq!(page_count(&info), Some(n), "{}: {info}", product.id);
        for page in 1..=n {
            let got = boxes(&info, page);
            let canvas = [0.0, 0.0, (tw + 2.0 * b) * k, (th + 2.0 * b) * k];
            let trim = [b * k, b * k, (b + tw) * k, (b + th) * k];
            assert!(
                close(&got["MediaBox"], &canvas),
                "{} page {page}: {got:?}",
                product.id
            );
            assert!(
                close(&got["BleedBox"], &canvas),
                "{} page {page}: {got:?}",
                product.id
            );
            assert!(
                close(&got["TrimBox"], &trim),
                "{} page {page}: {got:?}",
                product.id
            );
        }

        let info = run("pdfinfo", &["-box", "-f", "1", "-l", "1"], &cover);
        assert_eq!(page_count(&info), Some(1), "{}: {info}", product.id);
        let got = boxes(&info, 1);
        let sheet = [
            0.0,
            0.0,
            (2.0 * tw + spine + 2.0 * b) * k,
            (th + 2.0 * b) * k,
        ];
        let trim = [b * k, b * k, (b + 2.0 * tw + spine) * k, (b + th) * k];
        assert!(
            close(&got["MediaBox"], &sheet),
            "{} cover: {got:?}, expected sheet {sheet:?}",
            product.id
        );
        assert!(
            close(&got["BleedBox"], &sheet),
            "{} cover: {got:?}, expected sheet {sheet:?}",
            product.id
        );
        assert!(
            close(&got["TrimBox"], &trim),
            "{} cover: {got:?}, expected trim {trim:?}",
            product.id
        );
    }
}

/// b. Captions in two theme fonts: both families are in the PDF, and every font is embedded.
#[tokio::test]
async fn every_font_of_the_book_is_embedded() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Fonts", "square-8x8").await;
    let u = owner.id.as_str();
    let bbox = [0.0, 0.0, 0.6, 0.15, 0.0];
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![text_item(u, "A serif caption", Some("Lora"), bbox)]),
            inside(vec![text_item(
                u,
                "A script caption",
                Some("Pacifico"),
                bbox,
            )]),
            inside(vec![caption(u, "The theme's own body font")]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({})).await;
    assert_eq!(
        result["findings"].as_array().map(Vec::len),
        Some(0),
        "a clean book: {result}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (interior, _) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdffonts") {
        return;
    }
    let fonts = run("pdffonts", &[], &interior);
    let rows = table(&fonts);
    assert!(rows.len() >= 2, "{fonts}");
    for row in &rows {
        // name type… emb sub uni object ID: emb is the fifth column from the end.
        assert_eq!(row[row.len() - 5], "yes", "every font is embedded: {fonts}");
    }
    for family in ["Lora", "Pacifico"] {
        assert!(
            rows.iter().any(|r| r[0].contains(family)),
            "{family} is used: {fonts}"
        );
    }
}

/// c. Photos print at the PPI the page geometry gives them: a photo within the cap passes
/// through as its own JPEG; a finer one is resampled down to the cap.
#[tokio::test]
async fn placed_photos_are_embedded_at_their_effective_ppi_capped() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let product = crdt_schema::product("square-8x8").unwrap();
    let project = create_project(&api, &owner, "Photos", product.id).await;
    let (small, large) = ((2400, 2400), (4000, 4000));
    let small_id = upload(&api, &owner, small.0, small.1).await;
    let large_id = upload(&api, &owner, large.0, large.1).await;
    let u = owner.id.as_str();
    let (small_box, large_box) = ([0.0, 0.0, 0.8, 0.8, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0]);
    // Page 1 is a right-hand page, page 2 a left-hand one.
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![photo_item(u, &small_id, small_box)]),
            inside(vec![photo_item(u, &large_id, large_box)]),
        ],
    )
    .await;

    let small_ppi = effective_ppi(product, PageSide::Right, small, small_box);
    let large_ppi = effective_ppi(product, PageSide::Left, large, large_box);
    // On the 8×8 the square page is 8 in wide: 2400 px over 6.4 in, 4000 px over 4 in.
    assert!(
        (small_ppi - 375.0).abs() < 0.01 && (large_ppi - 1000.0).abs() < 0.01,
        "{small_ppi} {large_ppi}"
    );
    assert!(small_ppi <= MAX_PPI && large_ppi > MAX_PPI);
    // Resampled to the cap: the photo's pixels scaled by cap / effective.
    let capped = (large.0 as f64 * MAX_PPI / large_ppi).round() as u64;

    let result = render_ok(&api, &owner, &project, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let (interior, _) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdfimages") {
        return;
    }
    let list = run("pdfimages", &["-list"], &interior);
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    let rows = table(&list);
    let on = |page: &str| {
        rows.iter()
            .filter(|r| r[0] == page && r[2] == "image")
            .collect::<Vec<_>>()
    };
    let ppi = |r: &Vec<String>| (r[12].parse::<f64>().unwrap(), r[13].parse::<f64>().unwrap());
    let (p1, p2) = (on("1"), on("2"));
    assert_eq!(p1.len(), 1, "one image on page 1: {list}");
    assert_eq!(
        (p1[0][3].as_str(), p1[0][4].as_str(), p1[0][8].as_str()),
        ("2400", "2400", "jpeg"),
        "passed through: {list}"
    );
    let (x, y) = ppi(p1[0]);
    assert!(
        (x - small_ppi).abs() <= 1.0 && (y - small_ppi).abs() <= 1.0,
        "{small_ppi} PPI expected: {list}"
    );

    assert!(!p2.is_empty(), "the large photo is on page 2: {list}");
    // A raster may be embedded in bands; together they are the capped width and height.
    let height: u64 = p2.iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    assert!(
        p2.iter().all(|r| r[3].parse::<u64>().unwrap() == capped),
        "{capped} px wide: {list}"
    );
    assert_eq!(height, capped, "{capped} px high: {list}");
    for r in &p2 {
        let (x, y) = ppi(r);
        assert!(
            (x - MAX_PPI).abs() <= 1.0 && (y - MAX_PPI).abs() <= 1.0,
            "capped at {MAX_PPI}: {list}"
        );
    }
}

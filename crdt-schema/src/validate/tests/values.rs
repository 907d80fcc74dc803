//! Values and types: rotation and positions, unknown roots, wrong types, NaN, oversized
//! values and styles.

use super::*;

#[test]
fn rotation_goes_round_the_full_circle_but_positions_stay_bounded() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    for rot in [90.0, -90.0, 180.0, 359.5, -360.0] {
        s.edit(&a, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "box", vec![0.0, 0.0, 0.5, 0.5, rot]);
        })
        .unwrap_or_else(|e| panic!("rot {rot}: {e}"));
    }
    for bad in [
        vec![0.0, 0.0, 0.5, 0.5, 361.0],
        vec![10.5, 0.0, 0.5, 0.5, 0.0],
        vec![0.0, 0.0, 0.5, 0.5, f64::NAN],
    ] {
        let a = s.client(16);
        let r = s.edit(&a, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "box", bad.clone());
        });
        assert_eq!(rule_of(r), "rule 2 (types)", "{bad:?}");
    }
}

#[test]
fn unknown_roots_wrong_types_nan_and_oversized_values_are_refused() {
    let (mut s, _, _) = two_authors();
    let ed = actor("ed", Level::Editor);
    type Edit = Box<dyn Fn(&mut TransactionMut)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "rule 1 (schema)",
            Box::new(|txn| txn.get_or_insert_map("secret").insert(txn, "x", 1).ignore()),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| pages(txn).push_back(txn, "not a page").ignore()),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "colour", "red").ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "kind", 5).ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "kind", "poster").ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", "left")
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, f64::NAN, 0.5, 0.5, 0.0])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, 0.0, 0.5, 0.5, 1e9])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, 0.0, 0.5])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "text", "plain string")
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .remove(txn, "box")
                    .ignore()
            }),
        ),
        (
            "rule 3 (sizes)",
            Box::new(|txn| {
                page_at(txn, 0)
                    .insert(txn, "layout", "x".repeat(100_000))
                    .ignore()
            }),
        ),
        (
            "rule 3 (sizes)",
            Box::new(|txn| {
                let t = text_of(txn, &item(txn, &page_at(txn, 0), "ia"));
                t.insert(txn, 0, &"y".repeat(30_000));
            }),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| {
                let pa = page_at(txn, 0);
                items(txn, &pa)
                    .insert(txn, "nested", ArrayRef::default_prelim())
                    .ignore();
            }),
        ),
    ];
    for (i, (rule, f)) in cases.into_iter().enumerate() {
        let c = s.client(100 + i as u64);
        let r = s.edit(&c, &ed, |txn| f(txn));
        assert_eq!(rule_of(r), rule, "case {i}");
    }
    // Nothing of the refused edits reached the server.
    let txn = s.doc.transact();
    assert!(txn.get_map("secret").is_none());
}

trait Ignore {
    fn ignore(self);
}
impl<T> Ignore for T {
    fn ignore(self) {}
}

trait DefaultPrelim {
    fn default_prelim() -> yrs::ArrayPrelim;
}
impl DefaultPrelim for ArrayRef {
    fn default_prelim() -> yrs::ArrayPrelim {
        yrs::ArrayPrelim::default()
    }
}

#[test]
fn style_is_typed_as_the_model_reads_it() {
    // Found by the validator fuzz targets: these were accepted, after which the book no
    // longer read.
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let restyle = |s: &mut Server, id: u64, style: Any| {
        let c = s.client(id);
        s.edit(&c, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "style", style);
        })
    };
    let map = |pairs: Vec<(&str, Any)>| {
        Any::from(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<std::collections::HashMap<String, Any>>(),
        )
    };
    let border = |pairs: Vec<(&str, Any)>| map(pairs);
    let good = map(vec![
        ("align", Any::from("justify")),
        ("size", Any::from(0.05)),
        ("shadow", Any::from(true)),
        (
            "border",
            border(vec![
                ("width", Any::from(0.01)),
                ("color", Any::from("#333")),
            ]),
        ),
        ("font", Any::Null),
    ]);
    restyle(&mut s, 40, good).unwrap();
    for bad in [
        map(vec![("align", Any::from("sideways"))]),
        map(vec![("border", border(vec![("color", Any::from("#333"))]))]),
        map(vec![("shadow", Any::from("yes"))]),
        map(vec![("size", Any::from("big"))]),
    ] {
        let r = restyle(&mut s, 41, bad.clone());
        assert_eq!(rule_of(r), "rule 2 (types)", "{bad:?}");
    }
    assert!(crate::model::read_book(&s.doc.transact()).is_ok());
    let _ = a;
}

//! Ownership: who may add, move, replace and delete pages, items, captions and meta.

use super::*;

#[test]
fn contributors_add_pages_and_items() {
    let (s, _, _) = two_authors();
    let txn = s.doc.transact_mut();
    assert_eq!(txn.get_array("pages").unwrap().len(&txn), 2);
}

#[test]
fn contributor_cannot_move_someone_elses_item() {
    let (mut s, a, _) = two_authors();
    let r = s.edit(&a, &actor(ALICE, Level::Contributor), |txn| {
        let pb = page_at(txn, 1);
        item(txn, &pb, "ib").insert(txn, "box", vec![0.1, 0.1, 0.5, 0.25, 0.0]);
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
}

#[test]
fn contributor_moves_and_deletes_own_item_but_not_others() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        item(txn, &pa, "ia").insert(txn, "box", vec![0.2, 0.1, 0.5, 0.25, 15.0 / 10.0]);
    })
    .unwrap();
    // Bob's item on Alice's page is still Bob's.
    let r = s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ib2");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    let a = s.client(11);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ia");
    })
    .unwrap();
}

#[test]
fn editor_deletes_anything() {
    let (mut s, _, _) = two_authors();
    let e = s.client(30);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        let pb = page_at(txn, 1);
        items(txn, &pb).remove(txn, "ib");
        pages(txn).remove(txn, 0);
    })
    .unwrap();
}

#[test]
fn contributor_cannot_delete_own_page_while_it_holds_others_items() {
    // Finding 6: deleting a page deletes everything in it, and Bob's item is not Alice's.
    let (mut s, a, b) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let before = s.state();
    assert_eq!(
        rule_of(s.edit(&a, &alice, |txn| pages(txn).remove(txn, 0))),
        "rule 4 (ownership)"
    );
    assert_eq!(s.state(), before, "a refused update changes nothing");
    // Nor by replacing the page's items map with an empty one.
    let a = s.client(13);
    let r = s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        pa.insert(txn, "items", MapPrelim::default());
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    // Once Bob has taken his item off it, the page is Alice's alone to delete.
    s.edit(&b, &actor(BOB, Level::Contributor), |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ib2");
    })
    .unwrap();
    let a = s.client(14);
    s.edit(&a, &alice, |txn| pages(txn).remove(txn, 0)).unwrap();
    // An editor may delete a page with anyone's items in it.
    let (mut s, _, _) = two_authors();
    let e = s.client(32);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        pages(txn).remove(txn, 0)
    })
    .unwrap();
}

#[test]
fn contributor_cannot_delete_someone_elses_page_or_touch_meta() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    assert_eq!(
        rule_of(s.edit(&a, &alice, |txn| pages(txn).remove(txn, 1))),
        "rule 4 (ownership)"
    );
    let a = s.client(12);
    let r = s.edit(&a, &alice, |txn| {
        txn.get_or_insert_map("meta").insert(txn, "title", "Mine");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    let e = s.client(31);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        txn.get_or_insert_map("meta").insert(txn, "title", "Ours");
    })
    .unwrap();
}

#[test]
fn captions_are_edited_by_their_owner() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        let t = text_of(txn, &item(txn, &pa, "ia"));
        t.insert(txn, 7, " by the sea ☀️");
    })
    .unwrap();
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        let t = text_of(txn, &item(txn, &pa, "ia"));
        t.remove_range(txn, 0, 3);
    })
    .unwrap();
    let r = s.edit(&a, &alice, |txn| {
        let pb = page_at(txn, 1);
        let t = text_of(txn, &item(txn, &pb, "ib"));
        t.insert(txn, 0, "graffiti ");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
}

#[test]
fn new_pages_carry_their_creator() {
    let mut s = Server::new();
    let c = s.client(40);
    let r = s.edit(&c, &actor(ALICE, Level::Contributor), |txn| {
        add_page(txn, "p", BOB);
    });
    assert_eq!(rule_of(r), "rule 5 (createdBy)");
    let c = s.client(41);
    let r = s.edit(&c, &actor(ALICE, Level::Editor), |txn| {
        let pages = pages(txn);
        let p = pages.push_back(txn, MapPrelim::default());
        p.insert(txn, "id", "p");
        p.insert(txn, "kind", "page");
        p.insert(txn, "items", MapPrelim::default());
    });
    assert_eq!(rule_of(r), "rule 2 (types)");
    let (mut s, a, _) = two_authors();
    let r = s.edit(&a, &actor(ALICE, Level::Editor), |txn| {
        page_at(txn, 0).insert(txn, "createdBy", BOB);
    });
    assert_eq!(rule_of(r), "rule 5 (createdBy)");
}

#[test]
fn no_one_removes_a_meta_field_though_anyone_allowed_may_replace_it() {
    let (mut s, _, _) = two_authors();
    for level in [Level::Editor, Level::System] {
        let c = s.client(50 + level as u64);
        let r = s.edit(&c, &actor("ed", level), |txn| {
            txn.get_or_insert_map("meta").remove(txn, "title");
        });
        assert_eq!(rule_of(r), "rule 2 (types)", "{level:?}");
    }
    let c = s.client(60);
    s.edit(&c, &actor("ed", Level::Editor), |txn| {
        txn.get_or_insert_map("meta")
            .insert(txn, "title", "Renamed");
    })
    .unwrap();
    assert!(crate::model::read_book(&s.doc.transact()).is_ok());
}

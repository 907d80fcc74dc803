//! The property of SPEC §15, "nothing a person made is lost to a machine", over random
//! interleavings of people's edits (add, move, caption, sticker, item and page delete) with
//! the machine steps (automix, proactive redesign, restore, product change).
//!
//! People's edits include moving pages, so a restore must also bring a moved page back to
//! its place without losing what is on it.
//!
//! Each person edits their own replica, synced from the server's document first, and every
//! edit goes through the validator as a contributor's would, so the edits are ones a real
//! client may make; machine steps edit the server's document as the system user, as the
//! room does. After every step each item a person made and did not delete themselves must
//! be in the book, on its page, unchanged. A restore is the one step that changes a
//! person's item: it brings what the version has back to the version's state, so for a
//! restore the expected state of an item the version holds is the version's.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

use super::*;
use crate::schema::SYSTEM_USER;
use crate::validate::{parse_update, Actor, Level, Validator};

const PEOPLE: [&str; 2] = [
    "11111111-1111-1111-1111-111111111111",
    "22222222-2222-2222-2222-222222222222",
];

#[derive(Debug, Clone)]
enum Step {
    AddSticker {
        who: usize,
        page: usize,
    },
    AddText {
        who: usize,
        page: usize,
    },
    Move {
        who: usize,
        item: usize,
        x: f64,
        y: f64,
    },
    Caption {
        who: usize,
        item: usize,
        text: String,
    },
    DeleteItem {
        who: usize,
        item: usize,
    },
    AddPage {
        who: usize,
    },
    DeletePage {
        who: usize,
        page: usize,
    },
    MovePage {
        who: usize,
        page: usize,
        to: usize,
    },
    Automix {
        pages: usize,
    },
    ProactiveRedesign {
        pages: usize,
    },
    Restore {
        version: usize,
    },
    ProductChange {
        product: usize,
    },
}

fn any_step() -> impl Strategy<Value = Step> {
    let who = 0..PEOPLE.len();
    prop_oneof![
        3 => (who.clone(), any::<usize>()).prop_map(|(who, page)| Step::AddSticker { who, page }),
        2 => (who.clone(), any::<usize>()).prop_map(|(who, page)| Step::AddText { who, page }),
        3 => (who.clone(), any::<usize>(), -0.5..0.5f64, -0.5..0.5f64).prop_map(|(who, item, x, y)| Step::Move { who, item, x, y }),
        2 => (who.clone(), any::<usize>(), "[a-z ]{0,12}").prop_map(|(who, item, text)| Step::Caption { who, item, text }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, item)| Step::DeleteItem { who, item }),
        1 => who.clone().prop_map(|who| Step::AddPage { who }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, page)| Step::DeletePage { who, page }),
        1 => (who, any::<usize>(), any::<usize>()).prop_map(|(who, page, to)| Step::MovePage { who, page, to }),
        2 => (1..4usize).prop_map(|pages| Step::Automix { pages }),
        1 => (1..4usize).prop_map(|pages| Step::ProactiveRedesign { pages }),
        2 => any::<usize>().prop_map(|version| Step::Restore { version }),
        1 => (0..crate::PRODUCTS.len()).prop_map(|product| Step::ProductChange { product }),
    ]
}

/// Where a person's item is expected, and exactly what it holds.
type Expected = BTreeMap<String, (String, Item)>;

struct World {
    server: Doc,
    validator: Validator,
    replicas: Vec<Doc>,
    /// Versions, as automix and proactive redesign take them before they run.
    versions: Vec<Doc>,
    expected: Expected,
    next_id: usize,
}

impl World {
    fn new() -> World {
        let server = Doc::with_client_id(1);
        server
            .transact_mut()
            .apply_update(
                Update::decode_v1(&crate::new_book(1, "Trip", "square-8x8", "everyday")).unwrap(),
            )
            .unwrap();
        let state = server
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let validator = Validator::from_state(&state).unwrap();
        let replicas = (0..PEOPLE.len())
            .map(|i| Doc::with_client_id(100 + i as u64))
            .collect();
        World {
            server,
            validator,
            replicas,
            versions: Vec::new(),
            expected: Expected::new(),
            next_id: 0,
        }
    }

    fn id(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("{what}-{}", self.next_id)
    }

    fn book(&self) -> Book {
        read_book(&self.server.transact()).expect("the book reads")
    }

    /// A person's edit, made on their replica after syncing it, checked by the validator
    /// as a contributor's, then applied to the server. Honest edits must be accepted.
    fn person(&mut self, who: usize, f: impl FnOnce(&mut TransactionMut)) {
        let replica = &self.replicas[who];
        let diff = self
            .server
            .transact()
            .encode_diff_v1(&replica.transact().state_vector());
        replica
            .transact_mut()
            .apply_update(Update::decode_v1(&diff).unwrap())
            .unwrap();
        let update = {
            let mut txn = replica.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        let parsed = parse_update(&update).unwrap();
        let actor = Actor {
            user: Arc::from(PEOPLE[who]),
            level: Level::Contributor,
        };
        let accepted = self
            .validator
            .check(&parsed, &actor)
            .unwrap_or_else(|e| panic!("an honest edit was refused: {e}"));
        let mut txn = self.server.transact_mut();
        txn.apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let deleted = txn.delete_set().clone();
        drop(txn);
        self.validator.commit_applied(accepted, &deleted);
    }

    /// A machine step: an edit of the server's document as the system user.
    fn machine(&mut self, f: impl FnOnce(&mut TransactionMut)) {
        let mut txn = self.server.transact_mut();
        f(&mut txn);
        let update = txn.encode_update_v1();
        let deleted = txn.delete_set().clone();
        drop(txn);
        self.validator
            .observe_applied(&parse_update(&update).unwrap(), &deleted);
    }

    fn own_items(&self, who: usize) -> Vec<(String, String)> {
        self.expected
            .iter()
            .filter(|(_, (_, it))| it.created_by == PEOPLE[who])
            .map(|(id, (page, _))| (id.clone(), page.clone()))
            .collect()
    }

    fn refresh(&mut self, item_id: &str) {
        let book = self.book();
        for page in &book.pages {
            if let Some(it) = page.items.iter().find(|i| i.id == item_id) {
                self.expected
                    .insert(item_id.to_owned(), (page.id.clone(), it.clone()));
                return;
            }
        }
        panic!("item {item_id} vanished right after its author's edit");
    }

    fn add_item(&mut self, who: usize, page: usize, kind: ItemKind) {
        let pages = self.book().pages;
        if pages.is_empty() {
            return;
        }
        let page_id = pages[page % pages.len()].id.clone();
        let item_id = self.id("item");
        let new = NewItem {
            id: item_id.clone(),
            kind,
            bbox: [
                0.1,
                -0.1,
                0.2,
                0.2,
                if kind == ItemKind::Sticker { 45.0 } else { 0.0 },
            ],
            z: 10.0,
            created_by: PEOPLE[who].into(),
            photo: None,
            text: Some(if kind == ItemKind::Sticker {
                "★".into()
            } else {
                "note".into()
            }),
            style: Style::default(),
            slot: None,
        };
        self.person(who, |txn| {
            add_item(txn, &page_id, new).unwrap();
        });
        self.refresh(&item_id);
    }

    /// Automix and proactive redesign write alike: a version first, then the untouched pages
    /// go and new auto pages of system photos follow.
    fn design(&mut self, pages: usize) {
        self.versions.push(self.snapshot());
        let new_pages: Vec<(String, Vec<String>)> = (0..pages)
            .map(|_| {
                (
                    self.id("auto-page"),
                    vec![self.id("photo"), self.id("photo")],
                )
            })
            .collect();
        self.machine(|txn| {
            remove_untouched_pages(txn).unwrap();
            for (page_id, photos) in &new_pages {
                let len = read_book(&*txn).unwrap().pages.len() as u32;
                let page = NewPage {
                    id: page_id.clone(),
                    kind: PageKind::Page,
                    layout: Some("square-2a".into()),
                    background: Background::default(),
                    created_by: SYSTEM_USER.into(),
                    auto: true,
                };
                add_page(txn, len, page).unwrap();
                for (slot, item_id) in photos.iter().enumerate() {
                    let item = NewItem {
                        id: item_id.clone(),
                        kind: ItemKind::Photo,
                        bbox: [-0.25 + 0.5 * slot as f64, 0.0, 0.45, 0.9, 0.0],
                        z: slot as f64,
                        created_by: SYSTEM_USER.into(),
                        photo: Some(PhotoRef {
                            id: format!("p-{item_id}"),
                            pan: [0.0, 0.0],
                            zoom: 1.0,
                        }),
                        text: None,
                        style: Style::default(),
                        slot: Some(slot as u32),
                    };
                    add_item(txn, page_id, item).unwrap();
                }
            }
        });
    }

    fn snapshot(&self) -> Doc {
        let copy = Doc::with_client_id(2);
        let state = self
            .server
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        copy.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        copy
    }

    fn run(&mut self, step: &Step) {
        match step.clone() {
            Step::AddSticker { who, page } => self.add_item(who, page, ItemKind::Sticker),
            Step::AddText { who, page } => self.add_item(who, page, ItemKind::Text),
            Step::Move { who, item, x, y } => {
                let own = self.own_items(who);
                if let Some((item_id, page_id)) = own.get(item % own.len().max(1)).cloned() {
                    self.person(who, |txn| move_item(txn, &page_id, &item_id, x, y).unwrap());
                    self.refresh(&item_id);
                }
            }
            Step::Caption { who, item, text } => {
                let own = self.own_items(who);
                if let Some((item_id, page_id)) = own.get(item % own.len().max(1)).cloned() {
                    self.person(who, |txn| {
                        set_caption(txn, &page_id, &item_id, &text).unwrap()
                    });
                    self.refresh(&item_id);
                }
            }
            Step::DeleteItem { who, item } => {
                let own = self.own_items(who);
                if let Some((item_id, page_id)) = own.get(item % own.len().max(1)).cloned() {
                    self.person(who, |txn| remove_item(txn, &page_id, &item_id).unwrap());
                    self.expected.remove(&item_id);
                }
            }
            Step::AddPage { who } => {
                let page_id = self.id("page");
                let len = self.book().pages.len() as u32;
                let page = NewPage {
                    id: page_id,
                    kind: PageKind::Page,
                    layout: None,
                    background: Background::default(),
                    created_by: PEOPLE[who].into(),
                    auto: false,
                };
                self.person(who, |txn| {
                    add_page(txn, len, page).unwrap();
                });
            }
            Step::DeletePage { who, page } => {
                // A contributor may delete a page of theirs that holds only their own items.
                let mine: Vec<Page> = self
                    .book()
                    .pages
                    .into_iter()
                    .filter(|p| {
                        p.created_by == PEOPLE[who]
                            && p.items.iter().all(|i| i.created_by == PEOPLE[who])
                    })
                    .collect();
                if let Some(p) = mine.get(page % mine.len().max(1)) {
                    let page_id = p.id.clone();
                    self.person(who, |txn| remove_page(txn, &page_id).unwrap());
                    for it in &p.items {
                        self.expected.remove(&it.id);
                    }
                }
            }
            Step::MovePage { who, page, to } => {
                // A move is a copy and a delete (until SPEC §6.7's position keys): a
                // contributor may move a page of theirs that holds only their own items.
                let book = self.book();
                let mine: Vec<&Page> = book
                    .pages
                    .iter()
                    .filter(|p| {
                        p.created_by == PEOPLE[who]
                            && p.items.iter().all(|i| i.created_by == PEOPLE[who])
                    })
                    .collect();
                if let Some(p) = mine.get(page % mine.len().max(1)) {
                    let (page_id, to) = (p.id.clone(), (to % book.pages.len()) as u32);
                    self.person(who, |txn| move_page(txn, &page_id, to).unwrap());
                    for it in &p.items {
                        self.refresh(&it.id);
                    }
                }
            }
            Step::Automix { pages } | Step::ProactiveRedesign { pages } => self.design(pages),
            Step::Restore { version } => {
                if self.versions.is_empty() {
                    return;
                }
                let target = self.versions[version % self.versions.len()].clone_doc();
                let had = read_book(&target.transact()).unwrap();
                self.machine(|txn| {
                    crate::restore::restore_pages(txn, &target);
                });
                // What the version holds of people's work comes back as the version has it.
                for page in &had.pages {
                    for it in page.items.iter().filter(|i| i.made_by_person()) {
                        self.expected
                            .insert(it.id.clone(), (page.id.clone(), it.clone()));
                    }
                }
            }
            Step::ProductChange { product } => {
                let id = crate::PRODUCTS[product].id;
                self.machine(|txn| crate::set_meta(txn, crate::schema::meta::PRODUCT, id));
            }
        }
    }

    fn check(&self, after: &Step) {
        let book = self.book();
        let mut found: BTreeMap<&str, (&str, &Item)> = BTreeMap::new();
        for page in &book.pages {
            for it in &page.items {
                found.insert(&it.id, (&page.id, it));
            }
        }
        for (id, (page, item)) in &self.expected {
            let (at, now) = found
                .get(id.as_str())
                .unwrap_or_else(|| panic!("after {after:?}: {id} of {} is gone", item.created_by));
            assert_eq!(at, page, "after {after:?}: {id} moved to another page");
            assert_eq!(*now, item, "after {after:?}: {id} changed");
        }
    }
}

trait CloneDoc {
    fn clone_doc(&self) -> Doc;
}

impl CloneDoc for Doc {
    fn clone_doc(&self) -> Doc {
        let copy = Doc::with_client_id(3);
        let state = self
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        copy.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        copy
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn nothing_a_person_made_is_lost_to_a_machine(steps in prop::collection::vec(any_step(), 1..40)) {
        let mut world = World::new();
        // A first design, so there are automix pages to put things on.
        world.design(2);
        for step in &steps {
            world.run(step);
            world.check(step);
        }
    }
}

#[test]
fn a_sticker_on_an_automix_page_survives_automix_again() {
    // The issue's own scenario, step by step.
    let mut world = World::new();
    world.design(3);
    let steps = [
        Step::AddSticker { who: 1, page: 1 },
        Step::Automix { pages: 2 },
        Step::ProactiveRedesign { pages: 4 },
        Step::Restore { version: 0 },
    ];
    for step in &steps {
        world.run(step);
        world.check(step);
    }
    assert_eq!(world.expected.len(), 1);
}

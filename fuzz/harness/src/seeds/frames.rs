//! Sync frame seeds for the sync decoder: the protocol's messages, whole and broken.

use crdt_schema::model::{self, PageKind};
use folio_server::sync::protocol;
use yrs::{ReadTxn, StateVector, Transact};

use super::updates::edit_on_base;
use crate::book::{self, AUTO_PAGE, AUTO_PHOTO_1};

pub(super) fn sync_seeds() -> Vec<(String, Vec<u8>)> {
    let base = book::base_doc();
    let sv = base.transact().state_vector();
    let step1 = |sv: &StateVector| protocol::sync_step1(sv).to_vec();
    let add_page = edit_on_base(book::ALICE_CLIENT, |t| {
        drop(
            model::add_page(
                t,
                1,
                book::page(
                    "5eed0000-0000-4000-8000-000000000011",
                    PageKind::Page,
                    book::ALICE,
                    false,
                ),
            )
            .unwrap(),
        )
    });
    let caption = edit_on_base(book::BOB_CLIENT, |t| {
        model::edit_caption(t, AUTO_PAGE, AUTO_PHOTO_1, 0, 0, "¡").unwrap()
    });
    let awareness = protocol::awareness(
        [
            (7u64, 1u32, r#"{"user":{"name":"Mallory"},"cursor":{"anchor":{"type":{"client":1,"clock":2}},"head":null},"selection":["a11ce000-0000-4000-8000-000000002001"]}"#),
            (8, 4, "null"),
        ]
        .into_iter(),
    )
    .to_vec();
    let mut both = awareness.clone();
    both.extend_from_slice(&protocol::sync_update(&add_page));
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("step1-empty", step1(&StateVector::default())),
        ("step1-base", step1(&sv)),
        (
            "step2-base-state",
            protocol::sync_step2(
                &base
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .to_vec(),
        ),
        ("update-add-page", protocol::sync_update(&add_page).to_vec()),
        (
            "update-caption-char",
            protocol::sync_update(&caption).to_vec(),
        ),
        (
            "update-empty",
            protocol::sync_update(yrs::Update::EMPTY_V1).to_vec(),
        ),
        ("awareness", awareness),
        ("awareness-and-update", both),
        ("query-awareness", vec![3]),
        ("auth-denied", protocol::permission_denied("no").to_vec()),
        ("truncated-varint", vec![0xff]),
        (
            "giant-length-prefix",
            vec![0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        ("length-beyond-frame", vec![0x00, 0x02, 0x05, 0x01]),
        (
            "awareness-count-bomb",
            vec![0x01, 0x04, 0xff, 0xff, 0xff, 0x7f],
        ),
        (
            "update-clients-bomb",
            vec![0x00, 0x02, 0x04, 0xff, 0xff, 0xff, 0x7f],
        ),
        ("unknown-type", vec![0x09]),
        ("unknown-sync-step", vec![0x00, 0x07, 0x00]),
    ];
    seeds
        .into_iter()
        .map(|(n, b)| (format!("{n}.bin"), b))
        .collect()
}

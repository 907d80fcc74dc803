//! The room core's commit path: retries and giving up, compaction, idle unload, shutdown
//! and slow peers.

use super::*;

#[test]
fn retries_back_off_and_a_late_success_relays_as_usual() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let (alice, bob) = (Client::new(1, Role::Editor), Client::new(2, Role::Editor));
    alice.join(&mut room);
    bob.join(&mut room);
    let (raw, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.take_effects();

    let mut now = t0;
    let mut delays = Vec::new();
    for _ in 0..3 {
        now += Duration::from_millis(10);
        room.commit_done(now, Err("database is locked".into()));
        let effects = room.take_effects();
        assert!(broadcasts(&effects).is_empty() && closes(&effects).is_empty());
        let [(updates, delay)] = &appends(&effects)[..] else {
            panic!("expected a retry: {effects:?}");
        };
        assert_eq!(updates, &vec![raw.clone()]);
        delays.push(*delay);
    }
    assert_eq!(
        delays,
        [100, 200, 400].map(Duration::from_millis).to_vec(),
        "exponential back-off"
    );
    room.commit_done(now, Ok(1));
    let effects = room.take_effects();
    assert_eq!(broadcasts(&effects).len(), 1);
    assert!(closes(&effects).is_empty() && unload(&effects).is_none());
}

#[test]
fn the_backoff_is_capped() {
    let r = CommitRetry::STANDARD;
    assert_eq!(r.delay(1), Duration::from_millis(100));
    assert_eq!(r.delay(5), Duration::from_millis(1600));
    assert_eq!(r.delay(6), r.max_delay);
    assert_eq!(r.delay(1000), r.max_delay);
}

#[test]
fn a_room_whose_commits_keep_failing_gives_up_closes_with_try_again_and_unloads() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let (alice, bob) = (Client::new(1, Role::Editor), Client::new(2, Role::Editor));
    alice.join(&mut room);
    bob.join(&mut room);
    let (_, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    // A system edit waits on the same commits.
    room.system_edit(
        t0,
        Box::new(|txn| crdt_schema::set_meta(txn, "title", "Renamed")),
        42,
    );
    room.receive(
        t0,
        2,
        decode(&protocol::sync_step1(&StateVector::default())),
    );
    let mut effects = room.take_effects();
    let mut now = t0;
    let mut failures = 0;
    while unload(&effects).is_none() {
        assert!(
            broadcasts(&effects).is_empty() && sent_to(&effects, 2).is_empty(),
            "nothing uncommitted is relayed: {effects:?}"
        );
        assert!(
            failures < CommitRetry::STANDARD.max_failures,
            "never gave up"
        );
        for (_, delay) in appends(&effects) {
            now += delay;
        }
        failures += 1;
        room.commit_done(now, Err("disk I/O error".into()));
        effects = room.take_effects();
    }
    assert_eq!(failures, CommitRetry::STANDARD.max_failures);
    assert!(now - t0 < Duration::from_secs(10), "{:?}", now - t0);
    // Everyone is told to reconnect (a code stock clients reconnect on), nothing
    // uncommitted goes out, the waiting edit is told to try again, and the room unloads
    // without folding a doc the store never took.
    let closed = closes(&effects);
    assert_eq!(closed.len(), 2);
    for (_, close) in &closed {
        assert_eq!(close.code, close_code::TRY_AGAIN_LATER);
        assert!(close.reason.contains("reconnect"), "{}", close.reason);
    }
    assert!(!broadcasts(&effects)
        .iter()
        .any(|(_, m)| matches!(m, Message::Sync(_))));
    assert!(sent_to(&effects, 2).is_empty());
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Reply {
            ticket: 42,
            result: Err(SyncError::Retry)
        }
    )));
    assert!(matches!(unload(&effects), Some(None)));
    assert!(matches!(effects.last(), Some(Effect::Unload { .. })));
    assert!(appends(&effects).is_empty());
    // And it takes no one in any more.
    assert!(matches!(
        room.join(Client::new(3, Role::Editor).info),
        Err(SyncError::ShuttingDown)
    ));
    assert!(room.take_effects().is_empty());
}

#[test]
fn slow_failures_give_up_after_the_time_bound() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    let (_, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.take_effects();
    // Each attempt hangs for a long while before failing.
    room.commit_done(t0 + Duration::from_secs(20), Err("timed out".into()));
    assert!(unload(&room.take_effects()).is_none());
    room.commit_done(t0 + Duration::from_secs(51), Err("timed out".into()));
    let effects = room.take_effects();
    assert_eq!(closes(&effects).len(), 1);
    assert!(matches!(unload(&effects), Some(None)));
}

#[test]
fn an_idle_room_unloads_and_folds_its_log() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    assert_eq!(room.idle_deadline(), None, "not idle with a connection");
    let (_, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.commit_done(t0, Ok(1));
    let t1 = t0 + Duration::from_secs(5);
    room.leave(t1, 1);
    room.take_effects();
    assert_eq!(room.idle_deadline(), Some(t1 + IDLE));

    room.idle(t1 + IDLE);
    let effects = room.take_effects();
    let Some(Some(Fold { snapshot, upto })) = unload(&effects) else {
        panic!("expected an unload that folds the log: {effects:?}");
    };
    assert_eq!(*upto, 1);
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(snapshot).unwrap())
        .unwrap();
    assert_eq!(page_count(&doc), 1);
}

#[test]
fn an_idle_room_waits_for_its_commit_before_unloading() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    let (_, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.leave(t0, 1);
    room.take_effects();

    let t1 = t0 + IDLE;
    room.idle(t1);
    assert!(
        unload(&room.take_effects()).is_none(),
        "a commit is pending"
    );
    assert_eq!(room.idle_deadline(), Some(t1 + IDLE), "waits another round");
    room.commit_done(t1, Ok(1));
    room.take_effects();
    room.idle(t1 + IDLE);
    assert!(unload(&room.take_effects()).is_some());
}

#[test]
fn an_untouched_room_unloads_without_writing() {
    let t0 = Instant::now();
    let mut room = room(t0);
    assert_eq!(room.idle_deadline(), Some(t0 + IDLE));
    room.idle(t0 + IDLE);
    let effects = room.take_effects();
    assert!(matches!(unload(&effects), Some(None)));
    assert!(room.take_effects().is_empty(), "unloads once");
}

#[test]
fn shutdown_closes_with_1012_and_unloads_once_flushed() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    let (_, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.take_effects();

    room.shutdown(t0);
    let effects = room.take_effects();
    assert_eq!(
        closes(&effects),
        vec![(
            1,
            Close::new(close_code::RESTART, "server restarting; reconnect")
        )]
    );
    assert!(
        unload(&effects).is_none(),
        "the accepted update is not yet durable"
    );
    room.commit_done(t0, Ok(1));
    let effects = room.take_effects();
    assert!(matches!(
        effects.last(),
        Some(Effect::Unload { fold: Some(_) })
    ));
}

#[test]
fn a_slow_connection_is_closed_with_4500() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    room.too_slow(t0, 1);
    let effects = room.take_effects();
    assert_eq!(closes(&effects)[0].1.code, close_code::TOO_SLOW);
    room.too_slow(t0, 1);
    assert!(room.take_effects().is_empty(), "already gone");
}

#[test]
fn a_log_that_grew_during_a_compaction_is_folded_when_it_ends() {
    let t0 = Instant::now();
    let mut room = RoomCore::load(
        ProjectId::new(),
        RoomRules {
            compact_after: 2,
            ..rules()
        },
        7,
        &StoredDoc {
            snapshot: Some(book()),
            snapshot_seq: 0,
            updates: Vec::new(),
        },
        t0,
    )
    .unwrap();
    let alice = Client::new(1, Role::Editor);
    alice.join(&mut room);
    let compactions = |effects: &[Effect]| -> Vec<i64> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Compact { upto, .. } => Some(*upto),
                _ => None,
            })
            .collect()
    };
    let mut seq = 0;
    let mut commit = |room: &mut RoomCore, name: &str| {
        let (_, msgs) = alice.edit(|txn| add_page(txn, name, &alice.info.user_str));
        room.receive(t0, 1, msgs);
        seq += 1;
        room.commit_done(t0, Ok(seq));
        room.take_effects()
    };
    commit(&mut room, "p1");
    assert_eq!(compactions(&commit(&mut room, "p2")), vec![2]);
    // Two more commits while that compaction runs: none starts another.
    assert!(compactions(&commit(&mut room, "p3")).is_empty());
    assert!(compactions(&commit(&mut room, "p4")).is_empty());
    room.compacted(Ok(()));
    assert_eq!(compactions(&room.take_effects()), vec![4]);
}

use super::*;

const LIMITS: Limits = Limits { rate: 5, window: 3 };

fn run(table: &Table, hash: u64, now: u32, n: usize) -> (usize, usize) {
    let mut within = 0;
    let mut started = 0;
    for _ in 0..n {
        match table.debit(hash, now, LIMITS) {
            Verdict::Within => within += 1,
            Verdict::Over { started: true } => started += 1,
            Verdict::Over { started: false } => {}
        }
    }
    (within, started)
}

#[test]
fn pack_round_trips_negative_balances() {
    for bal in [-(BALANCE_MAX), -1, 0, 1, BALANCE_MAX] {
        assert_eq!(unpack(pack(0xabcdef, 65535, bal)), (0xabcdef, 65535, bal));
    }
}

#[test]
fn a_new_account_answers_rate_responses_then_limits_once_started() {
    let t = Table::with_buckets(16);
    assert_eq!(run(&t, 7, 100, 50), (5, 1));
}

#[test]
fn a_flood_runs_up_debt_that_takes_the_window_to_repay() {
    let t = Table::with_buckets(16);
    // 1000 responses in second 10: 5 answered, the balance sinks to -rate × window = -15.
    assert_eq!(run(&t, 7, 10, 1000).0, 5);
    // One and two seconds later the balance is still negative (-10, -5): nothing answered.
    assert_eq!(run(&t, 7, 11, 1).0, 0);
    assert_eq!(run(&t, 7, 12, 1).0, 0);
    // After the window (3 s) of quiet the account is in credit again.
    assert_eq!(run(&t, 7, 16, 5).0, 5);
}

#[test]
fn a_steady_source_below_the_rate_is_never_limited() {
    let t = Table::with_buckets(16);
    for second in 0..100 {
        assert_eq!(run(&t, 7, second, 4), (4, 0), "second {second}");
    }
}

#[test]
fn accounts_with_different_hashes_are_independent() {
    let t = Table::with_buckets(1 << 10);
    assert_eq!(run(&t, 1, 0, 100).0, 5);
    assert_eq!(run(&t, 2, 0, 100).0, 5, "another bucket");
    // Same bucket, other tag: the newcomer replaces the account with a full balance.
    assert_eq!(run(&t, 1 | (1 << 41), 0, 100).0, 5);
}

#[test]
fn the_clock_wrapping_past_16_bits_keeps_accounting() {
    let t = Table::with_buckets(16);
    assert_eq!(run(&t, 9, 65535, 100).0, 5);
    // 65536 is second 0 of the next turn: one second later, still in debt.
    assert_eq!(run(&t, 9, 65536, 1).0, 0);
    assert_eq!(run(&t, 9, 65540, 5).0, 5);
}

#[test]
fn threads_sharing_an_account_answer_no_more_than_the_rate() {
    let t = Table::with_buckets(16);
    let within: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| run(&t, 3, 0, 1000).0)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    // Contended compare-and-swap gives up towards answering: a few more than the rate at most.
    assert!((5..=5 + 4 * 4).contains(&within), "{within}");
}

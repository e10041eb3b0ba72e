//! A candidate who always picks the first option on screen scores what chance gives, not what
//! the bank's authors' habit of putting the right answer first would give: each candidate sees
//! the options in an order of their own (certroom_core::options), mapped back to the item's order
//! before the answer is checked.

use certroom_core::answer::check;
use certroom_core::bank::{Item, ItemType};
use certroom_core::options::{order, to_item_order};
use certroom_core::Response;
use certroom_kiosk::screen::question_view;
use certroom_kiosk::Lang;

fn sample_choice_items() -> Vec<Item> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
    let files = certroom_bank::folder::read_dir(&dir).unwrap();
    let bank = certroom_bank::load(files).unwrap().bank;
    bank.items()
        .iter()
        .filter(|i| i.kind == ItemType::Qcu)
        .cloned()
        .collect()
}

#[test]
fn always_choosing_the_first_option_scores_chance() {
    let items = sample_choice_items();
    assert!(items.len() >= 30, "{} single-choice items", items.len());
    let (candidates, served) = (10_000u64, 32usize);
    let (mut right, mut chance) = (0u64, 0.0f64);
    for seed in 0..candidates {
        // The items served to this candidate: a spread of the bank, different per candidate.
        let seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for k in 0..served {
            let item = &items[(seed.rotate_left(k as u32 * 7) as usize + k * 13) % items.len()];
            let order = order(seed, item);
            let view = question_view(item, &order, Lang::Fr, |_| None);
            assert_eq!(view.proposals.len(), item.proposals.len());
            // Position 1 on the screen, through the kiosk's mapping, to the checker.
            let journaled = to_item_order(&Response::Choice(1), &order);
            right += u64::from(check(item, &journaled));
            chance += 1.0 / item.proposals.len() as f64;
        }
    }
    let answers = (candidates as usize * served) as f64;
    let (observed, expected) = (right as f64 / answers, chance / answers);
    println!("first option: {observed:.4} right, chance {expected:.4}");
    // ±2 points of chance; without the shuffle the sample bank gives far more (its right answers
    // were mostly first), and a shuffle that never moved the first option would too.
    assert!(
        (observed - expected).abs() <= 0.02,
        "first option right {observed:.4}, chance {expected:.4}"
    );
}

#[test]
fn without_the_shuffle_the_first_option_would_beat_chance_on_a_biased_bank() {
    // The same measure on items whose right answer is always first, shown in the bank's order:
    // the test above could fail.
    let mut items = sample_choice_items();
    for item in &mut items {
        let k = item.proposals.len();
        item.fixed_order = true;
        if let certroom_core::bank::Solution::Choice(c) = &mut item.solution {
            let right = usize::try_from(*c).unwrap() - 1;
            item.proposals.swap(0, right.min(k - 1));
            *c = 1;
        }
    }
    let right = items
        .iter()
        .filter(|item| {
            let order = order(7, item);
            check(item, &to_item_order(&Response::Choice(1), &order))
        })
        .count();
    assert_eq!(right, items.len());
}

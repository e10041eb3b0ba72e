//! The order a candidate sees a question's options in. Drawn per candidate and per item from its
//! own stream, `SHA-256(seed ‖ "options" ‖ item id)`, so shuffling never touches the engine's
//! draws (the questions asked stay the same) and the central replay can rebuild every order from
//! the journal's seed. The journal keeps answers in the item's own order, so answer checking
//! never sees screen positions.

use ring::digest;

use crate::answer::Response;
use crate::bank::{Item, ItemType};

/// The scheme, named in the journal header (version 2).
pub const OPTIONS_SCHEME: &str = "certroom-options/sha256-fisher-yates/1";

/// Screen order of an item's options: `order[position]` is the 0-based index in the item of the
/// option shown at that position. The identity for items that keep their order
/// (`fixed_order`) and for formats without options.
pub fn order(seed: u64, item: &Item) -> Vec<usize> {
    let k = item.proposals.len();
    let mut order: Vec<usize> = (0..k).collect();
    if item.fixed_order || !matches!(item.kind, ItemType::Qcu | ItemType::Qcm) {
        return order;
    }
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&seed.to_be_bytes());
    ctx.update(b"options");
    ctx.update(item.id.as_bytes());
    let stream = ctx.finish();
    let bytes = stream.as_ref();
    // Fisher-Yates with one 16-bit draw per swap (an item has at most 8 options: 14 of the 32
    // bytes); `% (i + 1)` on 16 bits is unbiased to well under a tenth of a percent.
    for i in (1..k).rev() {
        let at = 2 * (k - 1 - i);
        let r = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
        order.swap(i, r % (i + 1));
    }
    order
}

/// A response as the screen gave it (1-based positions) in the item's own terms (1-based option
/// indices), which is what the journal keeps and the checker reads. Positions outside the screen
/// stay outside the item (checked wrong, never mapped onto a real option).
pub fn to_item_order(response: &Response, order: &[usize]) -> Response {
    let map = |position: i64| -> i64 {
        usize::try_from(position - 1)
            .ok()
            .and_then(|p| order.get(p))
            .map_or(0, |&index| index as i64 + 1)
    };
    match response {
        Response::Choice(p) => Response::Choice(map(*p)),
        Response::Choices(ps) => Response::Choices(ps.iter().map(|p| map(*p)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<Item> {
        crate::bank::synthetic(200, 7)
            .expect("the synthetic bank is valid")
            .items()
            .iter()
            .filter(|i| i.kind == ItemType::Qcu || i.kind == ItemType::Qcm)
            .cloned()
            .collect()
    }

    #[test]
    fn an_order_is_a_permutation_fixed_by_seed_and_item() {
        for item in items().iter().take(50) {
            let a = order(42, item);
            let mut sorted = a.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..item.proposals.len()).collect::<Vec<_>>());
            assert_eq!(a, order(42, item), "the same seed gives the same order");
        }
    }

    #[test]
    fn every_position_is_as_likely_for_the_first_option() {
        let item = items()
            .into_iter()
            .find(|i| i.proposals.len() == 4)
            .expect("a four-option item");
        let mut at = [0u32; 4];
        for seed in 0..40_000u64 {
            at[order(seed, &item).iter().position(|&i| i == 0).unwrap()] += 1;
        }
        for n in at {
            // 10,000 expected per position; 3 % is over 30 standard deviations of sampling noise.
            assert!((9_700..=10_300).contains(&n), "{at:?}");
        }
    }

    #[test]
    fn fixed_order_items_and_fields_keep_their_order() {
        let mut item = items().remove(0);
        item.fixed_order = true;
        assert_eq!(
            order(9, &item),
            (0..item.proposals.len()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn screen_positions_map_back_to_the_item_and_nowhere_else() {
        let order = vec![2, 0, 3, 1];
        assert_eq!(
            to_item_order(&Response::Choice(1), &order),
            Response::Choice(3)
        );
        assert_eq!(
            to_item_order(&Response::Choices(vec![2, 4]), &order),
            Response::Choices(vec![1, 2])
        );
        assert_eq!(
            to_item_order(&Response::Choice(5), &order),
            Response::Choice(0)
        );
        assert_eq!(
            to_item_order(&Response::Choice(0), &order),
            Response::Choice(0)
        );
        assert_eq!(to_item_order(&Response::Skip, &order), Response::Skip);
    }
}

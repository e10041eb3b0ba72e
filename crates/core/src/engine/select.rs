//! Next-item selection: hard filters, soft constraints relaxed in a documented order, ranking by
//! Fisher information, and the strategy's random draw.
//!
//! Hard filters, never relaxed: never an answered skill, never a skill whose alert was validated,
//! accessible items only when the candidate needs adjustments.
//! Soft constraints, relaxed in this order when nothing passes them:
//! 1. not the same competence twice in a row;
//! 2. cover every competence before repeating one — computed over the competences that still
//!    have an eligible item, so a competence the bank has run out of does not block the others;
//! 3. at most one item per tube (another skill of a used tube becomes acceptable).
//!
//! If no item passes the hard filters the test ends with `EndReason::BankExhausted`.

use super::{grid, Selection, Test};
use crate::framework::COMPETENCE_COUNT;
use crate::rng;
use rand_chacha::rand_core::Rng;

/// Buffers reused across steps so that selection does not allocate.
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// Per item: 0 excluded, 1 only with the tube rule relaxed, 2 fully eligible.
    tier: Vec<u8>,
    /// Best items so far, most informative first: (information, item).
    pool: Vec<(f64, u32)>,
}

impl Scratch {
    pub(super) fn new(n_items: usize) -> Scratch {
        Scratch {
            tier: vec![0; n_items],
            pool: Vec::with_capacity(64),
        }
    }
}

impl Test<'_> {
    /// The next item and the raw draw used, or `None` when the bank is exhausted.
    pub(super) fn select(&mut self) -> Option<(usize, u64)> {
        let ix = &self.bank.ix;
        let n = ix.a.len();
        let mut comp_free = [false; COMPETENCE_COUNT];
        let mut comp_any = [false; COMPETENCE_COUNT];
        let tier = &mut self.scratch.tier;
        tier.resize(n, 0);
        for (i, t) in tier.iter_mut().enumerate() {
            *t = 0;
            let (Some(&skill), Some(&tube), Some(&comp), Some(&acc)) = (
                ix.skill.get(i),
                ix.tube.get(i),
                ix.comp.get(i),
                ix.accessible.get(i),
            ) else {
                continue;
            };
            if self
                .skill_blocked
                .get(skill as usize)
                .copied()
                .unwrap_or(true)
                || (self.needs_adjustment && !acc)
            {
                continue;
            }
            let free = !self.tube_used.get(tube as usize).copied().unwrap_or(true);
            *t = if free { 2 } else { 1 };
            let c = usize::from(comp);
            if let Some(x) = comp_any.get_mut(c) {
                *x = true;
            }
            if free {
                if let Some(x) = comp_free.get_mut(c) {
                    *x = true;
                }
            }
        }
        let (need, avail) = if comp_free.iter().any(|x| *x) {
            (2u8, comp_free)
        } else if comp_any.iter().any(|x| *x) {
            (1u8, comp_any)
        } else {
            return None;
        };
        let min = (0..COMPETENCE_COUNT)
            .filter(|c| avail.get(*c).copied().unwrap_or(false))
            .map(|c| self.comp_count.get(c).copied().unwrap_or(u8::MAX))
            .min()
            .unwrap_or(0);
        let mut allowed = [false; COMPETENCE_COUNT];
        for (c, a) in allowed.iter_mut().enumerate() {
            *a = avail.get(c).copied().unwrap_or(false)
                && self.comp_count.get(c).copied() == Some(min);
        }
        if let Some(last) = self.last_comp.map(usize::from) {
            let others = allowed.iter().enumerate().any(|(c, a)| *a && c != last);
            if others {
                if let Some(a) = allowed.get_mut(last) {
                    *a = false;
                }
            }
        }

        let draw = rng::stream(self.seed, u64::from(self.issued)).next_u64();
        let u = rng::unit(draw);
        if let Selection::Randomesque { .. } = self.config.selection {
            // Competence first, from the high half of the draw; the item rank uses the low half.
            let count = allowed.iter().filter(|a| **a).count();
            let pick = ((rng::unit32((draw >> 32) as u32) * count as f64) as usize)
                .min(count.saturating_sub(1));
            if let Some(chosen) = allowed
                .iter()
                .enumerate()
                .filter(|(_, a)| **a)
                .nth(pick)
                .map(|(c, _)| c)
            {
                for (c, a) in allowed.iter_mut().enumerate() {
                    *a = c == chosen;
                }
            }
        }
        let eligible = |i: usize| {
            tier.get(i).copied().unwrap_or(0) >= need
                && ix
                    .comp
                    .get(i)
                    .is_some_and(|c| allowed.get(usize::from(*c)).copied().unwrap_or(false))
        };

        if let Selection::Random = self.config.selection {
            let count = (0..n).filter(|i| eligible(*i)).count();
            let pick = ((u * count as f64) as usize).min(count.saturating_sub(1));
            return (0..n).filter(|i| eligible(*i)).nth(pick).map(|i| (i, draw));
        }

        let theta = match self.config.selection {
            Selection::Fixed => 0.0,
            _ => self.theta,
        };
        let k = self.config.pool_size(self.answered).max(1);
        let pool = &mut self.scratch.pool;
        pool.clear();
        for i in 0..n {
            if !eligible(i) {
                continue;
            }
            let (Some(&a), Some(&b)) = (ix.a.get(i), ix.b.get(i)) else {
                continue;
            };
            // What an item must beat to enter a full pool. Strictly greater: on equal
            // information the lower index (item id order) stays ahead.
            let floor = if pool.len() == k {
                pool.last().map(|(w, _)| *w)
            } else {
                None
            };
            // An item whose best possible information cannot beat the floor is passed over
            // without its exponential: the comparison below would pass it over too.
            if floor.is_some_and(|w| grid::information_bound(a) <= w) {
                continue;
            }
            let info = grid::information(a, b, theta);
            if floor.is_some_and(|w| info <= w) {
                continue;
            }
            let at = pool
                .iter()
                .position(|(w, _)| info > *w)
                .unwrap_or(pool.len());
            if pool.len() == k {
                pool.pop();
            }
            pool.insert(at, (info, i as u32));
        }
        if pool.is_empty() {
            return None;
        }
        let rank = match self.config.selection {
            Selection::Reference { p_best, .. } => {
                // Best with p, else the next with p of what is left, …; the last takes the rest.
                let mut u = u;
                let mut r = 0;
                while r + 1 < pool.len() && u >= p_best {
                    u = (u - p_best) / (1.0 - p_best);
                    r += 1;
                }
                r
            }
            Selection::Randomesque { .. } => {
                ((rng::unit32(draw as u32) * pool.len() as f64) as usize).min(pool.len() - 1)
            }
            Selection::Random | Selection::Fixed => 0,
        };
        pool.get(rank).map(|(_, i)| (*i as usize, draw))
    }
}

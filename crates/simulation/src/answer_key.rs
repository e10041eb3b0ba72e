//! What a simulated candidate knows: the bank's solutions, so that a candidate of ability θ
//! answers an item right with the 2PL probability 1 / (1 + exp(a(b − θ))), as a real pupil of
//! that level would. It answers through the screen the kiosk shows (options in their shuffled
//! order, fields by key), never through the engine, so the chain scores what a kiosk received.

use std::collections::BTreeMap;

use certroom_core::bank::{Item, Solution};
use certroom_core::{Bank, Response};
use certroom_kiosk::screen::{markdown_inline, Lang, QuestionView};

pub struct AnswerKey {
    bank: Bank,
}

impl AnswerKey {
    pub fn new(bank: Bank) -> Self {
        AnswerKey { bank }
    }

    /// The bank of the folder `dir`, as the session's pack holds it.
    pub fn from_folder(dir: &std::path::Path) -> Result<Self, String> {
        let (_, loaded) = certroom_bank::folder::load_dir(dir).map_err(|e| e.to_string())?;
        Ok(AnswerKey::new(loaded.bank))
    }

    /// The chance that a candidate of `ability` answers `item_id` right.
    pub fn p_right(&self, item_id: &str, ability: f64) -> f64 {
        self.bank
            .item(item_id)
            .map(|i| 1.0 / (1.0 + (i.irt.a * (i.irt.b - ability)).exp()))
            .unwrap_or(0.0)
    }

    /// The right answer as the candidate gives it on `screen` (shown in `lang`), if it can be
    /// found there.
    pub fn right_response(&self, screen: &QuestionView, lang: Lang) -> Option<Response> {
        let item = self.bank.item(&screen.item_id)?;
        match &item.solution {
            Solution::Choice(n) => on_screen(item, screen, lang, *n).map(Response::Choice),
            Solution::Choices(ns) => ns
                .iter()
                .map(|n| on_screen(item, screen, lang, *n))
                .collect::<Option<Vec<_>>>()
                .map(|mut v| {
                    v.sort_unstable();
                    Response::Choices(v)
                }),
            Solution::Fields(accepted) => screen
                .fields
                .iter()
                .map(|f| Some((f.key.clone(), accepted.get(&f.key)?.first()?.clone())))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Response::Fields),
            Solution::Groups(groups) => screen
                .fields
                .iter()
                .zip(groups)
                .map(|(f, g)| Some((f.key.clone(), g.first()?.clone())))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Response::Fields),
        }
    }
}

/// The ability of candidate `i` of `n`: spread evenly from −1 to 1.5, so that a room's
/// certificates run from level 3 to level 5 or so, as a class's would.
pub fn ability(i: usize, n: usize) -> f64 {
    if n < 2 {
        return 0.25;
    }
    -1.0 + 2.5 * i as f64 / (n - 1) as f64
}

/// Where the item's option `n` (1-based, bank order) is on the screen (1-based): the screen
/// shows the options shuffled, rendered as the kiosk renders them.
fn on_screen(item: &Item, screen: &QuestionView, lang: Lang, n: u32) -> Option<i64> {
    let shown = markdown_inline(&lang.text(item.proposals.get(n.checked_sub(1)? as usize)?));
    let at = screen.proposals.iter().position(|p| *p == shown)?;
    i64::try_from(at + 1).ok()
}

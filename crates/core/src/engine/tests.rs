use super::*;
use crate::bank::{synthetic, BankSources};
use serde_json::json;

fn bank_of(items: serde_json::Value) -> Bank {
    let src = BankSources {
        manifest: json!({"format":1,"id":"tiny","version":"1","title":{"fr":"t"},"item_files":["items/a.json"]}).to_string(),
        item_files: vec![("items/a.json".into(), items.to_string())],
        assets: vec![],
    };
    Bank::load(&src).map_err(|e| e.to_string()).unwrap()
}

fn qcu(
    id: &str,
    comp: &str,
    tube: &str,
    skill: &str,
    b: f64,
    accessible: bool,
    timer: Option<u32>,
) -> serde_json::Value {
    let mut v = json!({"id":id,"competence":comp,"tube":tube,"skill":skill,"level":3,"type":"QCU",
        "instruction":{"fr":"?"},"proposals":[{"fr":"a"},{"fr":"b"}],"solution":{"choice":1},
        "accessible":accessible,"irt":{"a":1.2,"b":b}});
    if let Some(t) = timer {
        v["timer_s"] = json!(t);
    }
    v
}

const RIGHT: Response = Response::Choice(1);
const NO_CTX: AnswerContext = AnswerContext {
    timed_out: false,
    focus_lost: false,
    e10_validated: false,
};

fn ask<'b>(t: &mut Test<'b>) -> Question<'b> {
    match t.next_question() {
        Ok(Next::Question(q)) => q,
        other => panic!("expected a question, got {other:?}"),
    }
}

#[test]
fn a_full_test_respects_every_filter() {
    let bank = synthetic(800, 3).map_err(|e| e.to_string()).unwrap();
    for seed in 0..20u64 {
        let mut t = Test::new(&bank, &Config::default(), seed, seed % 2 == 0).unwrap();
        let mut comps = Vec::new();
        let mut tubes = std::collections::BTreeSet::new();
        while let Ok(Next::Question(q)) = t.next_question() {
            let it = bank.item(q.item_id).unwrap();
            assert!(tubes.insert(it.tube.clone()), "tube repeated");
            if seed % 2 == 0 {
                assert!(it.accessible, "needs adjustment ⇒ accessible only");
            }
            comps.push(it.competence.clone());
            let r = if q.draw % 3 == 0 {
                Response::Skip
            } else {
                RIGHT
            };
            t.answer(q.item_id, &r, NO_CTX).unwrap();
        }
        assert_eq!(t.end_reason(), Some(EndReason::Completed));
        assert_eq!(comps.len(), 32);
        let first: std::collections::BTreeSet<_> = comps[..16].iter().collect();
        assert_eq!(first.len(), 16, "all 16 competences before any repeat");
        assert!(
            comps.windows(2).all(|w| w[0] != w[1]),
            "same competence twice in a row: {comps:?}"
        );
        assert!(t.competence_counts().iter().all(|n| *n == 2));
        assert_eq!(t.score().status, crate::scoring::Status::Validated);
    }
}

#[test]
fn rules_skip_timer_and_focus() {
    let bank = bank_of(json!([
        qcu("i-1", "1.1", "t1", "s1", 0.0, true, Some(30)),
        qcu("i-2", "1.2", "t2", "s2", 0.0, true, None),
        qcu("i-3", "1.3", "t3", "s3", 0.0, true, None),
        qcu("i-4", "2.1", "t4", "s4", 0.0, true, None),
        qcu("i-5", "2.2", "t5", "s5", 0.0, true, None),
    ]));
    let mut t = Test::new(&bank, &Config::default(), 1, false).unwrap();
    let mut seen_timed = false;
    for _ in 0..5 {
        let q = ask(&mut t);
        let timed = bank.item(q.item_id).unwrap().timer_s.is_some();
        let o = t
            .answer(
                q.item_id,
                &RIGHT,
                AnswerContext {
                    timed_out: true,
                    ..NO_CTX
                },
            )
            .unwrap();
        assert!(o.checked);
        assert_eq!(o.correct, !timed, "timeout voids only timed items");
        seen_timed |= timed;
    }
    assert!(seen_timed);

    let mut t = Test::new(&bank, &Config::default(), 2, false).unwrap();
    let q = ask(&mut t);
    assert!(
        !t.answer(q.item_id, &Response::Skip, NO_CTX)
            .unwrap()
            .correct,
        "skip is wrong"
    );
    let q = ask(&mut t);
    assert!(
        !t.answer(
            q.item_id,
            &RIGHT,
            AnswerContext {
                focus_lost: true,
                ..NO_CTX
            }
        )
        .unwrap()
        .correct
    );
    let q = ask(&mut t);
    let ctx = AnswerContext {
        focus_lost: true,
        e10_validated: true,
        ..NO_CTX
    };
    assert!(
        t.answer(q.item_id, &RIGHT, ctx).unwrap().correct,
        "E10 validated restores it"
    );
    let q = ask(&mut t);
    assert!(matches!(
        t.answer("i-unknown", &RIGHT, NO_CTX),
        Err(EngineError::NotCurrentQuestion { .. })
    ));
    assert!(
        !t.answer(q.item_id, &Response::Choices(vec![1]), NO_CTX)
            .unwrap()
            .correct,
        "wrong shape"
    );
    assert!(matches!(
        t.answer(q.item_id, &RIGHT, NO_CTX),
        Err(EngineError::NoQuestion)
    ));
}

#[test]
fn an_open_alert_blocks_everything_until_handled() {
    let bank = synthetic(320, 5).unwrap();
    let mut t = Test::new(&bank, &Config::default(), 9, false).unwrap();
    assert_eq!(t.raise_alert(), Err(EngineError::NoQuestion));
    let q = ask(&mut t);
    t.raise_alert().unwrap();
    assert_eq!(
        t.answer(q.item_id, &RIGHT, NO_CTX),
        Err(EngineError::AlertOpen)
    );
    assert_eq!(t.next_question(), Err(EngineError::AlertOpen));
    assert_eq!(t.raise_alert(), Err(EngineError::AlertOpen));
    t.dismiss_alert().unwrap();
    assert_eq!(ask(&mut t), q, "dismiss resumes the same question");
    assert_eq!(t.dismiss_alert(), Err(EngineError::NoAlert));

    t.raise_alert().unwrap();
    let neutralised_skill = bank.item(q.item_id).unwrap().skill.clone();
    let Ok(Next::Question(r)) = t.validate_alert() else {
        panic!("replacement expected")
    };
    assert_ne!(r.item_id, q.item_id);
    assert_eq!(r.index, q.index + 1);
    assert_eq!(t.answered_count(), 0, "neutralised question not counted");
    assert_eq!(t.estimate().0, 0.0, "estimate untouched");
    t.answer(r.item_id, &RIGHT, NO_CTX).unwrap();
    while let Ok(Next::Question(q)) = t.next_question() {
        assert_ne!(bank.item(q.item_id).unwrap().skill, neutralised_skill);
        t.answer(q.item_id, &Response::Skip, NO_CTX).unwrap();
    }
    assert_eq!(t.answered_count(), 32);
}

#[test]
fn a_tiny_bank_relaxes_then_ends_with_bank_exhausted() {
    // Two skills share a tube: the tube rule is relaxed before the bank is declared exhausted.
    let bank = bank_of(json!([
        qcu("i-1", "1.1", "t1", "s1", 0.0, true, None),
        qcu("i-2", "1.1", "t1", "s2", 1.0, true, None),
        qcu("i-3", "1.2", "t2", "s3", -1.0, false, None),
    ]));
    let mut t = Test::new(&bank, &Config::default(), 4, false).unwrap();
    let mut n = 0;
    loop {
        match t.next_question().unwrap() {
            Next::Question(q) => {
                t.answer(q.item_id, &RIGHT, NO_CTX).unwrap();
                n += 1;
            }
            Next::End(e) => {
                assert_eq!(e, EndReason::BankExhausted);
                break;
            }
        }
    }
    assert_eq!(n, 3);
    assert_eq!(
        t.next_question(),
        Ok(Next::End(EndReason::BankExhausted)),
        "stays ended"
    );
    assert_eq!(t.answer("i-1", &RIGHT, NO_CTX), Err(EngineError::Ended));
    assert_eq!(t.score().status, crate::scoring::Status::Cancelled);
    // Needing adjustments, the inaccessible item is never given.
    let mut t = Test::new(&bank, &Config::default(), 4, true).unwrap();
    let mut ids = vec![];
    while let Ok(Next::Question(q)) = t.next_question() {
        ids.push(q.item_id);
        t.answer(q.item_id, &RIGHT, NO_CTX).unwrap();
    }
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&"i-3"));
}

#[test]
fn ending_early_fills_skips_above_the_minimum_only() {
    let bank = synthetic(640, 8).unwrap();
    let cfg = Config::default();
    let run = |answers: u32, cause: AbortCause| {
        let mut t = Test::new(&bank, &cfg, 77, false).unwrap();
        for _ in 0..answers {
            let q = ask(&mut t);
            t.answer(q.item_id, &RIGHT, NO_CTX).unwrap();
        }
        let _ = ask(&mut t); // a question is pending when the invigilator ends the test
        t.end(cause).unwrap();
        (t.answered_count(), t.score().status, t.estimate().0)
    };
    let (n, status, theta) = run(25, AbortCause::Candidate);
    assert_eq!((n, status), (32, crate::scoring::Status::Validated));
    let full = {
        let mut t = Test::new(&bank, &cfg, 77, false).unwrap();
        for _ in 0..25 {
            let q = ask(&mut t);
            t.answer(q.item_id, &RIGHT, NO_CTX).unwrap();
        }
        t.estimate().0
    };
    assert!(theta < full, "missing questions count as wrong");
    assert_eq!(
        run(12, AbortCause::Candidate).1,
        crate::scoring::Status::Rejected
    );
    assert_eq!(
        run(12, AbortCause::Technical).1,
        crate::scoring::Status::Cancelled
    );
    assert_eq!(run(12, AbortCause::Technical).0, 12);
}

#[test]
fn reference_selection_takes_the_best_about_51_percent_of_the_time() {
    let bank = synthetic(2000, 1).unwrap();
    let cfg = Config::reference();
    let mut firsts = std::collections::HashMap::new();
    let n = 4000;
    for seed in 0..n {
        let mut t = Test::new(&bank, &cfg, seed, false).unwrap();
        *firsts.entry(ask(&mut t).item_id).or_insert(0u32) += 1;
    }
    let mut counts: Vec<u32> = firsts.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let share = |k: usize| f64::from(counts[k]) / n as f64;
    assert!(counts.len() <= 5);
    assert!((share(0) - 0.51).abs() < 0.03, "{counts:?}");
    assert!((share(1) - 0.49 * 0.51).abs() < 0.03, "{counts:?}");
}

fn journal(bank: &Bank, cfg: &Config, seed: u64) -> (Vec<Step>, (f64, f64)) {
    let mut t = Test::new(bank, cfg, seed, false).unwrap();
    let mut steps = vec![];
    let mut k = 0u64;
    loop {
        let next = t.next_question().unwrap();
        let Next::Question(q) = next else { break };
        steps.push(Step::Question {
            index: q.index,
            item_id: q.item_id.into(),
            draw: q.draw,
        });
        k += 1;
        if k == 5 {
            t.raise_alert().unwrap();
            steps.push(Step::AlertRaised);
            t.validate_alert().unwrap();
            steps.push(Step::AlertValidated);
            continue;
        }
        if k == 9 {
            t.raise_alert().unwrap();
            t.dismiss_alert().unwrap();
            steps.extend([Step::AlertRaised, Step::AlertDismissed]);
        }
        let response = match k % 4 {
            0 => Response::Skip,
            1 => Response::Choice(2),
            _ => RIGHT,
        };
        let context = AnswerContext {
            focus_lost: k == 12,
            ..NO_CTX
        };
        t.answer(q.item_id, &response, context).unwrap();
        steps.push(Step::Answer {
            item_id: q.item_id.into(),
            response,
            context,
        });
    }
    (steps, t.estimate())
}

#[test]
fn replay_rederives_every_question_and_the_same_estimate_bit_for_bit() {
    let bank = synthetic(2000, 11).unwrap();
    for cfg in [Config::default(), Config::reference()] {
        let (steps, (theta, se)) = journal(&bank, &cfg, 1234);
        let json = serde_json::to_string(&steps).unwrap();
        let steps: Vec<Step> = serde_json::from_str(&json).unwrap();
        let r = replay(&bank, &cfg, 1234, false, &steps).unwrap();
        assert_eq!(r.theta.to_bits(), theta.to_bits());
        assert_eq!(r.se.to_bits(), se.to_bits());
        assert_eq!(r.answered, 32);
        assert_eq!(r.end, Some(EndReason::Completed));
        assert_eq!(r.score.status, crate::scoring::Status::Validated);

        let mut tampered = steps.clone();
        if let Some(Step::Question { draw, .. }) = tampered
            .iter_mut()
            .rev()
            .find(|s| matches!(s, Step::Question { .. }))
        {
            *draw ^= 1;
        }
        assert!(matches!(
            replay(&bank, &cfg, 1234, false, &tampered),
            Err(ReplayError::QuestionMismatch { .. })
        ));
        assert!(matches!(
            replay(&bank, &cfg, 1235, false, &steps),
            Err(ReplayError::QuestionMismatch { step: 0, .. })
        ));
    }
}

#[test]
fn replay_refuses_an_answer_while_an_alert_is_open() {
    let bank = synthetic(320, 2).unwrap();
    let cfg = Config::default();
    let mut t = Test::new(&bank, &cfg, 5, false).unwrap();
    let q = ask(&mut t);
    let steps = vec![
        Step::Question {
            index: q.index,
            item_id: q.item_id.into(),
            draw: q.draw,
        },
        Step::AlertRaised,
        Step::Answer {
            item_id: q.item_id.into(),
            response: RIGHT,
            context: NO_CTX,
        },
    ];
    assert_eq!(
        replay(&bank, &cfg, 5, false, &steps),
        Err(ReplayError::Engine {
            step: 2,
            error: EngineError::AlertOpen
        })
    );
    let partial = replay(&bank, &cfg, 5, false, &steps[..1]).unwrap();
    assert_eq!(partial.end, None);
    assert_eq!(partial.score.status, crate::scoring::Status::Started);
}

#[test]
fn versions_and_config_defaults() {
    assert!(supports(ENGINE_VERSION));
    assert!(!supports("certroom-engine/0"));
    let cfg: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(
        (cfg.questions, cfg.duration_min, cfg.min_answers),
        (32, 105, 20)
    );
    assert_eq!(cfg, Config::default());
    let bad = Config {
        prior_variance: 0.0,
        ..Config::default()
    };
    let bank = synthetic(32, 1).unwrap();
    assert!(matches!(
        Test::new(&bank, &bad, 0, false),
        Err(EngineError::Config(_))
    ));
    let rt: Config =
        serde_json::from_str(&serde_json::to_string(&Config::reference()).unwrap()).unwrap();
    assert_eq!(rt, Config::reference());
}

#[test]
fn resume_continues_exactly_where_the_journal_stops() {
    let bank = synthetic(2000, 12).unwrap();
    let cfg = Config::default();
    let (steps, (theta, _)) = journal(&bank, &cfg, 99);
    // Cut after an alert was raised on a question: the resumed test must still be blocked.
    let cut = steps
        .iter()
        .position(|s| matches!(s, Step::AlertRaised))
        .unwrap()
        + 1;
    let mut t = Test::resume(&bank, &cfg, 99, false, &steps[..cut]).unwrap();
    assert!(t.alert_open());
    assert_eq!(t.next_question(), Err(EngineError::AlertOpen));
    // Cut in the middle of a question: it is pending again, and finishing the journal from the
    // resumed test gives the same estimate as the uninterrupted run.
    let cut = steps.len() / 2;
    let cut = cut
        + steps[cut..]
            .iter()
            .position(|s| matches!(s, Step::Question { .. }))
            .unwrap()
        + 1;
    let mut t = Test::resume(&bank, &cfg, 99, false, &steps[..cut]).unwrap();
    let Some(Step::Question { item_id, .. }) = steps.get(cut - 1) else {
        panic!()
    };
    assert_eq!(t.pending().map(|q| q.item_id), Some(item_id.as_str()));
    t.apply(&steps[cut..]).unwrap();
    assert_eq!(t.estimate().0.to_bits(), theta.to_bits());
}

/// A played test of 32 answers on the synthetic bank: every third answer wrong, answers 7 and 19
/// right but given while focus was lost (so counted wrong), answer 11 skipped.
fn played_test(bank: &Bank, cfg: &Config, seed: u64) -> Replayed {
    let mut steps = vec![];
    let mut t = Test::new(bank, cfg, seed, false).unwrap();
    let mut ordinal = 0u32;
    while let Ok(Next::Question(q)) = t.next_question() {
        steps.push(Step::Question {
            index: q.index,
            item_id: q.item_id.into(),
            draw: q.draw,
        });
        ordinal += 1;
        let response = match ordinal {
            11 => Response::Skip,
            n if n % 3 == 0 => Response::Choice(2),
            _ => RIGHT,
        };
        let context = AnswerContext {
            focus_lost: ordinal == 7 || ordinal == 19,
            ..NO_CTX
        };
        t.answer(q.item_id, &response, context).unwrap();
        steps.push(Step::Answer {
            item_id: q.item_id.into(),
            response,
            context,
        });
    }
    replay(bank, cfg, seed, false, &steps).unwrap()
}

#[test]
fn rescoring_without_adjustments_gives_the_played_score_exactly() {
    let bank = synthetic(2000, 11).unwrap();
    for cfg in [Config::default(), Config::reference()] {
        for seed in [1u64, 77, 4242] {
            let r = played_test(&bank, &cfg, seed);
            assert_eq!(r.played.len(), 32);
            let again = rescore(&bank, &cfg, &r.played, &Adjustments::default(), r.end);
            assert_eq!(again.theta.to_bits(), r.theta.to_bits());
            assert_eq!(again.se.to_bits(), r.se.to_bits());
            assert_eq!(again.score, r.score);
            assert_eq!((again.answered, again.correct), (r.answered, r.correct));
        }
    }
}

#[test]
fn a_validated_e10_gives_a_focus_voided_right_answer_back() {
    let bank = synthetic(2000, 11).unwrap();
    let cfg = Config::default();
    let r = played_test(&bank, &cfg, 77);
    let voided = &r.played[6];
    assert!(voided.checked && voided.focus_voided && !voided.counted);
    let e10 = Adjustments {
        e10_validated: [7].into(),
        ..Adjustments::default()
    };
    let after = rescore(&bank, &cfg, &r.played, &e10, r.end);
    assert_eq!(after.correct, r.correct + 1);
    assert!(
        after.theta > r.theta && after.score.pix > r.score.pix,
        "{after:?}"
    );
    // An E10 on an answer that was not voided by a focus loss changes nothing.
    let not_voided = Adjustments {
        e10_validated: [3].into(),
        ..Adjustments::default()
    };
    assert_eq!(
        rescore(&bank, &cfg, &r.played, &not_voided, r.end).score,
        r.score
    );
}

#[test]
fn neutralizing_a_wrong_answer_raises_the_score_and_undoing_it_restores_it() {
    let bank = synthetic(2000, 11).unwrap();
    let cfg = Config::default();
    let r = played_test(&bank, &cfg, 4242);
    let wrong = r.played[2].item_id.clone();
    assert!(!r.played[2].counted);
    let neutralized = Adjustments {
        neutralized: [wrong].into(),
        ..Adjustments::default()
    };
    let after = rescore(&bank, &cfg, &r.played, &neutralized, r.end);
    assert_eq!(after.answered, r.answered - 1);
    assert!(
        after.score.pix > r.score.pix,
        "{} → {}",
        r.score.pix,
        after.score.pix
    );
    let undone = rescore(&bank, &cfg, &r.played, &Adjustments::default(), r.end);
    assert_eq!(
        undone.score, r.score,
        "undoing the neutralization restores the exact score"
    );
}

/// Facts §5: a candidate who needs adjustments gets accessible items only; others may get any.
/// On a bank where half the items are not accessible, over many candidates, and the replay
/// (the central service's) derives exactly the same questions with the flag it reads.
#[test]
fn adjusted_candidates_never_get_an_inaccessible_item_and_the_replay_agrees() {
    let base = synthetic(400, 21).unwrap();
    let mut items: Vec<crate::bank::Item> = base.items().to_vec();
    for (i, item) in items.iter_mut().enumerate() {
        item.accessible = i % 2 == 0;
    }
    let bank = Bank::load(&BankSources {
        manifest: json!({"format":1,"id":"half","version":"1","title":{"fr":"t"},
            "item_files":["items/half.json"]})
        .to_string(),
        item_files: vec![(
            "items/half.json".into(),
            serde_json::to_string(&items).unwrap(),
        )],
        assets: vec![],
    })
    .unwrap();
    let inaccessible = |id: &str| !bank.item(id).unwrap().accessible;
    let cfg = Config::default();
    let sit = |seed: u64, adjusted: bool| -> Vec<Step> {
        let mut t = Test::new(&bank, &cfg, seed, adjusted).unwrap();
        let mut steps = vec![];
        while let Ok(Next::Question(q)) = t.next_question() {
            steps.push(Step::Question {
                index: q.index,
                item_id: q.item_id.into(),
                draw: q.draw,
            });
            let response = if q.draw % 2 == 0 {
                RIGHT
            } else {
                Response::Skip
            };
            t.answer(q.item_id, &response, NO_CTX).unwrap();
            steps.push(Step::Answer {
                item_id: q.item_id.into(),
                response,
                context: NO_CTX,
            });
        }
        steps
    };
    let asked = |steps: &[Step]| -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Question { item_id, .. } => Some(item_id.clone()),
                _ => None,
            })
            .collect()
    };
    for seed in 0..1_000u64 {
        let steps = sit(seed, true);
        let items = asked(&steps);
        assert!(
            !items.iter().any(|id| inaccessible(id)),
            "seed {seed}: {items:?}"
        );
        // The replay with the journal's flag re-derives every question; without it, it would not.
        replay(&bank, &cfg, seed, true, &steps).unwrap();
    }
    let mut offered = 0;
    for seed in 0..200u64 {
        let steps = sit(seed, false);
        offered += asked(&steps).iter().filter(|id| inaccessible(id)).count();
        replay(&bank, &cfg, seed, false, &steps).unwrap();
    }
    assert!(
        offered > 0,
        "candidates without adjustments are offered any item"
    );
}

#[test]
fn the_bank_bounds_reach_the_score_and_the_method_is_recorded() {
    // Two competences, bounds one level apart: the same capacity prints different levels.
    let items = json!([
        qcu("a-1", "1.1", "ta", "ta-1", -1.0, true, None),
        qcu("a-2", "1.1", "ta", "ta-2", 1.0, true, None),
        qcu("b-1", "2.1", "tb", "tb-1", -1.0, true, None),
        qcu("b-2", "2.1", "tb", "tb-2", 1.0, true, None),
    ]);
    let mut table = [[0.0; 7]; COMPETENCE_COUNT];
    for (c, row) in table.iter_mut().enumerate() {
        let shift = if c == 3 { 0.75 } else { 0.0 };
        for (l, x) in row.iter_mut().enumerate() {
            *x = -2.5 + 0.75 * l as f64 + shift;
        }
    }
    let manifest = json!({"format":1,"id":"tiny","version":"1","title":{"fr":"t"},
        "item_files":["items/a.json"],
        "competence_bounds": crate::bank::Manifest::bounds_map(&table)});
    let bank = Bank::load(&BankSources {
        manifest: manifest.to_string(),
        item_files: vec![("items/a.json".into(), items.to_string())],
        assets: vec![],
    })
    .map_err(|e| e.to_string())
    .unwrap();
    let cfg = Config::for_bank(&bank);
    assert_eq!(cfg.scoring.competence_bounds, table);
    assert_eq!(
        Config {
            questions: 4,
            min_answers: 4,
            ..Config::default()
        }
        .with_bank(&bank)
        .scoring,
        cfg.scoring
    );
    let mut t = Test::new(
        &bank,
        &Config {
            questions: 4,
            min_answers: 4,
            ..cfg.clone()
        },
        1,
        false,
    )
    .unwrap();
    for _ in 0..4 {
        let q = ask(&mut t);
        t.answer(q.item_id, &RIGHT, NO_CTX).unwrap();
    }
    let s = t.score();
    assert_eq!(
        s.competence_method,
        crate::scoring::CompetenceMethod::Global
    );
    assert_eq!(
        s.competence_levels[0],
        s.competence_levels[3] + 1,
        "{:?} at {}",
        s.competence_levels,
        s.capacity
    );

    // The per-competence method: each competence's own answers move it off the global
    // estimate, and the score says which method made it.
    let mut per = cfg;
    per.questions = 4;
    per.min_answers = 4;
    per.scoring.competence_method = crate::scoring::CompetenceMethod::PerCompetence;
    let mut t = Test::new(&bank, &per, 1, false).unwrap();
    for _ in 0..4 {
        let q = ask(&mut t);
        let comp = bank.item(q.item_id).unwrap().competence.clone();
        let r = if comp == "1.1" {
            RIGHT
        } else {
            Response::Choice(2)
        };
        t.answer(q.item_id, &r, NO_CTX).unwrap();
    }
    let (theta, _) = t.estimate();
    let est = t.competence_estimates();
    assert!(est[0] > theta && est[3] < theta, "{est:?} around {theta}");
    assert_eq!(est[1], theta, "no answer: the global estimate");
    let s = t.score();
    assert_eq!(
        s.competence_method,
        crate::scoring::CompetenceMethod::PerCompetence
    );
    assert_eq!(
        s.competence_levels,
        crate::scoring::competence_levels_of(&per.scoring, &est)
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["competence_method"], "per_competence");
}

/// Journals recorded by one version of the engine are replayed by the next: the questions it
/// selects and the estimates it makes are pinned, bit for bit, over many tests. A change that
/// moves this digest changes what a journal replays to.
#[test]
fn selection_and_estimates_are_pinned_across_versions() {
    let mut parts: Vec<u8> = Vec::new();
    for (items, bank_seed) in [(2000, 11), (300, 5)] {
        let bank = synthetic(items, bank_seed).unwrap();
        for cfg in [Config::default(), Config::reference()] {
            for seed in 0..40u64 {
                let r = played_test(&bank, &cfg, seed);
                for p in &r.played {
                    parts.extend_from_slice(p.item_id.as_bytes());
                    parts.push(u8::from(p.counted));
                }
                parts.extend_from_slice(&r.theta.to_bits().to_le_bytes());
                parts.extend_from_slice(&r.se.to_bits().to_le_bytes());
                parts.extend_from_slice(&r.score.pix.to_le_bytes());
            }
        }
    }
    assert_eq!(
        crate::Hash::of(&[&parts]).to_hex(),
        "ddb65ed9d64791eca0b403271a6c2d62df632467b407ae5ce07a65317d78f044"
    );
}

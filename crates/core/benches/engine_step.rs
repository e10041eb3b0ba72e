//! One engine step — record an answer (EAP update) and select the next item — on the 2,000-item
//! synthetic bank, at the start, middle and end of a test, for our default and the reference
//! configuration.

use certroom_core::engine::{AnswerContext, Config, Next, Test};
use certroom_core::{bank, Response};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;

fn engine_step(c: &mut Criterion) {
    let Ok(bank) = bank::synthetic(2000, 42) else {
        return;
    };
    let right = Response::Choice(1);
    for (name, config) in [
        ("default", Config::default()),
        ("reference", Config::reference()),
    ] {
        for at in [1u32, 16, 30] {
            // A test with `at` questions already answered and one pending.
            let Ok(mut test) = Test::new(&bank, &config, 7, false) else {
                return;
            };
            for k in 0..at {
                let Ok(Next::Question(q)) = test.next_question() else {
                    return;
                };
                let r = if k % 2 == 0 {
                    right.clone()
                } else {
                    Response::Skip
                };
                let _ = test.answer(q.item_id, &r, AnswerContext::default());
            }
            let Ok(Next::Question(pending)) = test.next_question() else {
                return;
            };
            let id = pending.item_id;
            c.bench_function(&format!("step/{name}/after_{at}"), |b| {
                b.iter_batched_ref(
                    || test.clone(),
                    |t| {
                        let o = t.answer(id, &right, AnswerContext::default());
                        black_box((o, t.next_question()))
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
}

criterion_group!(benches, engine_step);
criterion_main!(benches);

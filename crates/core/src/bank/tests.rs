use super::*;
use serde_json::json;

fn manifest(files: &[&str]) -> String {
    json!({"format":1,"id":"test-bank","version":"1","title":{"fr":"Test"},"item_files":files})
        .to_string()
}

fn good_items() -> serde_json::Value {
    json!([
        {"id":"qcu-1","competence":"1.1","tube":"recherche","skill":"recherche-2","level":2,"type":"QCU",
         "instruction":{"fr":"Quel outil ?","en":"Which tool?"},"proposals":[{"fr":"A"},{"fr":"B"},{"fr":"C"}],
         "solution":{"choice":2},"accessible":true,"irt":{"a":1.2,"b":-0.5},
         "illustration":{"src":"illustrations/x.svg","alt":{"fr":"Un schéma"}}},
        {"id":"qcm-1","competence":"1.1","tube":"recherche","skill":"recherche-3","level":3,"type":"QCM",
         "instruction":{"fr":"Lesquels ?"},"proposals":[{"fr":"A"},{"fr":"B"},{"fr":"C"},{"fr":"D"}],
         "solution":{"choices":[3,1]},"irt":{"a":1.0,"b":0.5},"timer_s":60},
        {"id":"qroc-1","competence":"1.3","tube":"tableur","skill":"tableur-4","level":4,"type":"QROC",
         "instruction":{"fr":"Combien de lignes ?"},"form":{"fr":"Réponse : ${n}"},
         "fields":{"n":{"aria_label":{"fr":"Nombre de lignes"},"numeric":true}},
         "solution":{"fields":{"n":["12"]}},"irt":{"a":1.5,"b":1.0},
         "attachments":[{"src":"attachments/data.csv","name":{"fr":"données"},"media_type":"text/csv"}]},
        {"id":"dep-1","competence":"2.1","tube":"villes","skill":"villes-1","level":1,"type":"QROCM-dep",
         "instruction":{"fr":"Deux villes"},"form":{"fr":"${a} et ${b}"},
         "fields":{"a":{"aria_label":{"fr":"Ville 1"}},"b":{"aria_label":{"fr":"Ville 2"}}},
         "solution":{"groups":[["Paris"],["Lyon"]]},"tolerances":{"t3":false},"irt":{"a":0.8,"b":-2.0}},
        {"id":"ind-1","competence":"2.1","tube":"villes","skill":"villes-2","level":2,"type":"QROCM-ind",
         "instruction":{"fr":"Vrai ou faux"},"form":{"fr":"${v}"},
         "fields":{"v":{"aria_label":{"fr":"Réponse"},"options":[{"fr":"Vrai"},{"fr":"Faux"}]}},
         "solution":{"fields":{"v":["Vrai"]}},"irt":{"a":0.9,"b":-1.0}}
    ])
}

fn sources(items: serde_json::Value) -> BankSources {
    BankSources {
        manifest: manifest(&["items/a.json"]),
        item_files: vec![("items/a.json".into(), items.to_string())],
        assets: vec![
            ("illustrations/x.svg".into(), b"<svg/>".to_vec()),
            ("attachments/data.csv".into(), b"a;b\n1;2\n".to_vec()),
        ],
    }
}

#[test]
fn a_valid_bank_loads_sorted_and_indexed() {
    let bank = Bank::load(&sources(good_items())).unwrap();
    assert_eq!(bank.len(), 5);
    let ids: Vec<&str> = bank.items().iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["dep-1", "ind-1", "qcm-1", "qcu-1", "qroc-1"]);
    assert_eq!(
        bank.item("qcm-1").map(|i| &i.solution),
        Some(&Solution::Choices(vec![1, 3]))
    );
    assert_eq!(
        bank.item("dep-1").map(|i| i.tolerances),
        Some(Tolerances {
            t1: true,
            t2: true,
            t3: false
        })
    );
    assert_eq!(bank.content_hash().len(), 64);
    assert!(bank
        .content_hash()
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(bank.items_per_competence()[0], 2);
}

#[test]
fn the_hash_is_order_free_content_bound_and_unambiguous() {
    let src = sources(good_items());
    let h = content_hash(&src);
    let mut reordered = src.clone();
    reordered.assets.reverse();
    assert_eq!(
        content_hash(&reordered),
        h,
        "order of the vectors does not matter"
    );
    let mut changed = src.clone();
    changed.assets[0].1.push(b' ');
    assert_ne!(content_hash(&changed), h);
    // Moving a byte from a path into its content must change the hash (length prefixes).
    let a = BankSources {
        manifest: String::new(),
        item_files: vec![],
        assets: vec![("ab".into(), b"c".to_vec())],
    };
    let b = BankSources {
        manifest: String::new(),
        item_files: vec![],
        assets: vec![("a".into(), b"bc".to_vec())],
    };
    assert_ne!(content_hash(&a), content_hash(&b));
    // Known answer: the tag and one empty manifest.
    let empty = BankSources::default();
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(HASH_TAG);
    ctx.update(&9u64.to_be_bytes());
    ctx.update(b"bank.json");
    ctx.update(&0u64.to_be_bytes());
    let want: String = ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(content_hash(&empty), want);
}

#[test]
fn every_error_is_listed_with_item_and_field() {
    let items = json!([
        {"id":"ok-1","competence":"1.1","tube":"t","skill":"t-1","level":1,"type":"QCU","instruction":{"fr":"?"},
         "proposals":[{"fr":"a"},{"fr":"b"}],"solution":{"choice":1},"irt":{"a":1.0,"b":0.0}},
        {"id":"ok-1","competence":"9.9","tube":"t","skill":"t-2","level":9,"type":"QCU","instruction":{"fr":"?"},
         "proposals":[{"fr":"a"},{"fr":"b"}],"solution":{"choice":3},"irt":{"a":9.0,"b":0.0},"timer_s":5},
        {"id":"no-sol","competence":"1.2","tube":"u","skill":"t-1","level":1,"type":"QCU","instruction":{"fr":"?"},
         "proposals":[{"fr":"a"},{"fr":"b"}],"irt":{"a":1.0,"b":0.0}},
        {"id":"bad-type","competence":"1.3","tube":"t","skill":"x-1","level":1,"type":"QCX","instruction":{"fr":"?"},
         "solution":{"choice":1},"irt":{"a":1.0,"b":0.0},"tolerence":{}},
        {"id":"qroc-x","competence":"2.1","tube":"v","skill":"v-1","level":2,"type":"QROCM-ind","instruction":{"fr":"?"},
         "form":{"fr":"${a} ${b}"},"fields":{"a":{"aria_label":{"fr":"A"}},"b":{"aria_label":{"fr":"B"}}},
         "solution":{"fields":{"a":["1"],"c":["2"]}},"irt":{"a":1.0,"b":7.5},
         "illustration":{"src":"illustrations/missing.png","alt":{"fr":""}},
         "attachments":[{"src":"attachments/plan.png","name":{"fr":"Plan"},"media_type":"image/png"},
                        {"src":"attachments/notes.csv","name":{"fr":"Notes"},"media_type":"text/csv"}]},
        "not an object"
    ]);
    let mut src = sources(items);
    src.item_files
        .push(("items/extra.json".into(), "[]".into()));
    let errs = Bank::load(&src).unwrap_err().0;
    let has = |pred: &dyn Fn(&BankError) -> bool| errs.iter().any(pred);
    use BankError::*;
    assert!(
        has(&|e| matches!(e, DuplicateId { item } if item == "ok-1")),
        "{errs:#?}"
    );
    assert!(has(
        &|e| matches!(e, UnknownCompetence { value, .. } if value == "9.9")
    ));
    assert!(has(
        &|e| matches!(e, ParameterOutOfRange { field, .. } if field == "level")
    ));
    assert!(has(
        &|e| matches!(e, ParameterOutOfRange { field, .. } if field == "irt.a")
    ));
    assert!(has(
        &|e| matches!(e, ParameterOutOfRange { item, field, .. } if item == "qroc-x" && field == "irt.b")
    ));
    assert!(has(&|e| matches!(
        e,
        ChoiceOutOfRange {
            choice: 3,
            proposals: 2,
            ..
        }
    )));
    assert!(has(&|e| matches!(e, BadTimer { value: 5, .. })));
    assert!(has(
        &|e| matches!(e, MissingSolution { item } if item == "no-sol")
    ));
    assert!(has(
        &|e| matches!(e, UnknownType { value, .. } if value == "QCX")
    ));
    assert!(has(
        &|e| matches!(e, UnknownField { field, .. } if field == "tolerence")
    ));
    assert!(has(
        &|e| matches!(e, FieldWithoutSolution { key, .. } if key == "b")
    ));
    assert!(has(
        &|e| matches!(e, SolutionWithoutField { key, .. } if key == "c")
    ));
    assert!(has(
        &|e| matches!(e, MissingAlt { item } if item == "qroc-x")
    ));
    // An image attachment needs alt text; a table does not.
    assert!(has(
        &|e| matches!(e, MissingAttachmentAlt { item, src } if item == "qroc-x" && src == "attachments/plan.png")
    ));
    assert!(!has(
        &|e| matches!(e, MissingAttachmentAlt { src, .. } if src == "attachments/notes.csv")
    ));
    assert!(has(
        &|e| matches!(e, AssetMissing { path, .. } if path == "illustrations/missing.png")
    ));
    assert!(has(
        &|e| matches!(e, TubeSpansCompetences { tube, .. } if tube == "t")
    ));
    assert!(has(
        &|e| matches!(e, SkillInTwoTubes { skill, .. } if skill == "t-1")
    ));
    assert!(has(&|e| matches!(e, ItemNotObject { position: 6, .. })));
    assert!(has(
        &|e| matches!(e, ItemFileUndeclared { path } if path == "items/extra.json")
    ));
    // Every message names something and has an English rendering.
    for e in &errs {
        assert!(!e.to_string().is_empty() && !e.en().is_empty());
    }
    let all = BankErrors(errs);
    assert!(all.to_string().starts_with("banque refusée"));
}

#[test]
fn manifest_and_file_problems_are_reported() {
    let mut src = sources(good_items());
    src.manifest = manifest(&["items/a.json", "items/b.json"]);
    src.assets.push(("items/a.json".into(), vec![]));
    let errs = Bank::load(&src).unwrap_err().0;
    assert!(errs.contains(&BankError::ItemFileMissing {
        path: "items/b.json".into()
    }));
    assert!(errs.contains(&BankError::DuplicatePath {
        path: "items/a.json".into()
    }));
    src.manifest = "{".into();
    assert!(matches!(
        Bank::load(&src).unwrap_err().0.first(),
        Some(BankError::ManifestJson { .. })
    ));
    let src = BankSources {
        manifest: manifest(&["items/a.json"]),
        item_files: vec![("items/a.json".into(), "[]".into())],
        assets: vec![],
    };
    assert_eq!(Bank::load(&src).unwrap_err().0, vec![BankError::NoItems]);
}

#[test]
fn unsafe_or_misplaced_asset_paths_are_refused() {
    let mut items = good_items();
    items[0]["illustration"]["src"] = json!("illustrations/../bank.json");
    items[2]["attachments"][0]["src"] = json!("illustrations/x.svg");
    let errs = Bank::load(&sources(items)).unwrap_err().0;
    assert_eq!(
        errs.iter()
            .filter(|e| matches!(e, BankError::BadField { .. }))
            .count(),
        2,
        "{errs:#?}"
    );
}

#[test]
fn option_and_numeric_solutions_must_be_reachable() {
    let mut items = good_items();
    items[4]["solution"]["fields"]["v"] = json!(["Oui"]);
    items[2]["solution"]["fields"]["n"] = json!(["douze"]);
    let errs = Bank::load(&sources(items)).unwrap_err().0;
    assert_eq!(errs.len(), 2, "{errs:#?}");
}

#[test]
fn placeholders_are_parsed_strictly() {
    assert_eq!(
        placeholders("a ${x} b ${y-2}"),
        Some(vec!["x".into(), "y-2".into()])
    );
    assert_eq!(placeholders("no field"), Some(vec![]));
    assert_eq!(placeholders("${x"), None);
    assert_eq!(placeholders("${}"), None);
    assert_eq!(placeholders("${a b}"), None);
}

#[test]
fn the_synthetic_bank_is_valid_balanced_and_deterministic() {
    let bank = synthetic(2000, 42).unwrap();
    assert_eq!(bank.len(), 2000);
    assert!(bank.items_per_competence().iter().all(|n| *n == 125));
    let mut per_tube: HashMap<&str, usize> = HashMap::new();
    for it in bank.items() {
        *per_tube.entry(it.tube.as_str()).or_default() += 1;
        assert!((0.2..=4.0).contains(&it.irt.a) && (-6.0..=6.0).contains(&it.irt.b));
    }
    assert!(per_tube.values().all(|n| *n <= 5));
    let mean_log_a: f64 = bank.items().iter().map(|i| i.irt.a.ln()).sum::<f64>() / 2000.0;
    assert!((mean_log_a - 1.5f64.ln()).abs() < 0.03, "{mean_log_a}");
    let sd_b = (bank.items().iter().map(|i| i.irt.b * i.irt.b).sum::<f64>() / 2000.0).sqrt();
    assert!((sd_b - 1.5).abs() < 0.1, "{sd_b}");
    assert_eq!(
        synthetic(2000, 42).unwrap().content_hash(),
        bank.content_hash()
    );
    assert_ne!(
        synthetic(2000, 43).unwrap().content_hash(),
        bank.content_hash()
    );
    assert!(synthetic(0, 1).is_err());
}

fn with_bounds(bounds: serde_json::Value) -> BankSources {
    let mut m: serde_json::Value = serde_json::from_str(&manifest(&["items/a.json"])).unwrap();
    m["competence_bounds"] = bounds;
    BankSources {
        manifest: m.to_string(),
        ..sources(good_items())
    }
}

fn even_bounds() -> serde_json::Map<String, serde_json::Value> {
    COMPETENCE_CODES
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                json!([-2.5, -1.75, -1.0, -0.25, 0.5, 1.25, 2.0]),
            )
        })
        .collect()
}

#[test]
fn competence_bounds_in_the_manifest_are_read_in_framework_order() {
    let mut b = even_bounds();
    b.insert("3.4".into(), json!([-2.0, -1.5, -0.5, 0.0, 1.0, 1.5, 2.5]));
    let bank = Bank::load(&with_bounds(serde_json::Value::Object(b))).unwrap();
    let table = bank.competence_bounds().unwrap();
    assert_eq!(
        table[10],
        [-2.0, -1.5, -0.5, 0.0, 1.0, 1.5, 2.5],
        "3.4 is the 11th"
    );
    assert_eq!(table[0][0], -2.5);
    assert!(Bank::load(&sources(good_items()))
        .unwrap()
        .competence_bounds()
        .is_none());
    // Written back the way `certroom bank bounds --write` does, it reads the same.
    let text = bank.manifest().to_json_pretty();
    assert!(
        text.contains("\n    \"3.4\": [-2.0, -1.5, -0.5, 0.0, 1.0, 1.5, 2.5],\n"),
        "{text}"
    );
    let again: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(&again, bank.manifest());
}

#[test]
fn bad_competence_bounds_are_refused_naming_the_competence() {
    let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
        (
            "3.4",
            json!([-2.0, -1.5, -1.5, 0.0, 1.0, 1.5, 2.5]),
            "compétence 3.4",
            "niveau 3 ne commence pas après le niveau 2",
        ),
        (
            "2.2",
            json!([-2.0, -1.5, 0.0]),
            "compétence 2.2",
            "7 valeurs attendues",
        ),
        (
            "5.2",
            json!([-2.0, -1.5, -1.0, 0.0, 1.0, 0.5, 2.5]),
            "compétence 5.2",
            "niveau 6",
        ),
        (
            "9.9",
            json!([-2.5, -1.75, -1.0, -0.25, 0.5, 1.25, 2.0]),
            "compétence 9.9",
            "code inconnu du CRCN",
        ),
    ];
    for (code, values, who, what) in cases {
        let mut b = even_bounds();
        b.insert(code.into(), values);
        let err = Bank::load(&with_bounds(serde_json::Value::Object(b))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(who) && text.contains(what), "{text}");
        assert_eq!(err.0.len(), 1, "{text}");
        assert!(
            err.en().contains(&format!("competence {code}")),
            "{}",
            err.en()
        );
    }
    let mut b = even_bounds();
    b.remove("4.3");
    let err = Bank::load(&with_bounds(serde_json::Value::Object(b))).unwrap_err();
    assert!(
        err.to_string().contains("compétence 4.3 : seuils absents"),
        "{err}"
    );
    // Integers are numbers like any other; a non-finite value cannot come from JSON, but a
    // manifest built in code can carry one.
    let mut b = even_bounds();
    b.insert("1.1".into(), json!([1, 2, 3, 4, 5, 6, 7]));
    assert!(Bank::load(&with_bounds(serde_json::Value::Object(b))).is_ok());
    let table: BTreeMap<String, Vec<f64>> = COMPETENCE_CODES
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                vec![0.0, 1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0],
            )
        })
        .collect();
    let errs = competence_bounds_table(&table).unwrap_err();
    assert_eq!(errs.len(), 16);
    assert!(
        errs[0]
            .to_string()
            .contains("compétence 1.1 : le seuil du niveau 3 n'est pas un nombre fini"),
        "{}",
        errs[0]
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Loading never panics on damaged input: it returns a bank or a list of errors.
        #[test]
        fn loading_damaged_json_never_panics(cut in 0usize..4000, at in 0usize..4000, c in any::<char>()) {
            let text = good_items().to_string();
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % chars.len();
            chars[at] = c;
            chars.truncate(chars.len() - cut % chars.len().max(1));
            let damaged: String = chars.into_iter().collect();
            let mut src = sources(good_items());
            src.item_files[0].1 = damaged;
            let _ = Bank::load(&src);
        }

        /// Any JSON value in any item field is reported, not a crash.
        #[test]
        fn any_value_in_any_field_is_handled(field in 0usize..ITEM_KEYS.len(), v in prop_oneof![
            Just(json!(null)), Just(json!(-1)), Just(json!(1e300)), Just(json!("x")), Just(json!([])),
            Just(json!({})), Just(json!([{"fr": 3}])), Just(json!({"choice": 0})), Just(json!({"fields": {"n": []}}))
        ]) {
            let mut items = good_items();
            for i in 0..5 {
                items[i][ITEM_KEYS[field]] = v.clone();
            }
            let _ = Bank::load(&sources(items));
        }
    }
}

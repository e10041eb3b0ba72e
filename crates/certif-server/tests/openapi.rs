//! `/openapi.json` describes exactly the routes the router serves, and is a well-formed
//! OpenAPI 3.1 document (every reference resolves, every path parameter is declared).

mod common;

use std::collections::{BTreeSet, HashSet};

use certif_server::http::{route_table, OPENAPI_JSON};
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is valid JSON")
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_owned());
                    }
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Resolves a local JSON pointer reference (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    doc.pointer(r.strip_prefix('#')?)
}

#[test]
fn every_route_is_described_and_nothing_else() {
    let doc = doc();
    let paths = doc["paths"].as_object().expect("paths");
    let routes = route_table();
    assert!(routes.len() >= 14, "{routes:?}");
    let served: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p)| (m.to_ascii_lowercase(), p.clone()))
        .collect();
    assert_eq!(served.len(), routes.len(), "a route registered twice");
    for (method, path) in &served {
        let op = paths
            .get(path)
            .and_then(|p| p.get(method))
            .unwrap_or_else(|| panic!("{method} {path} is served but not in openapi.json"));
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}"
        );
    }
    let methods = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    for (path, item) in paths {
        for (k, _) in item.as_object().expect("path item") {
            if methods.contains(&k.as_str()) {
                assert!(
                    served.contains(&(k.clone(), path.clone())),
                    "{k} {path} is described but not served"
                );
            }
        }
    }
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let doc = doc();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        assert!(resolve(&doc, r).is_some(), "unresolved $ref {r}");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .inspect(|p| {
                            assert_eq!(p["required"], true, "{path}: path parameters are required")
                        })
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, template, "{method} {path}: path parameters");
            for (status, _) in op["responses"].as_object().unwrap() {
                assert!(
                    status.len() == 3 && status.parse::<u16>().is_ok(),
                    "{path}: {status}"
                );
            }
            if let Some(sec) = op["security"].as_array() {
                for s in sec {
                    for name in s.as_object().unwrap().keys() {
                        assert!(schemes.contains_key(name), "{path}: unknown scheme {name}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_server_serves_this_document() {
    let env = common::Env::new(&common::Backend::Sqlite).await;
    let r = env.http.get(env.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json")));
    let served: Value = r.json().await.unwrap();
    assert_eq!(served, doc());
    env.finish().await;
}

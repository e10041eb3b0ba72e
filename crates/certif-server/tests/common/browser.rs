//! A browser's side of the server's HTML pages: the session cookie it keeps, forms posted as a
//! browser posts them, no redirect followed.

use reqwest::redirect::Policy;

use super::Env;

pub struct Browser {
    http: reqwest::Client,
    base: String,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(env: &Env) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: env.url(""),
            cookie: None,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        let r = r.send().await.unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), r.text().await.unwrap(), location)
    }

    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (u16, String) {
        let mut r = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        let r = r.send().await.unwrap();
        if let Some(set) = r.headers().get("set-cookie") {
            let set = set.to_str().unwrap().to_owned();
            let pair = set.split(';').next().unwrap().to_owned();
            if pair.ends_with('=') {
                self.cookie = None;
            } else {
                assert!(
                    set.contains("HttpOnly") && set.contains("SameSite=Strict"),
                    "{set}"
                );
                self.cookie = Some(pair);
            }
        }
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

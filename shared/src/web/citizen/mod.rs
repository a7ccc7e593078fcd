//! The citizens' pages, in Bahasa Indonesia:
//!
//! | route | page |
//! | --- | --- |
//! | `GET /` | what LAPOR! is and the submit form ([`submit`]) |
//! | `POST /kirim` | a place chosen, or the report sent (303 to `/terkirim/{id}`) |
//! | `GET /terkirim/{id}` | the tracking id and the private link |
//! | `POST /saran` | the suggested institution (JSON, for the script) |
//! | `GET /lacak`, `GET /lacak/{id}` | tracking ([`track`]) |
//! | `POST /lacak/{id}/{aksi}` | `akses`, `balas`, `nilai`, `tarik`, `konfirmasi`, `lupakan`; `lampiran` (a file, `multipart/form-data`) |
//! | `GET /laporan`, `GET /laporan/{id}`, `GET /instansi/{id}` | the public side ([`public`]) |
//! | `POST /laporan/{id}/dukung` | support it with one of this browser's own reports |

pub mod access;
pub mod labels;
pub mod public;
pub mod submit;
pub mod track;

use super::page::{answer, PageError};
use super::Web;
use lambda_http::{Body, Request, Response};

/// Every citizens' path.
pub async fn handle(web: &Web, req: Request) -> Response<Body> {
    let path = super::request::site_path(&req);
    let method = req.method().as_str().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = method == "GET" || method == "HEAD";
    let post = method == "POST";
    let result = match (segments.as_slice(), get, post) {
        ([""], true, _) => submit::home(web, &req),
        (["kirim"], _, true) => submit::submit(web, &req).await,
        (["saran"], _, true) => submit::suggest(web, &req).await,
        (["terkirim", id], true, _) => submit::sent(web, &req, id).await,
        (["lacak"], true, _) => track::form(web, &req).await,
        (["lacak", id], true, _) => track::show(web, &req, id).await,
        (["lacak", id, what], _, true) => track::act(web, &req, id, what).await,
        (["laporan"], true, _) => public::feed(web, &req).await,
        (["laporan", id], true, _) => public::report(web, &req, id).await,
        (["laporan", id, "dukung"], _, true) => public::support(web, &req, id).await,
        (["instansi", id], true, _) => public::institution(web, &req, id).await,
        (
            [""]
            | ["kirim"]
            | ["saran"]
            | ["terkirim", _]
            | ["lacak"]
            | ["lacak", _]
            | ["lacak", _, _]
            | ["laporan"]
            | ["laporan", _]
            | ["laporan", _, "dukung"]
            | ["instansi", _],
            _,
            _,
        ) => Err(PageError::MethodNotAllowed),
        _ => Err(PageError::not_found()),
    };
    answer(&req, result)
}

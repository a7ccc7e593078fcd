//! Reading a browser's request: its query, its form body, its cookies.

use super::page::PageError;
use crate::api::{limits, ServiceError};
use lambda_http::Request;
use std::collections::HashMap;

/// The query string's parameters, first value of each (a page's filters and choices; a repeated
/// one is not refused here, unlike the JSON API, since a browser form never repeats a field the
/// pages read once).
pub fn query(req: &Request) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, value) in form_pairs(req.uri().query().unwrap_or_default().as_bytes()) {
        out.entry(name).or_insert(value);
    }
    out
}

/// A form post (`application/x-www-form-urlencoded`): 413 over the intake's body limit, 400
/// when it is not a form. A repeated field keeps its first value.
pub fn form(req: &Request) -> Result<HashMap<String, String>, PageError> {
    let body = crate::lambda::http::body_bytes(req);
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ServiceError::TooLarge {
            limit: limits::MAX_BODY_BYTES,
        }
        .into());
    }
    let content_type = crate::lambda::http::header(req, "content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ServiceError::bad_request(
            "unsupported_media_type",
            "formulir harus dikirim sebagai application/x-www-form-urlencoded",
        )
        .into());
    }
    if std::str::from_utf8(body).is_err() {
        return Err(
            ServiceError::bad_request("invalid_utf8", "isi formulir bukan UTF-8 yang sah").into(),
        );
    }
    let mut out = HashMap::new();
    for (name, value) in form_pairs(body) {
        out.entry(name).or_insert(value);
    }
    Ok(out)
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

/// A cookie's raw value, from the `Cookie` header(s) (API Gateway's `cookies` arrive there too).
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The request's method, upper case.
pub fn method(req: &Request) -> &str {
    req.method().as_str()
}

/// Where the site is mounted: `/<stage>` when the browser talks to API Gateway's own host
/// under a named stage (`https://<id>.execute-api.<region>.amazonaws.com/dev/lacak`), else ""
/// (the local runner, the `$default` stage, a custom domain). Every link and redirect a page
/// makes starts with it.
pub fn base(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let on_api_gateway_host = crate::lambda::http::header(req, "host").is_some_and(|h| {
        h.split(':')
            .next()
            .unwrap_or_default()
            .ends_with(".amazonaws.com")
    });
    match stage {
        Some(stage) if stage != "$default" && !stage.is_empty() && on_api_gateway_host => {
            format!("/{stage}")
        }
        _ => String::new(),
    }
}

/// The request's path within the site: without the stage prefix `lambda_http` puts on a named
/// stage's paths, whatever the host.
pub fn site_path(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let path = req.uri().path();
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(stage) = ctx
            .stage
            .as_deref()
            .filter(|s| *s != "$default" && !s.is_empty())
        {
            let prefix = format!("/{stage}");
            if let Some(rest) = path.strip_prefix(&prefix) {
                if rest.is_empty() {
                    return "/".into();
                }
                if rest.starts_with('/') {
                    return rest.to_string();
                }
            }
        }
    }
    path.to_string()
}

/// A `multipart/form-data` post with one file: its text fields (first value of each) and the
/// file part, if one came.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<FilePart>,
}

/// The file of a multipart form, as the browser described it.
#[derive(Debug)]
pub struct FilePart {
    /// The `filename` the browser gave ("" when none was chosen).
    pub filename: String,
    /// The part's `Content-Type`, as declared (the service checks the bytes anyway).
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why a multipart post was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum MultipartError {
    /// The body is larger than the limit given: nothing was read.
    TooLarge,
    /// Not `multipart/form-data`, or not well formed (the reason, for the page).
    Malformed(&'static str),
}

/// The most parts one upload form has (the file, the CSRF token, a few hidden fields).
const MAX_PARTS: usize = 16;
/// A part's headers, at most.
const MAX_PART_HEADERS: usize = 4 * 1024;
/// A text field's value, at most (the form's fields are tokens and ids).
const MAX_TEXT_FIELD: usize = 4 * 1024;

/// Reads a `multipart/form-data` post (RFC 7578) whose part named `file_field` is the file and
/// the others short text fields: larger than `limit` bytes is [`MultipartError::TooLarge`]
/// before anything is parsed; a second file, a text field over 4 KiB, more than 16 parts,
/// headers that do not end, a part without its closing boundary are refused. The body is what
/// API Gateway delivered (base64-decoded by `lambda_http` into `Body::Binary`).
pub fn multipart(req: &Request, file_field: &str, limit: usize) -> Result<Upload, MultipartError> {
    let body = crate::lambda::http::body_bytes(req);
    if body.len() > limit {
        return Err(MultipartError::TooLarge);
    }
    let content_type = crate::lambda::http::header(req, "content-type").unwrap_or_default();
    let boundary = boundary(content_type).ok_or(MultipartError::Malformed(
        "formulir harus dikirim sebagai multipart/form-data",
    ))?;
    parse_multipart(body, boundary.as_bytes(), file_field)
}

/// The `boundary` of a `multipart/form-data` content type (quoted or not; 1 to 70 characters).
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let media_type = params.next()?.trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let valid = (1..=70).contains(&value.len())
        && !value.ends_with(' ')
        && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    valid.then(|| value.to_string())
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while from + needle.len() <= haystack.len() {
        let at = from + haystack[from..].iter().position(|&b| b == first)?;
        if at + needle.len() > haystack.len() {
            return None;
        }
        if &haystack[at + 1..at + needle.len()] == rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn parse_multipart(
    body: &[u8],
    boundary: &[u8],
    file_field: &str,
) -> Result<Upload, MultipartError> {
    use MultipartError::Malformed;
    let delimiter = [b"--", boundary].concat();
    let next_delimiter = [b"\r\n--", boundary].concat();
    // The first delimiter opens the body, or ends a preamble (which is ignored).
    let mut at = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        find(body, &next_delimiter).ok_or(Malformed("batas bagian formulir tidak ditemukan"))?
            + next_delimiter.len()
    };
    let mut upload = Upload::default();
    let mut parts = 0;
    loop {
        let rest = &body[at..];
        // `--` after a delimiter closes the body (an epilogue is ignored).
        if rest.starts_with(b"--") {
            return Ok(upload);
        }
        // Else the delimiter's line ends (after optional transport padding).
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(Malformed("bagian formulir tidak lengkap"));
        }
        at += padding + 2;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(Malformed("formulir berisi terlalu banyak bagian"));
        }
        // The part's headers end with an empty line (right away when it has none).
        let rest = &body[at..];
        let (headers, content_start) = if rest.starts_with(b"\r\n") {
            (&rest[..0], at + 2)
        } else {
            let window = &rest[..rest.len().min(MAX_PART_HEADERS + 4)];
            let end =
                find(window, b"\r\n\r\n").ok_or(Malformed("kepala bagian formulir tidak sah"))?;
            (&rest[..end], at + end + 4)
        };
        let headers = std::str::from_utf8(headers)
            .map_err(|_| Malformed("kepala bagian formulir tidak sah"))?;
        let length = find(&body[content_start..], &next_delimiter)
            .ok_or(Malformed("bagian formulir tidak lengkap"))?;
        let content = &body[content_start..content_start + length];
        at = content_start + length + next_delimiter.len();

        let mut disposition = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            let (name, value) = line
                .split_once(':')
                .ok_or(Malformed("kepala bagian formulir tidak sah"))?;
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-disposition") {
                disposition = Some(value.trim());
            } else if name.eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_string());
            }
        }
        let (name, filename) = disposition
            .and_then(form_data_names)
            .ok_or(Malformed("bagian formulir tanpa nama"))?;
        if name == file_field {
            if upload.file.is_some() {
                return Err(Malformed("formulir hanya menerima satu berkas"));
            }
            upload.file = Some(FilePart {
                filename: filename.unwrap_or_default(),
                content_type: part_type,
                bytes: content.to_vec(),
            });
        } else {
            if filename.is_some() || content.len() > MAX_TEXT_FIELD {
                return Err(Malformed("formulir hanya menerima satu berkas"));
            }
            let value = std::str::from_utf8(content)
                .map_err(|_| Malformed("isi formulir bukan UTF-8 yang sah"))?;
            upload
                .fields
                .entry(name)
                .or_insert_with(|| value.to_string());
        }
    }
}

/// `form-data; name="..."[; filename="..."]`: the name and the filename (quoted strings with
/// backslash escapes, or tokens; other parameters, `filename*` included, ignored).
fn form_data_names(disposition: &str) -> Option<(String, Option<String>)> {
    let (kind, mut rest) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut filename) = (None, None);
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let (param, after) = rest.split_once('=')?;
        let param = param.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => value.push(chars.next()?.1),
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, &quoted[end?..])
            }
            None => {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            }
        };
        match param.as_str() {
            "name" => name = name.or(Some(value)),
            "filename" => filename = filename.or(Some(value)),
            _ => {}
        }
        rest = remaining;
    }
    Some((name?, filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "berkas";

    /// A part: its name, its filename, its content type, its bytes.
    type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

    fn body(parts: &[Part]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, content_type, content) in parts {
            out.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"");
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
            if let Some(f) = filename {
                out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            if let Some(t) = content_type {
                out.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn a_file_and_a_token_are_read_whatever_their_bytes() {
        // The file's bytes hold CR LF, "--" and a near-boundary: only the real one ends it.
        let file: &[u8] = b"\x89PNG\r\n\x1a\n--XyZ-not\r\n--Xy\x00\xff";
        let posted = body(&[
            ("csrf", None, None, b"token-1"),
            (FILE, Some("foto \\\"1\\\".png"), Some("image/png"), file),
            ("csrf", None, None, b"token-2"),
        ]);
        let upload = parse_multipart(&posted, b"XyZ", FILE).unwrap();
        assert_eq!(upload.fields["csrf"], "token-1", "the first value counts");
        let part = upload.file.unwrap();
        assert_eq!(part.bytes, file);
        assert_eq!(part.content_type.as_deref(), Some("image/png"));
        assert_eq!(part.filename, "foto \"1\".png");
    }

    #[test]
    fn a_preamble_an_epilogue_and_an_empty_file_are_fine() {
        let mut posted = b"ignored preamble\r\n".to_vec();
        posted.extend(body(&[(
            FILE,
            Some(""),
            Some("application/octet-stream"),
            b"",
        )]));
        posted.extend_from_slice(b"epilogue");
        let upload = parse_multipart(&posted, b"XyZ", FILE).unwrap();
        assert!(upload.file.unwrap().bytes.is_empty());
    }

    #[test]
    fn what_is_not_one_well_formed_file_is_refused() {
        let two = body(&[
            (FILE, Some("a.png"), None, b"a"),
            (FILE, Some("b.png"), None, b"b"),
        ]);
        let other_file = body(&[("lain", Some("a.png"), None, b"a")]);
        let long_field = body(&[("csrf", None, None, &[b'a'; 5000])]);
        let mut unterminated = body(&[(FILE, Some("a.png"), None, b"abc")]);
        unterminated.truncate(unterminated.len() - 12);
        let no_name = b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--".to_vec();
        let not_form_data =
            b"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--".to_vec();
        let many: Vec<Part> = (0..17).map(|_| ("x", None, None, &b"1"[..])).collect();
        let many = body(&many);
        let endless_headers = [b"--XyZ\r\nX: ".as_slice(), &[b'a'; 8000]].concat();
        for (what, posted) in [
            ("two files", two),
            ("a file under another name", other_file),
            ("a long text field", long_field),
            ("no closing boundary", unterminated),
            ("a part without a name", no_name),
            ("not form-data", not_form_data),
            ("too many parts", many),
            ("headers that do not end", endless_headers),
            ("no boundary at all", b"just text".to_vec()),
        ] {
            assert!(
                matches!(
                    parse_multipart(&posted, b"XyZ", FILE),
                    Err(MultipartError::Malformed(_))
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundaryA1b2").as_deref(),
            Some("----WebKitFormBoundaryA1b2")
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; Boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={}", "a".repeat(71))),
            None
        );
    }

    #[test]
    fn search_finds_the_first_occurrence_only_when_whole() {
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"xxa", b"ab"), None);
        assert_eq!(find(b"", b"a"), None);
    }
}

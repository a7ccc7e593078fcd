//! Checking that an uploaded file is what it claims to be, and cleaning it before anyone sees it.
//!
//! Pure: bytes in, bytes out. An image is decoded and re-encoded from its pixels, so nothing of
//! the original file survives but the picture: no EXIF (a phone photo's GPS position and device),
//! no XMP, no ICC profile, no PNG text chunks, no data hidden after the image's end. The EXIF
//! orientation is applied to the pixels first, so a phone photo taken upright stays upright once
//! its EXIF is gone. A PDF cannot be re-encoded here: it is checked and kept as it came.

use super::MediaType;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// A preview's longest side, in pixels.
pub const PREVIEW_MAX_SIDE: u32 = 480;
/// The most pixels an image may have. Checked against the header before anything is decoded: a
/// few kilobytes of PNG can declare a picture needing gigabytes of memory (a decoding bomb).
pub const MAX_PIXELS: u64 = 40_000_000;

/// No side longer than this, whatever the pixel count (a 40 Mpx image 100 px tall is no photo).
const MAX_SIDE: u32 = 12_000;
/// What a decoder may allocate. `MAX_PIXELS` at 8 bytes a pixel (16-bit RGBA PNG) fits in it.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;
/// A preview is small and only looked at in a list: a lower quality is not seen.
const PREVIEW_QUALITY: u8 = 75;
/// A PDF's `%%EOF` must be this close to its end; further away, the file was cut short.
const PDF_TAIL: usize = 2048;
/// Names that make a PDF run or carry something besides the document: scripts, launching
/// programs, embedded files, Flash/3D media, XML forms (which carry their own scripts).
const PDF_ACTIVE_NAMES: [&str; 6] = [
    "JavaScript",
    "JS",
    "Launch",
    "EmbeddedFile",
    "RichMedia",
    "XFA",
];

/// What a checked file becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The file to store: an image re-encoded from its decoded pixels (no metadata at all:
    /// EXIF GPS/device, XMP, ICC, PNG text chunks), orientation applied to the pixels; a PDF as
    /// it came.
    pub body: Vec<u8>,
    /// An image's preview: JPEG, longest side at most [`PREVIEW_MAX_SIDE`] px, never upscaled.
    pub preview: Option<Vec<u8>>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// True for images (the re-encoding removed the metadata); false for PDFs.
    pub metadata_removed: bool,
}

/// Why a file is refused. [`code`](Rejected::code) is stored on the attachment; the pages say it
/// in Indonesian (`web::attachments::rejection`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("the file is empty")]
    Empty,
    #[error(
        "claimed {}, but the bytes are {}",
        .claimed.mime(),
        .found.map_or("of no accepted type", MediaType::mime)
    )]
    NotWhatItClaims {
        claimed: MediaType,
        found: Option<MediaType>,
    },
    /// The decoder's reason, for the logs.
    #[error("the image does not decode: {0}")]
    DoesNotDecode(String),
    /// Too many pixels, a side too long, or a decoder needing more memory than allowed.
    #[error("the image is too large to decode (over {MAX_PIXELS} pixels or {MAX_SIDE} px a side)")]
    TooManyPixels,
    #[error("the PDF is incomplete: no %%EOF in its last {PDF_TAIL} bytes")]
    NotAPdf,
    #[error("the PDF carries active content (/{name})")]
    ActiveContent { name: &'static str },
}

impl Rejected {
    /// A stable code, stored on the attachment and used by clients.
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::Empty => "empty",
            Rejected::NotWhatItClaims { .. } => "not_what_it_claims",
            Rejected::DoesNotDecode(_) => "does_not_decode",
            Rejected::TooManyPixels => "too_many_pixels",
            Rejected::NotAPdf => "not_a_pdf",
            Rejected::ActiveContent { .. } => "active_content",
        }
    }
}

/// The type the bytes' magic numbers say, if one of ours.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MediaType::Png)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(&b"WEBP"[..]) {
        Some(MediaType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(MediaType::Pdf)
    } else {
        None
    }
}

/// Checks `bytes` are the `claimed` type and cleans them.
pub fn clean(claimed: MediaType, bytes: &[u8]) -> Result<Cleaned, Rejected> {
    if bytes.is_empty() {
        return Err(Rejected::Empty);
    }
    let found = sniff(bytes);
    if found != Some(claimed) {
        return Err(Rejected::NotWhatItClaims { claimed, found });
    }
    match claimed {
        MediaType::Jpeg => clean_image(Codec::Jpeg, bytes),
        MediaType::Png => clean_image(Codec::Png, bytes),
        MediaType::Webp => clean_image(Codec::Webp, bytes),
        MediaType::Pdf => check_pdf(bytes),
    }
}

/// The image types, each decoded and re-encoded as itself.
#[derive(Clone, Copy)]
enum Codec {
    Jpeg,
    Png,
    Webp,
}

impl Codec {
    fn format(self) -> ImageFormat {
        match self {
            Codec::Jpeg => ImageFormat::Jpeg,
            Codec::Png => ImageFormat::Png,
            Codec::Webp => ImageFormat::WebP,
        }
    }

    /// Writes the pixels alone: none of these encoders writes metadata unless given some.
    fn encode(self, image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        match self {
            // JPEG has no alpha channel (and a JPEG never decodes with one).
            Codec::Jpeg => image
                .to_rgb8()
                .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?,
            Codec::Png => image.write_with_encoder(PngEncoder::new(&mut out))?,
            // The only WebP encoder in pure Rust: lossless, so a lossy photo grows.
            Codec::Webp => image.write_with_encoder(WebPEncoder::new_lossless(&mut out))?,
        }
        Ok(out)
    }
}

fn clean_image(codec: Codec, bytes: &[u8]) -> Result<Cleaned, Rejected> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);

    // Only the header is read here; the side limits are checked against it too.
    let mut decoder = reader.into_decoder().map_err(rejected)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejected::TooManyPixels);
    }
    if matches!(codec, Codec::Jpeg) && !jpeg_reaches_its_end(bytes) {
        return Err(Rejected::DoesNotDecode(
            "the JPEG is cut short: no end-of-image marker".into(),
        ));
    }
    let orientation = decoder.orientation().map_err(rejected)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(rejected)?;
    image.apply_orientation(orientation);

    // Encoding pixels we just decoded into memory does not fail in practice; if it ever did,
    // the file must stay hidden all the same.
    let body = codec.encode(&image).map_err(rejected)?;
    let preview = preview(&image).map_err(rejected)?;
    Ok(Cleaned {
        body,
        preview: Some(preview),
        width: Some(image.width()),
        height: Some(image.height()),
        metadata_removed: true,
    })
}

fn rejected(error: ImageError) -> Rejected {
    match error {
        ImageError::Limits(_) => Rejected::TooManyPixels,
        other => Rejected::DoesNotDecode(other.to_string()),
    }
}

/// Whether a JPEG's segments and scans lead to its end-of-image marker. The JPEG decoder,
/// lenient with what cameras write, fills a cut-short image's missing part with grey rather
/// than failing; the PNG and WebP decoders do fail. Anything after the marker (a phone's
/// motion-photo video, say) is allowed: the re-encoding drops it.
fn jpeg_reaches_its_end(bytes: &[u8]) -> bool {
    const SOS: u8 = 0xDA;
    const EOI: u8 = 0xD9;
    let mut at = 2; // past SOI
    while let Some(&[0xFF, code]) = bytes.get(at..at + 2) {
        at += 2;
        match code {
            EOI => return true,
            // A fill byte: the marker's code follows.
            0xFF => at -= 1,
            // TEM and RSTn stand alone; every other marker has a length, its own two bytes
            // included.
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(&[high, low]) = bytes.get(at..at + 2) else {
                    return false;
                };
                at += usize::from(u16::from_be_bytes([high, low]));
                if code == SOS {
                    // The entropy-coded data runs to the next 0xFF that is neither a stuffed
                    // 0xFF data byte (FF 00) nor a restart marker.
                    let Some(end) = bytes.get(at..).and_then(|scan| {
                        scan.windows(2)
                            .position(|w| w[0] == 0xFF && !matches!(w[1], 0x00 | 0xD0..=0xD7))
                    }) else {
                        return false;
                    };
                    at += end;
                }
            }
        }
    }
    false
}

/// A JPEG at most [`PREVIEW_MAX_SIDE`] px on its longest side; a smaller image keeps its size.
fn preview(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let small = if image.width().max(image.height()) <= PREVIEW_MAX_SIDE {
        flatten(image)
    } else {
        flatten(&image.thumbnail(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    };
    let mut out = Vec::new();
    small.write_with_encoder(JpegEncoder::new_with_quality(&mut out, PREVIEW_QUALITY))?;
    Ok(out)
}

/// RGB on a white background: dropping the alpha channel alone would show whatever colour the
/// transparent pixels happen to hold (often black).
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let blended = (u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255;
            // c * a + 255 * (255 - a) is at most 255 * 255: the quotient fits a u8.
            u8::try_from(blended).unwrap_or(u8::MAX)
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

fn check_pdf(bytes: &[u8]) -> Result<Cleaned, Rejected> {
    let tail = &bytes[bytes.len().saturating_sub(PDF_TAIL)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(Rejected::NotAPdf);
    }
    if let Some(name) = pdf_names(bytes).find_map(|name| {
        PDF_ACTIVE_NAMES
            .into_iter()
            .find(|active| active.as_bytes() == name.as_slice())
    }) {
        return Err(Rejected::ActiveContent { name });
    }
    Ok(Cleaned {
        body: bytes.to_vec(),
        preview: None,
        width: None,
        height: None,
        metadata_removed: false,
    })
}

/// Every name token in the bytes (`/JS` gives `JS`), `#xx` escapes decoded: `/J#53` is `/JS`
/// to a PDF reader, so it must be to this check too. A name ends at the first whitespace or
/// delimiter, so `/JSON` is `JSON`, not `JS`. Names anywhere count, strings and streams
/// included: a false alarm costs a refused upload, a miss a script reaching an officer.
fn pdf_names(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(move |(slash, _)| {
            let raw = &bytes[slash + 1..];
            let len = raw
                .iter()
                .position(|&b| !is_regular(b))
                .unwrap_or(raw.len());
            decode_name(&raw[..len])
        })
}

/// Not PDF whitespace nor a delimiter: a byte that continues a name.
fn is_regular(b: u8) -> bool {
    !matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0C'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

/// A name's bytes with `#xx` escapes decoded; a `#` not followed by two hex digits stays as is.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let hex = |i: usize| raw.get(i).and_then(|&b| char::from(b).to_digit(16));
    let mut name = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match (b, hex(i + 1), hex(i + 2)) {
            (b'#', Some(high), Some(low)) => {
                // Two hex digits: at most 0xFF.
                name.push((high << 4 | low) as u8);
                i += 3;
            }
            _ => {
                name.push(b);
                i += 1;
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::metadata::Orientation;
    use image::{GenericImageView, Rgb, RgbaImage};

    const RED: Rgb<u8> = Rgb([220, 20, 20]);
    const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

    /// Left half red, right half blue: which way it was turned shows.
    fn split(width: u32, height: u32) -> DynamicImage {
        RgbImage::from_fn(width, height, |x, _| if x < width / 2 { RED } else { BLUE }).into()
    }

    fn jpeg(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        out
    }

    fn decode(bytes: &[u8], format: ImageFormat) -> DynamicImage {
        ImageReader::with_format(Cursor::new(bytes), format)
            .decode()
            .unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn is_close(pixel: Rgb<u8>, expected: Rgb<u8>) -> bool {
        pixel
            .0
            .iter()
            .zip(expected.0)
            .all(|(&a, b)| a.abs_diff(b) < 40)
    }

    /// GPSLatitude 6° 10' 30": three RATIONALs, little-endian.
    const LATITUDE: [u32; 6] = [6, 1, 10, 1, 3000, 100];

    fn latitude_bytes() -> Vec<u8> {
        LATITUDE.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// A little-endian TIFF: IFD0 with Make "SECRETPHONE", Orientation 6 (turn 90° clockwise to
    /// show) and a GPS IFD pointer; the GPS IFD with latitude 6° 10' 30" S.
    fn exif_tiff() -> Vec<u8> {
        fn entry(tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
            tiff.extend(tag.to_le_bytes());
            tiff.extend(kind.to_le_bytes());
            tiff.extend(count.to_le_bytes());
            tiff.extend(value);
        }
        const ASCII: u16 = 2;
        const SHORT: u16 = 3;
        const LONG: u16 = 4;
        const RATIONAL: u16 = 5;
        let make = b"SECRETPHONE\0";
        // Header 8, IFD0 2 + 3 * 12 + 4, then Make, the GPS IFD (2 + 2 * 12 + 4), the latitude.
        let make_at: u32 = 8 + 42;
        let gps_at = make_at + make.len() as u32;
        let latitude_at = gps_at + 30;

        let mut tiff = b"II\x2A\x00".to_vec();
        tiff.extend(8u32.to_le_bytes());
        tiff.extend(3u16.to_le_bytes());
        entry(
            &mut tiff,
            0x010F,
            ASCII,
            make.len() as u32,
            make_at.to_le_bytes(),
        );
        entry(&mut tiff, 0x0112, SHORT, 1, [6, 0, 0, 0]);
        entry(&mut tiff, 0x8825, LONG, 1, gps_at.to_le_bytes());
        tiff.extend(0u32.to_le_bytes());
        assert_eq!(tiff.len() as u32, make_at);
        tiff.extend(make);
        tiff.extend(2u16.to_le_bytes());
        entry(&mut tiff, 0x0001, ASCII, 2, *b"S\0\0\0");
        entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_at.to_le_bytes());
        tiff.extend(0u32.to_le_bytes());
        assert_eq!(tiff.len() as u32, latitude_at);
        tiff.extend(latitude_bytes());
        tiff
    }

    /// A 64x32 split JPEG with an APP1 EXIF segment right after its SOI, as a phone writes it.
    fn phone_photo() -> Vec<u8> {
        let plain = jpeg(&split(64, 32));
        let mut segment = b"Exif\0\0".to_vec();
        segment.extend(exif_tiff());
        let mut photo = plain[..2].to_vec();
        photo.extend([0xFF, 0xE1]);
        photo.extend(u16::try_from(segment.len() + 2).unwrap().to_be_bytes());
        photo.extend(segment);
        photo.extend(&plain[2..]);
        photo
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        chunk.extend(kind);
        chunk.extend(data);
        chunk.extend(crc32(&chunk[4..]).to_be_bytes());
        chunk
    }

    /// A PNG of nothing but a header declaring `width` x `height` 8-bit RGB, an empty IDAT and
    /// IEND: decoding it would fail, so refusing it must happen before.
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(b"IHDR", &ihdr));
        png.extend(png_chunk(b"IDAT", &[]));
        png.extend(png_chunk(b"IEND", &[]));
        png
    }

    #[test]
    fn a_phone_photo_loses_its_exif_and_stays_upright() {
        let photo = phone_photo();
        // The input carries what must go, and image reads its orientation: else this test
        // would prove nothing about the orientation path.
        assert!(contains(&photo, b"SECRETPHONE") && contains(&photo, &latitude_bytes()));
        let mut decoder = ImageReader::with_format(Cursor::new(&photo), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
        assert_eq!(decoder.dimensions(), (64, 32));

        let cleaned = clean(MediaType::Jpeg, &photo).unwrap();

        let body = &cleaned.body;
        assert!(!contains(body, b"Exif"));
        assert!(!contains(body, b"SECRETPHONE"));
        assert!(!contains(body, &latitude_bytes()));
        assert!(cleaned.metadata_removed);
        assert_eq!((cleaned.width, cleaned.height), (Some(32), Some(64)));
        let mut decoder = ImageReader::with_format(Cursor::new(body), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        assert_eq!(decoder.exif_metadata().unwrap(), None);
        let image = decode(body, ImageFormat::Jpeg);
        assert_eq!(image.dimensions(), (32, 64));
        // Turned clockwise: the left (red) half is now on top.
        assert!(is_close(image.to_rgb8()[(16, 8)], RED));
        assert!(is_close(image.to_rgb8()[(16, 56)], BLUE));

        let preview = cleaned.preview.unwrap();
        assert_eq!(sniff(&preview), Some(MediaType::Jpeg));
        let preview = decode(&preview, ImageFormat::Jpeg);
        assert!(preview.width().max(preview.height()) <= PREVIEW_MAX_SIDE);
        assert_eq!(preview.dimensions(), (32, 64));
    }

    #[test]
    fn a_png_loses_its_text_chunks() {
        let plain = png(&split(40, 20));
        let iend = plain.len() - 12;
        let mut tagged = plain[..iend].to_vec();
        tagged.extend(png_chunk(b"tEXt", b"Author\0SECRETNAME"));
        tagged.extend(&plain[iend..]);
        assert!(contains(&tagged, b"SECRETNAME"));
        // The chunk is well formed: the decoder accepts the tagged file.
        decode(&tagged, ImageFormat::Png);

        let cleaned = clean(MediaType::Png, &tagged).unwrap();

        assert!(!contains(&cleaned.body, b"SECRETNAME"));
        assert!(!contains(&cleaned.body, b"tEXt"));
        assert_eq!(sniff(&cleaned.body), Some(MediaType::Png));
        assert_eq!(
            decode(&cleaned.body, ImageFormat::Png).to_rgb8(),
            split(40, 20).to_rgb8()
        );
    }

    #[test]
    fn a_webp_cleans_and_decodes() {
        let mut webp = Vec::new();
        split(30, 20)
            .write_with_encoder(WebPEncoder::new_lossless(&mut webp))
            .unwrap();

        let cleaned = clean(MediaType::Webp, &webp).unwrap();

        assert_eq!(sniff(&cleaned.body), Some(MediaType::Webp));
        assert_eq!((cleaned.width, cleaned.height), (Some(30), Some(20)));
        assert_eq!(
            decode(&cleaned.body, ImageFormat::WebP).to_rgb8(),
            split(30, 20).to_rgb8()
        );
        assert!(cleaned.metadata_removed);
    }

    #[test]
    fn a_preview_fits_480_px_and_is_never_upscaled() {
        let large = clean(MediaType::Png, &png(&split(1200, 600))).unwrap();
        let preview = decode(&large.preview.unwrap(), ImageFormat::Jpeg);
        assert_eq!(preview.dimensions(), (480, 240));
        assert_eq!((large.width, large.height), (Some(1200), Some(600)));

        let small = clean(MediaType::Jpeg, &jpeg(&split(100, 50))).unwrap();
        let preview = decode(&small.preview.unwrap(), ImageFormat::Jpeg);
        assert_eq!(preview.dimensions(), (100, 50));
    }

    #[test]
    fn a_transparent_preview_is_on_white() {
        let clear = DynamicImage::from(RgbaImage::new(20, 20));
        let cleaned = clean(MediaType::Png, &png(&clear)).unwrap();
        let preview = decode(&cleaned.preview.unwrap(), ImageFormat::Jpeg);
        assert!(is_close(preview.to_rgb8()[(10, 10)], Rgb([255, 255, 255])));
    }

    #[test]
    fn a_file_not_of_its_claimed_type_is_refused() {
        let png = png(&split(8, 8));
        let refused = clean(MediaType::Jpeg, &png).unwrap_err();
        assert_eq!(refused.code(), "not_what_it_claims");
        assert_eq!(
            refused,
            Rejected::NotWhatItClaims {
                claimed: MediaType::Jpeg,
                found: Some(MediaType::Png)
            }
        );
        assert!(refused.to_string().contains("image/png"));

        let mut seed = 0x2545_F491_u32;
        let noise: Vec<u8> = (0..256)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                seed.to_be_bytes()[0]
            })
            .collect();
        assert_eq!(sniff(&noise), None);
        let refused = clean(MediaType::Png, &noise).unwrap_err();
        assert_eq!(refused.code(), "not_what_it_claims");
        assert_eq!(
            refused,
            Rejected::NotWhatItClaims {
                claimed: MediaType::Png,
                found: None
            }
        );
    }

    /// Large and busy enough that most of an encoded file is pixel data, not headers.
    fn busy_image() -> RgbImage {
        RgbImage::from_fn(256, 256, |x, y| {
            Rgb([((x * 7) ^ (y * 13)) as u8, (x * y) as u8, (x + 3 * y) as u8])
        })
    }

    fn busy_jpeg() -> Vec<u8> {
        jpeg(&busy_image().into())
    }

    #[test]
    fn a_truncated_jpeg_does_not_decode() {
        let whole = busy_jpeg();
        for cut in [&whole[..whole.len() / 2], &whole[..whole.len() - 2]] {
            // image's own decoder takes the cut file (greying what is missing): the check
            // must be ours.
            decode(cut, ImageFormat::Jpeg);
            let refused = clean(MediaType::Jpeg, cut).unwrap_err();
            assert_eq!(refused.code(), "does_not_decode");
        }
        // Headers cut short fail in the decoder itself.
        let headers_only = &whole[..100];
        assert_eq!(
            clean(MediaType::Jpeg, headers_only).unwrap_err().code(),
            "does_not_decode"
        );
    }

    #[test]
    fn data_after_a_jpeg_is_dropped() {
        let mut motion_photo = busy_jpeg();
        motion_photo.extend(b"\0\0\0\x18ftypmp42 SECRETVIDEO");
        let cleaned = clean(MediaType::Jpeg, &motion_photo).unwrap();
        assert!(!contains(&cleaned.body, b"SECRETVIDEO"));
        assert_eq!((cleaned.width, cleaned.height), (Some(256), Some(256)));
    }

    #[test]
    fn a_truncated_png_or_webp_does_not_decode() {
        let busy = DynamicImage::from(busy_image());
        let png = png(&busy);
        let mut webp = Vec::new();
        busy.write_with_encoder(WebPEncoder::new_lossless(&mut webp))
            .unwrap();
        for (claimed, whole) in [(MediaType::Png, png), (MediaType::Webp, webp)] {
            let cut = &whole[..whole.len() / 2];
            assert_eq!(
                clean(claimed, cut).unwrap_err().code(),
                "does_not_decode",
                "{claimed:?}"
            );
        }
    }

    #[test]
    fn a_decoding_bomb_is_refused_from_its_header() {
        // Beyond the side limit, and within it but beyond MAX_PIXELS (8000 x 8000 = 64 Mpx).
        for (width, height) in [(20_000, 20_000), (8_000, 8_000)] {
            let refused = clean(MediaType::Png, &png_declaring(width, height)).unwrap_err();
            assert_eq!(refused, Rejected::TooManyPixels, "{width}x{height}");
            assert_eq!(refused.code(), "too_many_pixels");
        }
        // The same header declaring a small image gets as far as decoding (and fails there).
        let refused = clean(MediaType::Png, &png_declaring(100, 100)).unwrap_err();
        assert_eq!(refused.code(), "does_not_decode");
    }

    #[test]
    fn an_empty_file_is_refused() {
        for claimed in MediaType::ALL {
            assert_eq!(clean(claimed, &[]), Err(Rejected::Empty));
        }
        assert_eq!(Rejected::Empty.code(), "empty");
    }

    fn pdf(body: &str) -> Vec<u8> {
        format!(
            "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R {body}>>\nendobj\n\
             2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n\
             trailer\n<< /Root 1 0 R >>\n%%EOF\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_plain_pdf_passes_unchanged() {
        let plain = pdf("");
        let cleaned = clean(MediaType::Pdf, &plain).unwrap();
        assert_eq!(
            cleaned,
            Cleaned {
                body: plain,
                preview: None,
                width: None,
                height: None,
                metadata_removed: false,
            }
        );
    }

    #[test]
    fn a_pdf_without_its_end_is_not_a_pdf() {
        let plain = pdf("");
        let cut = &plain[..plain.len() - 7];
        assert_eq!(clean(MediaType::Pdf, cut), Err(Rejected::NotAPdf));
        assert_eq!(Rejected::NotAPdf.code(), "not_a_pdf");

        // An %%EOF early on does not count: the file was cut after it.
        let mut padded = plain.clone();
        padded.extend(vec![b' '; PDF_TAIL]);
        assert_eq!(clean(MediaType::Pdf, &padded), Err(Rejected::NotAPdf));
    }

    #[test]
    fn a_pdf_with_active_content_is_refused() {
        for (body, name) in [
            ("/OpenAction << /S /JavaScript /JS 3 0 R >>", "JavaScript"),
            ("/AA << /O << /JS (app.alert(1)) >> >>", "JS"),
            ("/AA<</O<</JS(app.alert(1))>>>>", "JS"),
            ("/OpenAction << /S /Launch /F (cmd.exe) >>", "Launch"),
            (
                "/Names << /EmbeddedFiles 4 0 R >> /EmbeddedFile",
                "EmbeddedFile",
            ),
            ("/AcroForm << /XFA 5 0 R >>", "XFA"),
            ("/Annots [<< /Subtype /RichMedia >>]", "RichMedia"),
            // An escaped name is the same name to a reader.
            ("/AA << /O << /J#53 (app.alert(1)) >> >>", "JS"),
        ] {
            let refused = clean(MediaType::Pdf, &pdf(body)).unwrap_err();
            assert_eq!(refused, Rejected::ActiveContent { name }, "{body}");
            assert_eq!(refused.code(), "active_content");
        }
    }

    #[test]
    fn a_name_only_starting_like_an_active_one_is_not_active() {
        for body in [
            "/JSON (x) ",
            "/JSX 1 ",
            "/JavaScripts [] ",
            "/EmbeddedFiles 4 0 R ",
        ] {
            assert!(clean(MediaType::Pdf, &pdf(body)).is_ok(), "{body}");
        }
    }
}

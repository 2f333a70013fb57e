//! The virtual camera behind `mobile: injectCameraImage`: reads the QR code in
//! any PNG a test injects, or says why it cannot.

use std::io::Cursor;

/// Why the virtual camera could not read a QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    #[error("the injected image is not a PNG the camera can open: {0}")]
    NotPng(String),
    #[error("the injected image holds no QR code the camera can read")]
    NoQrCode,
    #[error("the camera sees a QR code in the injected image but cannot read it: {0}")]
    Unreadable(String),
}

/// The virtual camera: reads the pixels of any PNG (grey, grey+alpha, RGB,
/// RGBA, palette; 1 to 16 bit) and returns the payload of
/// the QR code it shows.
pub fn decode_qr(png: &[u8]) -> Result<String, CameraError> {
    let image = read_luma(png)?;
    // rqrr has panicked on hostile images in the past; whatever bytes a test
    // injects must come back as an error, never bring the farm down.
    std::panic::catch_unwind(|| find_qr(&image))
        .unwrap_or_else(|_| Err(CameraError::Unreadable("the QR reader gave up on this image".into())))
}

/// Larger than any phone camera frame a test would inject, small enough that
/// a hostile header cannot make the farm allocate gigabytes.
const MAX_PIXELS: u64 = 40_000_000;

/// A decoded image as the camera sees it: one brightness byte per pixel.
struct Luma {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn read_luma(bytes: &[u8]) -> Result<Luma, CameraError> {
    let not_png = |e: png::DecodingError| CameraError::NotPng(e.to_string());
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette, low bit depths, tRNS and 16 bit all become 8-bit grey/RGB(A).
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(not_png)?;
    let (width, height) = reader.info().size();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CameraError::Unreadable(format!(
            "the image is {width}x{height} pixels; the camera takes at most {MAX_PIXELS} pixels"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| CameraError::Unreadable(format!("a {width}x{height} image is too large")))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(not_png)?;
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => 0,
    };
    if channels == 0 || frame.bit_depth != png::BitDepth::Eight {
        return Err(CameraError::Unreadable(format!(
            "unexpected pixel format {:?} {:?} after decoding",
            frame.color_type, frame.bit_depth
        )));
    }
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut pixels = Vec::with_capacity(w * h);
    for row in buffer.chunks(frame.line_size.max(1)).take(h) {
        for px in row.chunks_exact(channels).take(w) {
            pixels.push(brightness(px));
        }
    }
    if pixels.len() != w * h {
        return Err(CameraError::NotPng("the image data is shorter than its header says".into()));
    }
    Ok(Luma { width: w, height: h, pixels })
}

/// Perceived brightness of one 8-bit pixel, laid on white paper: a QR code
/// drawn on a transparent background must read as dark on light.
fn brightness(px: &[u8]) -> u8 {
    let (luma, alpha) = match *px {
        [g] => (u32::from(g), 255),
        [g, a] => (u32::from(g), u32::from(a)),
        [r, g, b] => (luma_of(r, g, b), 255),
        [r, g, b, a] => (luma_of(r, g, b), u32::from(a)),
        _ => (255, 255),
    };
    let on_white = (luma * alpha + 255 * (255 - alpha)) / 255;
    u8::try_from(on_white).unwrap_or(u8::MAX)
}

fn luma_of(r: u8, g: u8, b: u8) -> u32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000
}

fn find_qr(image: &Luma) -> Result<String, CameraError> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(image.width, image.height, |x, y| {
        image.pixels.get(y * image.width + x).copied().unwrap_or(u8::MAX)
    });
    let grids = prepared.detect_grids();
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, payload)) => return Ok(payload),
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        None => Err(CameraError::NoQrCode),
        Some(e) => Err(CameraError::Unreadable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use qrcode::{Color, EcLevel, QrCode};

    use super::*;
    use crate::screenshot::fixtures::{qr_screen, PAYLOAD, STATUS};
    use crate::screenshot::render;

    /// A QR code as greyscale pixels: `module` px per module, 4-module quiet zone.
    fn qr_pixels(payload: &str, module: usize) -> (u32, Vec<u8>) {
        let code = QrCode::with_error_correction_level(payload, EcLevel::M).expect("fits");
        let n = code.width();
        let side = (n + 8) * module;
        let colours = code.to_colors();
        let mut pixels = vec![255u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / module).wrapping_sub(4), (y / module).wrapping_sub(4));
                if mx < n && my < n && colours[my * n + mx] == Color::Dark {
                    pixels[y * side + x] = 0;
                }
            }
        }
        (side as u32, pixels)
    }

    fn encode(side: u32, colour: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
        encode_with(side, colour, depth, data, |_| {})
    }

    fn encode_with(
        side: u32,
        colour: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
        setup: impl FnOnce(&mut png::Encoder<&mut Vec<u8>>),
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(colour);
        encoder.set_depth(depth);
        setup(&mut encoder);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(data).expect("data");
        writer.finish().expect("finish");
        out
    }

    #[test]
    fn garbage_is_not_a_png() {
        for bytes in [&b""[..], b"hello", b"\x89PNG\r\n\x1a\n", &[0xFF; 64]] {
            assert!(matches!(decode_qr(bytes), Err(CameraError::NotPng(_))), "{bytes:?}");
        }
        let png = render(&qr_screen(), &STATUS);
        let truncated = &png[..png.len() / 2];
        assert!(matches!(decode_qr(truncated), Err(CameraError::NotPng(_))));
    }

    #[test]
    fn camera_reads_every_png_pixel_format() {
        let (side, grey) = qr_pixels(PAYLOAD, 4);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("grey 8", encode(side, png::ColorType::Grayscale, png::BitDepth::Eight, &grey)),
            ("grey 16", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [g, g ^ 0x5A]).collect();
                encode(side, png::ColorType::Grayscale, png::BitDepth::Sixteen, &data)
            }),
            ("grey 1", {
                let rows = grey.chunks(side as usize);
                let data: Vec<u8> = rows
                    .flat_map(|row| {
                        row.chunks(8)
                            .map(|bits| {
                                bits.iter().enumerate().fold(0u8, |acc, (i, &g)| acc | (u8::from(g > 0) << (7 - i)))
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                encode(side, png::ColorType::Grayscale, png::BitDepth::One, &data)
            }),
            ("grey+alpha 8", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [g, 255]).collect();
                encode(side, png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, &data)
            }),
            ("rgb 8", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g]).collect();
                encode(side, png::ColorType::Rgb, png::BitDepth::Eight, &data)
            }),
            ("rgb 16", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [g, 0, g, 0, g, 0]).collect();
                encode(side, png::ColorType::Rgb, png::BitDepth::Sixteen, &data)
            }),
            // Dark modules on a fully transparent (black) background: only
            // alpha tells them apart, as with a QR exported with no background.
            ("rgba 8, transparent background", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [0, 0, 0, 255 - g]).collect();
                encode(side, png::ColorType::Rgba, png::BitDepth::Eight, &data)
            }),
            ("rgba 16", {
                let data: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g, g, g, g, 255, 255]).collect();
                encode(side, png::ColorType::Rgba, png::BitDepth::Sixteen, &data)
            }),
            ("palette", {
                let data: Vec<u8> = grey.iter().map(|&g| u8::from(g > 0)).collect();
                encode_with(side, png::ColorType::Indexed, png::BitDepth::Eight, &data, |e| {
                    e.set_palette(vec![0x10, 0x20, 0x60, 0xF0, 0xF0, 0xE0]);
                })
            }),
        ];
        for (name, png) in cases {
            assert_eq!(decode_qr(&png).as_deref(), Ok(PAYLOAD), "{name}");
        }
    }

    #[test]
    fn damaged_pngs_never_panic() {
        let png = render(&qr_screen(), &STATUS);
        // A small deterministic generator: the test must not be flaky.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200 {
            let mut bytes = png.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] = next() as u8;
            }
            let _ = decode_qr(&bytes);
        }
        for len in 0..64 {
            let noise: Vec<u8> = (0..len * 7).map(|_| next() as u8).collect();
            let _ = decode_qr(&noise);
        }
    }
}

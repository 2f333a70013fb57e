//! The QR hand-over: decode the old phone's screenshot, hand the image to
//! the new phone's camera the way the profile says.

/// Why a screenshot gave no QR payload.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    /// The bytes are no PNG the decoder can read (the reason says why), or
    /// the decoder itself stopped.
    #[error("the screenshot is not a PNG: {0}")]
    NotPng(String),
    /// Every pixel is (nearly) black: FLAG_SECURE keeps the screen out of
    /// screenshots.
    #[error(
        "the old phone's screenshot is black: the QR screen is protected by FLAG_SECURE, so screenshots cannot show it. \
         Options: use a camera rig (camera mode \"rig\" in the device profile) or a test build of the app without FLAG_SECURE"
    )]
    Black,
    /// The image has content, but no readable QR code.
    #[error("no QR code could be read in the old phone's screenshot")]
    NoQrCode,
}

/// Decodes the QR code in a PNG screenshot.
///
/// ```
/// let err = mitid_e2e_framework::qr::decode(b"not a png").unwrap_err();
/// assert!(err.to_string().contains("not a PNG"));
/// ```
pub fn decode(png: &[u8]) -> Result<String, QrError> {
    let (width, height, grey) = greyscale(png)?;
    if grey.iter().all(|&v| v < 8) {
        return Err(QrError::Black);
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| grey[y * width + x]);
    img.detect_grids().into_iter().find_map(|g| g.decode().ok().map(|(_, content)| content)).ok_or(QrError::NoQrCode)
}

/// [`decode`] on a blocking thread: it takes milliseconds of CPU, and the
/// runner's scenarios share one thread. Gives the image back for reuse.
pub async fn decode_off_thread(png: Vec<u8>) -> (Vec<u8>, Result<String, QrError>) {
    match tokio::task::spawn_blocking(move || {
        let decoded = decode(&png);
        (png, decoded)
    })
    .await
    {
        Ok(done) => done,
        Err(e) => (Vec::new(), Err(QrError::NotPng(format!("the decoder stopped: {e}")))),
    }
}

fn greyscale(png: &[u8]) -> Result<(usize, usize, Vec<u8>), QrError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| QrError::NotPng(e.to_string()))?;
    let size = reader.output_buffer_size().ok_or_else(|| QrError::NotPng("image too large".into()))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| QrError::NotPng(e.to_string()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let grey = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match px.len() {
            1 => px[0],
            2 => {
                if px[1] < 128 {
                    255
                } else {
                    px[0]
                }
            }
            3 => ((px[0] as u16 * 3 + px[1] as u16 * 6 + px[2] as u16) / 10) as u8,
            _ => {
                if px[3] < 128 {
                    255
                } else {
                    ((px[0] as u16 * 3 + px[1] as u16 * 6 + px[2] as u16) / 10) as u8
                }
            }
        })
        .collect();
    Ok((w, h, grey))
}
